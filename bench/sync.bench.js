/**
 * Sync benchmarks (DESIGN.md "Performance budgets"), against the built server:
 *
 * 1. Push of 10,000 records tablet → centre (PGlite): a tablet page in headless Chromium (real,
 *    on-disk IndexedDB) enrolls, pulls, writes 10,000 visits with saveRecords, then one
 *    engine.syncNow() is timed. The page records what the engine does meanwhile: each request
 *    (its fetch is wrapped) and each IndexedDB transaction (a Dexie middleware), so the report says
 *    where the time went from this run's own records.
 * 2. An up-to-date sync (nothing to push, nothing new to pull): 50 engine.syncNow() calls, recorded
 *    the same way, on the idle tablet and again just after the push.
 * 3. 100 tablets syncing at once, from Node with plain fetch: each pushes 50 visits and pulls until
 *    up to date, all at once, 3 rounds; on PGlite (one process), and on PostgreSQL with 1, 2 and 4
 *    server processes sharing one database, when a PostgreSQL server answers.
 * 4. PouchDB: the same 10,000 visit documents in a local PouchDB (IndexedDB) in the same Chromium,
 *    replicated one-shot to a pouchdb-server (in memory) on this machine, with the batch size our
 *    push used (the budget) and with PouchDB's defaults (information).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchPersistentChromium, releaseAll } from './lib/browser.js';
import { openOn, startPages } from './lib/pages.js';
import { postgresAnswers } from './lib/postgres.js';
import { startServer } from './lib/server.js';
import { median, percentile, round } from './lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

export const title = 'Sync: push, up-to-date sync, 100 tablets, PouchDB';

const RECORDS = 10_000;
const WRITE_CHUNK = 500;
const UP_TO_DATE_RUNS = 50;
const UP_TO_DATE_WARMUP = 3;
const TABLETS = 100;
const ROUNDS = 3;
const PER_PUSH = 50;
/** The window within which each tablet syncs once, in the other reading of “at once”. */
const SPREAD_MS = 10_000;
const PG_PROCESSES = [1, 2, 4];
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** @typedef {{ name: string, value: number | string, unit: string, budget: string, pass: boolean }} Budget */
/** @typedef {(s: string) => void} Log */
/** @typedef {{ kind: string, n: number, ms: number[], outsideRequests: number }} TxKind */
/**
 * Where a stretch of the page's time went (bench/pages/sync.ts `account`).
 * @typedef {{ wall: number, inRequests: number, idbOutsideRequests: number, idbDuringRequests: number, neither: number, transactions: number, unfinished: number, kinds: TxKind[] }} Account
 */

/** @param {number} x */
const fmt = (x) => Math.round(x).toLocaleString('en-US');
/** @param {number} x */
const ms1 = (x) => round(x, 1).toLocaleString('en-US');
/** @param {number} part @param {number} whole */
const pct = (part, whole) => `${Math.round((100 * part) / whole)} %`;
const load = () => (loadavg()[0] ?? 0).toFixed(2);
/** @param {number[]} xs */
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
/** @param {string} pkg */
const versionOf = (pkg) => {
	try {
		return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
	} catch {
		return '?';
	}
};

/** @param {{ log: Log }} ctx */
export async function run(ctx) {
	/** @type {Array<() => Promise<unknown> | unknown>} */
	const cleanup = [];
	/** @type {Budget[]} */
	const budgets = [];
	/** @type {string[]} */
	const md = [];
	const loads = [`start ${load()}`];
	const release = () => releaseAll(cleanup, ctx.log);
	try {
		// ── Parts 1, 2 and 4: one tablet page in Chromium ───────────────────────────────────────
		ctx.log('starting the Hiroba server (PGlite, demo data) and pouchdb-server…');
		const server = await startServer();
		cleanup.push(() => server.stop());
		if (!server.enrollmentCode) throw new Error('no enrollment code in the server banner');

		/** @type {Awaited<ReturnType<typeof startPouchServer>> | null} */
		let pouchServer = null;
		/** @type {string | null} */
		let pouchProblem = null;
		try {
			pouchServer = await startPouchServer();
			cleanup.push(() => pouchServer?.stop());
		} catch (e) {
			pouchProblem = e instanceof Error ? e.message : String(e);
			ctx.log(`pouchdb-server did not start: ${pouchProblem}`);
		}

		const pages = await startPages({
			// Dexie's ES entry wraps its UMD build, and pouchdb-browser imports CommonJS helpers and
			// Node's `events` (shimmed): both need Vite's pre-bundling.
			prebundle: ['dexie', ...(pouchServer ? ['pouchdb-browser'] : [])],
			...(pouchServer ? { alias: { events: join(HERE, 'pages', 'events-shim.ts') } } : {})
		});
		cleanup.push(() => pages.close());

		const profile = mkdtempSync(join(tmpdir(), 'hiroba-bench-chromium-'));
		cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
		const browser = await launchPersistentChromium(profile);
		cleanup.push(() => browser.close());
		/** @type {string[]} */
		const pageErrors = [];
		/**
		 * The bench page opened on `origin` (the centre's, or pouchdb-server's); a function calling
		 * into its `window.syncBench`.
		 * @param {import('playwright-core').Page} page
		 * @param {string} origin
		 */
		const benchPage = async (page, origin) => {
			page.on('pageerror', (e) => pageErrors.push(e.message));
			// (PouchDB's first look for a replication checkpoint is an expected 404, which Chromium logs.)
			page.on('console', (m) => m.type() === 'error' && !/status of 404/.test(m.text()) && pageErrors.push(m.text()));
			await openOn(page, pages, origin, 'sync.html');
			await page.waitForFunction(() => 'syncBench' in window, null, { timeout: 60_000 });
			/**
			 * @param {string} fn
			 * @param {unknown} arg
			 * @returns {Promise<any>}
			 */
			return (fn, arg) =>
				page.evaluate(([f, a]) => /** @type {any} */ (window).syncBench[/** @type {string} */ (f)](a), /** @type {[string, any]} */ ([fn, arg]));
		};
		const call = await benchPage(browser.pages()[0] ?? (await browser.newPage()), server.url);

		ctx.log('tablet: enroll and first pull…');
		const dbName = `hiroba-bench-${Date.now()}`;
		const setup = await call('setup', { code: server.enrollmentCode, dbName });
		ctx.log(`tablet: ${UP_TO_DATE_RUNS} up-to-date syncs, before any backlog…`);
		await call('upToDate', { n: UP_TO_DATE_WARMUP });
		const idleSyncs = await call('upToDate', { n: UP_TO_DATE_RUNS });
		ctx.log(`tablet: writing ${fmt(RECORDS)} visits with saveRecords…`);
		const written = await call('writeVisits', { n: RECORDS, chunk: WRITE_CHUNK });
		if (written.pending !== RECORDS) throw new Error(`outbox holds ${written.pending} changes, expected ${RECORDS}`);

		ctx.log('tablet: timed engine.syncNow() (push everything, then pull)…');
		loads.push(`before push ${load()}`);
		const cpuBeforePush = { server: serverCpuMs(), chromium: chromiumCpuMs(), machine: machineCpuMs() };
		const pushed = await call('push', null);
		const cpuAfterPush = { server: serverCpuMs(), chromium: chromiumCpuMs(), machine: machineCpuMs() };
		const cpuPush = cpuBeforePush.server === null ? null : /** @type {number} */ (cpuAfterPush.server) - cpuBeforePush.server;
		const chromiumPush = cpuBeforePush.chromium === null ? null : /** @type {number} */ (cpuAfterPush.chromium) - cpuBeforePush.chromium;
		const machinePush =
			cpuBeforePush.machine === null || cpuAfterPush.machine === null
				? null
				: { busy: cpuAfterPush.machine.busy - cpuBeforePush.machine.busy, all: cpuAfterPush.machine.all - cpuBeforePush.machine.all };
		if (pushed.pending !== 0) throw new Error(`outbox still holds ${pushed.pending} changes after the sync`);
		if (pushed.failed.length) throw new Error(`requests failed: ${pushed.failed.join(', ')}`);
		const pushRate = RECORDS / (pushed.ms / 1000);
		const serverRate = RECORDS / (pushed.postMs / 1000);
		// The batch our push used, from this run: records over POST requests.
		const ourBatch = Math.round(RECORDS / pushed.posts);
		budgets.push({
			name: `push ${fmt(RECORDS)} records, tablet → centre (whole syncNow)`,
			value: Math.round(pushRate),
			unit: 'records/s',
			budget: '≥ 10,000/s',
			pass: pushRate >= 10_000
		});
		budgets.push({ name: '… of which the centre: POST requests only', value: Math.round(serverRate), unit: 'records/s', budget: 'information', pass: true });

		ctx.log(`tablet: ${UP_TO_DATE_RUNS} up-to-date syncs, after the backlog…`);
		await call('upToDate', { n: UP_TO_DATE_WARMUP });
		const afterSyncs = await call('upToDate', { n: UP_TO_DATE_RUNS });
		const upToDate = /** @type {Array<[string, { each: number[], requests: number[], cycles: Account[] }]>} */ ([
			['idle tablet', idleSyncs],
			['just after draining the backlog', afterSyncs]
		]);
		for (const [when, r] of upToDate) {
			const m = median(r.each);
			const p95 = percentile(r.each, 95);
			budgets.push({ name: `up-to-date sync, ${when}: median of ${UP_TO_DATE_RUNS}`, value: round(m, 1), unit: 'ms', budget: '≤ 50 ms', pass: m <= 50 });
			budgets.push({ name: `up-to-date sync, ${when}: p95 of ${UP_TO_DATE_RUNS}`, value: round(p95, 1), unit: 'ms', budget: '≤ 50 ms', pass: p95 <= 50 });
		}

		/** @type {any} */
		let pouch = null;
		if (pouchServer) {
			ctx.log(`PouchDB: loading ${fmt(RECORDS)} documents, then one-shot replications (batch_size ${ourBatch}, then PouchDB’s default)…`);
			loads.push(`before PouchDB ${load()}`);
			try {
				const docs = await call('visitDocs', null);
				const callPouch = await benchPage(await browser.newPage(), pouchServer.url);
				pouch = await callPouch('pouch', { docs, batchSizes: [ourBatch, null], chunk: WRITE_CHUNK, dbName: `${dbName}-pouch` });
				for (const r of pouch.runs) {
					if (!r.ok || r.docsWritten !== RECORDS || r.remoteCount !== RECORDS || r.failed.length)
						throw new Error(`PouchDB replication (batch_size ${r.batchSize ?? 'default'}) incomplete: ${JSON.stringify({ ...r, kinds: undefined })}`);
				}
			} catch (e) {
				pouchProblem = `the PouchDB run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
				pouch = null;
			}
		}
		/** @type {any} */
		let same = null;
		/** @type {any} */
		let defaults = null;
		if (pouch) {
			for (const r of pouch.runs) {
				r.rate = RECORDS / (r.ms / 1000);
				r.bulkDocs = r.kinds['POST /_bulk_docs']?.n ?? 0;
			}
			same = pouch.runs.find((/** @type {any} */ r) => r.batchSize === ourBatch);
			defaults = pouch.runs.find((/** @type {any} */ r) => r.batchSize === null);
			budgets.push({
				name: `PouchDB replicate, batch_size ${ourBatch} (as our push)`,
				value: Math.round(same.rate),
				unit: 'docs/s',
				budget: 'information',
				pass: true
			});
			budgets.push({
				name: `our push ÷ PouchDB replicate, same batch size (${ourBatch})`,
				value: round(pushRate / same.rate, 1),
				unit: '×',
				budget: '≥ 5×',
				pass: pushRate / same.rate >= 5
			});
			budgets.push({
				name: `PouchDB replicate, its defaults (${defaults.bulkDocs} _bulk_docs requests: ${fmt(RECORDS / Math.max(1, defaults.bulkDocs))} docs each)`,
				value: Math.round(defaults.rate),
				unit: 'docs/s',
				budget: 'information',
				pass: true
			});
			budgets.push({
				name: 'our push ÷ PouchDB replicate, its defaults',
				value: round(pushRate / defaults.rate, 1),
				unit: '×',
				budget: 'information',
				pass: true
			});
		} else {
			budgets.push({ name: `our push ÷ PouchDB replicate, same batch size (${ourBatch})`, value: 'not measured', unit: '', budget: '≥ 5×', pass: false });
		}
		if (pageErrors.length) ctx.log(`page errors: ${pageErrors.join(' | ')}`);

		ctx.log(`the centre alone: ${fmt(RECORDS)} records from Node, no browser…`);
		const direct = await directPush(server, setup, ourBatch);
		const directRate = RECORDS / (direct.total / 1000);
		budgets.push({
			name: '… the centre alone: the same pushes from Node, no browser',
			value: Math.round(directRate),
			unit: 'records/s',
			budget: 'information',
			pass: true
		});

		// The browser, page server and first centre go before the next part, to free the CPU.
		await release();

		// ── Part 3: 100 tablets at once, from Node ──────────────────────────────────────────────
		ctx.log(`${TABLETS} tablets on PGlite: a fresh centre, codes and enrollment…`);
		const many = await manyTabletsPglite(ctx);
		budgets.push({ name: `${TABLETS} tablets at once (PGlite): errors`, value: many.errors.length, unit: '', budget: '0', pass: many.errors.length === 0 });
		budgets.push({ name: `${TABLETS} tablets at once (PGlite): p50 per request`, value: round(many.p50, 1), unit: 'ms', budget: 'information', pass: true });
		budgets.push({
			name: `${TABLETS} tablets at once (PGlite): p99 per request`,
			value: round(many.p99, 1),
			unit: 'ms',
			budget: '≤ 500 ms',
			pass: many.p99 <= 500
		});
		budgets.push({
			name: `… the other reading: each tablet once within ${SPREAD_MS / 1000} s, p99 per request`,
			value: round(many.spread.p99, 1),
			unit: 'ms',
			budget: 'information',
			pass: true
		});
		loads.push(`after PGlite tablets ${load()}`);

		ctx.log(`${TABLETS} tablets on PostgreSQL, ${PG_PROCESSES.join(', ')} server processes…`);
		const pg = await manyTabletsPostgres(ctx);
		if (pg.measured) {
			for (const r of pg.runs) {
				budgets.push({
					name: `${TABLETS} tablets at once (PostgreSQL, ${r.processes} process${r.processes > 1 ? 'es' : ''}): errors`,
					value: r.errors.length,
					unit: '',
					budget: '0',
					pass: r.errors.length === 0
				});
				budgets.push({
					name: `… p50 / p99 per request`,
					value: `${ms1(r.p50)} / ${ms1(r.p99)}`,
					unit: 'ms',
					budget: 'information',
					pass: true
				});
				budgets.push({ name: '… pushed records/s', value: Math.round(r.rate), unit: 'records/s', budget: 'information', pass: true });
				budgets.push({
					name: '… pushed records found in the database exactly once',
					value: `${fmt(r.found)} of ${fmt(r.pushed)}`,
					unit: '',
					budget: 'all',
					pass: r.found === r.pushed && r.rowsAdded === r.pushed
				});
			}
			const rates = pg.runs.map((r) => r.rate);
			const grows = rates.every((x, i) => i === 0 || x > /** @type {number} */ (rates[i - 1]));
			budgets.push({
				name: `PostgreSQL: pushed records/s with ${PG_PROCESSES.join(' → ')} server processes`,
				value: rates.map((x) => fmt(x)).join(' → '),
				unit: 'records/s',
				budget: 'grows with the processes',
				pass: grows
			});
		} else {
			budgets.push({
				name: `${TABLETS} tablets at once (PostgreSQL, ${PG_PROCESSES.join(', ')} processes)`,
				value: 'not measured',
				unit: '',
				budget: 'grows with the processes',
				pass: false
			});
		}
		loads.push(`end ${load()}`);

		// ── The report ──────────────────────────────────────────────────────────────────────────
		md.push(
			'**Set-up.** The built server (`scripts/start.js`, adapter-node, `NODE_ENV=production`) on a fresh PGlite folder with the demo data; ' +
				'the tablet is a page of the bench Vite server (bench/pages/sync.ts) that imports the app’s own `HirobaDB`, `saveRecords`, `enrollTablet` and `SyncEngine`, ' +
				'in headless Chromium with a real profile folder (so IndexedDB is on disk, not the in-memory store of an off-the-record context), opened on the centre’s own origin as a tablet’s page is, so its requests go from Chromium straight to the server (the page’s own files, and only those, are handed to Chromium by the driver through CDP’s Fetch domain, from a Vite server for bench pages). ' +
				'The page wraps the engine’s `fetch` (each request timed from sending to the last byte of its answer) and adds a Dexie middleware to its database that records every IndexedDB transaction the engine opens ' +
				'(mode, stores, the operations run in it, and its time from creation to `complete`); the tables below are built from those records. ' +
				`Server, Chromium and the Node driver share the machine’s ${cpus().length} cores with other work; 1-minute load average: ${loads.join(', ')}.`,
			'',
			...pushMarkdown({ setup, written, pushed, cpuPush, chromiumPush, machinePush, direct, directRate, ourBatch }),
			'',
			...upToDateMarkdown(upToDate),
			'',
			...many.markdown,
			'',
			...pg.markdown,
			'',
			...pouchMarkdown(pouch, pouchProblem, pushRate, ourBatch),
			'',
			'**Where the time goes** (all from the figures above).',
			'',
			...whereTimeGoes({ pushed, pushRate, direct, upToDate, many, pg, same, ourBatch, cpu: { server: cpuPush, chromium: chromiumPush } }),
			...(pageErrors.length ? ['', `Errors in the page: ${pageErrors.slice(0, 5).join(' | ')}`] : [])
		);
		return { markdown: md.join('\n'), budgets };
	} finally {
		await release();
	}
}

// ── The report's parts ───────────────────────────────────────────────────────────────────────

/** @param {TxKind[]} kinds */
const byTotal = (kinds) => [...kinds].sort((a, b) => sum(b.ms) - sum(a.ms));

/**
 * @param {{ setup: any, written: any, pushed: any, cpuPush: number | null, chromiumPush: number | null, machinePush: { busy: number, all: number } | null,
 *   direct: { each: number[], total: number }, directRate: number, ourBatch: number }} r
 */
function pushMarkdown({ setup, written, pushed, cpuPush, chromiumPush, machinePush, direct, directRate, ourBatch }) {
	/** @type {Account} */
	const time = pushed.time;
	const acks = time.kinds.filter((k) => /outbox\.delete/.test(k.kind));
	const ackMs = acks.flatMap((k) => k.ms);
	const ackOutside = sum(acks.map((k) => k.outsideRequests));
	return [
		`**1. Push of ${fmt(RECORDS)} records.** The page enrolled with the banner’s code (site ${setup.site}), pulled ${fmt(sum(Object.values(/** @type {Record<string, number>} */ (setup.counts))))} reference rows in ${ms1(setup.pullMs)} ms, ` +
			`then wrote ${fmt(RECORDS)} check-ins of real demo households at the site’s session of ${setup.sessionDate} with \`saveRecords\`, ${WRITE_CHUNK} per transaction (${ms1(written.ms)} ms, ${fmt(RECORDS / (written.ms / 1000))} records/s; untimed for the budget). ` +
			`Timed: one \`engine.syncNow()\` from call to resolve: ${pushed.posts} POST /sync/push (${ourBatch} records and ${fmt(pushed.postBytes / pushed.posts / 1024)} KiB each on average) and ${pushed.gets} GET /sync/pull.`,
		'',
		'The whole sync, cut into what was going on (requests and transactions as recorded): the four rows after the first add up to the whole; the rows in italics overlap them.',
		'',
		'| part of the sync | time | share |',
		'| --- | --- | --- |',
		`| whole \`syncNow()\` | ${ms1(pushed.ms)} ms | 100 % |`,
		`| a POST /sync/push in flight (request sent → last byte of the answer) | ${ms1(pushed.postMs)} ms (median ${ms1(median(pushed.postEach))}, max ${ms1(Math.max(...pushed.postEach))} ms per push) | ${pct(pushed.postMs, pushed.ms)} |`,
		`| a GET /sync/pull in flight | ${ms1(pushed.getMs)} ms | ${pct(pushed.getMs, pushed.ms)} |`,
		`| no request in flight, an IndexedDB transaction open | ${ms1(time.idbOutsideRequests)} ms | ${pct(time.idbOutsideRequests, pushed.ms)} |`,
		`| neither | ${ms1(time.neither)} ms | ${pct(time.neither, pushed.ms)} |`,
		`| *IndexedDB transactions open while a request was in flight (overlapping the rows above)* | ${ms1(time.idbDuringRequests)} ms | ${pct(time.idbDuringRequests, pushed.ms)} |`,
		...(cpuPush === null ? [] : [`| *the server process’s CPU time during the sync (from /proc)* | ${ms1(cpuPush)} ms | ${pct(cpuPush, pushed.ms)} |`]),
		...(chromiumPush === null
			? []
			: [`| *the tablet’s CPU time during the sync: every Chromium process (from /proc)* | ${ms1(chromiumPush)} ms | ${pct(chromiumPush, pushed.ms)} |`]),
		...(machinePush === null
			? []
			: [
					`| *the whole machine busy during the sync (all ${cpus().length} cores, every process, from /proc/stat)* | ${ms1(machinePush.busy)} ms of ${ms1(machinePush.all)} ms | ${pct(machinePush.busy, machinePush.all)} |`
				]),
		'',
		`Between one push’s answer and the next push going out: median ${ms1(median(pushed.gaps))} ms, max ${ms1(Math.max(...pushed.gaps))} ms (${pushed.gaps.length} gaps, ${ms1(sum(pushed.gaps))} ms in all); ` +
			`before the first push ${ms1(pushed.beforeFirst)} ms; from the last push’s answer to the pull ${pushed.lastPostToPull === null ? '—' : `${ms1(pushed.lastPostToPull)} ms`}. ` +
			`The engine opened ${time.transactions} IndexedDB transactions in the sync${time.unfinished ? ` (${time.unfinished} not complete when it resolved)` : ''}:`,
		'',
		'| IndexedDB transaction: mode [stores]: operations, as recorded | count | median | max | total | of it with no request in flight |',
		'| --- | --- | --- | --- | --- | --- |',
		...byTotal(time.kinds).map(
			(k) => `| ${k.kind} | ${k.n} | ${ms1(median(k.ms))} ms | ${ms1(Math.max(...k.ms))} ms | ${ms1(sum(k.ms))} ms | ${ms1(k.outsideRequests)} ms |`
		),
		'',
		acks.length
			? `The transactions that deleted acknowledged entries from the outbox: ${ackMs.length} for ${pushed.posts} pushes, median ${ms1(median(ackMs))} ms each (created → complete), max ${ms1(Math.max(...ackMs))} ms; ` +
				`${ms1(sum(ackMs))} ms in all, of which ${ms1(ackOutside)} ms with no request in flight.`
			: 'No transaction in the sync deleted entries from the outbox.',
		'',
		`The centre alone, for comparison: the same ${direct.each.length} pushes of ${ourBatch} visits sent from Node straight to the server (no browser; a second device at the same site) took ${ms1(direct.total)} ms ` +
			`(median ${ms1(median(direct.each))} ms per push), ${fmt(directRate)} records/s, against ${ms1(pushed.postMs)} ms for the page’s POSTs, which went through Chromium.`
	];
}

/** @param {Array<[string, { each: number[], requests: number[], cycles: Account[] }]>} runs */
function upToDateMarkdown(runs) {
	/** @param {(c: Account) => number} f @param {Account[]} cs */
	const med = (f, cs) => median(cs.map(f));
	const kinds = [...new Set(runs.flatMap(([, r]) => r.cycles.flatMap((c) => c.kinds.map((k) => k.kind))))];
	/** @param {Account[]} cycles @param {string} kind */
	const cell = (cycles, kind) => {
		const xs = cycles.flatMap((c) => c.kinds.filter((k) => k.kind === kind).flatMap((k) => k.ms));
		return xs.length ? `${round(xs.length / cycles.length, 2)} · ${ms1(median(xs))} ms` : '—';
	};
	return [
		`**2. Up-to-date sync.** ${UP_TO_DATE_RUNS} timed \`engine.syncNow()\` calls in a row (after ${UP_TO_DATE_WARMUP} untimed ones), each with an empty outbox and nothing new at the centre; ` +
			'each made exactly one request, a GET /sync/pull (checked). Measured twice: on the idle tablet just after its first pull (its outbox never used), and again just after the push above drained it.',
		'',
		'| up-to-date sync | median | p95 | max | the GET (median, p95) | per cycle, medians: no request in flight, a transaction open · neither | transactions per cycle |',
		'| --- | --- | --- | --- | --- | --- | --- |',
		...runs.map(
			([when, r]) =>
				`| ${when} | ${ms1(median(r.each))} ms | ${ms1(percentile(r.each, 95))} ms | ${ms1(Math.max(...r.each))} ms | ${ms1(median(r.requests))} ms, ${ms1(percentile(r.requests, 95))} ms | ` +
				`${ms1(med((c) => c.idbOutsideRequests, r.cycles))} ms · ${ms1(med((c) => c.neither, r.cycles))} ms | ${round(sum(r.cycles.map((c) => c.transactions)) / r.cycles.length, 2)} |`
		),
		'',
		'The IndexedDB transactions of those cycles, as recorded (each cell: how many per cycle · median time, created → complete):',
		'',
		`| IndexedDB transaction: mode [stores]: operations | ${runs.map(([when]) => when).join(' | ')} |`,
		`| --- | ${runs.map(() => '---').join(' | ')} |`,
		...kinds.map((k) => `| ${k} | ${runs.map(([, r]) => cell(r.cycles, k)).join(' | ')} |`)
	];
}

/**
 * @param {any} pouch
 * @param {string | null} problem
 * @param {number} pushRate
 * @param {number} ourBatch
 */
function pouchMarkdown(pouch, problem, pushRate, ourBatch) {
	if (!pouch) {
		return [`**4. PouchDB.** Not measured: ${problem ?? 'unknown reason'}. The “≥ 5× PouchDB” budget is therefore marked missed, not assumed.`];
	}
	return [
		`**4. PouchDB** (pouchdb-browser ${versionOf('pouchdb-browser')} with its IndexedDB adapter in the same Chromium profile; pouchdb-server ${versionOf('pouchdb-server')} \`--in-memory\` on 127.0.0.1, the page opened on pouchdb-server’s own origin as ours is on the centre’s, so its requests go straight to it). ` +
			`The same ${fmt(pouch.docs)} visit documents (\`_id\` = the record id, the record’s fields and stamp) were put into a local PouchDB with \`bulkDocs\`, ${WRITE_CHUNK} at a time (${ms1(pouch.loadMs)} ms, untimed), ` +
			'then each timed run is one `PouchDB.replicate(local, remote, …)` to a new, empty remote database (created before the clock starts). ' +
			`The budget compares like with like: PouchDB with \`batch_size: ${ourBatch}\`, the records per request of our push in this run. PouchDB with no options (its defaults) is shown beside it, as information.`,
		'',
		'| PouchDB run | time | docs/s | requests (time in them) | our push ÷ this |',
		'| --- | --- | --- | --- | --- |',
		...pouch.runs.map(
			(/** @type {any} */ r) =>
				`| ${r.batchSize === null ? 'its defaults (no options)' : `batch_size ${r.batchSize}, as our push (the budget)`} | ${ms1(r.ms)} ms | ${fmt(r.rate)} | ${r.requests} (${ms1(r.requestMs)} ms: ${Object.entries(
					r.kinds
				)
					.map(([k, v]) => `${v.n}× ${k}`)
					.join(', ')}) | ${round(pushRate / r.rate, 1)}× |`
		)
	];
}

/**
 * @param {{ pushed: any, pushRate: number, direct: { total: number }, upToDate: Array<[string, { each: number[], cycles: Account[] }]>, many: Awaited<ReturnType<typeof manyTabletsPglite>>, pg: Awaited<ReturnType<typeof manyTabletsPostgres>>, same: any, ourBatch: number,
 *   cpu: { server: number | null, chromium: number | null } }} r
 */
function whereTimeGoes({ pushed, pushRate, direct, upToDate, many, pg, same, ourBatch, cpu }) {
	/** @type {Account} */
	const time = pushed.time;
	const budgetMs = (RECORDS / 10_000) * 1000;
	const out = [
		`- *Push (${fmt(pushRate)} records/s).* Of the ${ms1(pushed.ms)} ms, ${pct(pushed.postMs, pushed.ms)} had a POST in flight, ${pct(pushed.getMs, pushed.ms)} the GET, ` +
			`${pct(time.idbOutsideRequests, pushed.ms)} an IndexedDB transaction and no request, ${pct(time.neither, pushed.ms)} neither. ` +
			`At 10,000 records/s the whole sync has ${fmt(budgetMs)} ms; the POSTs alone took ${fmt(pushed.postMs)} ms, and the same pushes from Node straight to the server ${fmt(direct.total)} ms.` +
			(cpu.server === null || cpu.chromium === null
				? ''
				: ` The tablet and the centre share this machine’s ${cpus().length} cores: during the sync the server used ${fmt(cpu.server)} ms of CPU and the tablet’s Chromium ${fmt(cpu.chromium)} ms, ` +
					`${fmt(cpu.server + cpu.chromium)} ms together against the ${fmt(cpus().length * pushed.ms)} ms the cores had in the ${fmt(pushed.ms)} ms of the sync.`)
	];
	const [[, idle], [, after]] = /** @type {[[string, { each: number[], cycles: Account[] }], [string, { each: number[], cycles: Account[] }]]} */ (upToDate);
	/** @param {Account[]} cycles @param {string} kind */
	const kindMedian = (cycles, kind) => median(cycles.flatMap((c) => c.kinds.filter((k) => k.kind === kind).flatMap((k) => k.ms)));
	const kinds = [...new Set([...idle.cycles, ...after.cycles].flatMap((c) => c.kinds.map((k) => k.kind)))];
	const moved = kinds
		.map((k) => ({ k, before: kindMedian(idle.cycles, k), after: kindMedian(after.cycles, k) }))
		.filter((x) => Number.isFinite(x.before) && Number.isFinite(x.after))
		.sort((a, b) => b.after - b.before - (a.after - a.before))[0];
	out.push(
		`- *Up-to-date sync.* Median ${ms1(median(idle.each))} ms on the idle tablet and ${ms1(median(after.each))} ms after the backlog; in the median cycle’s parts, the GET took ${ms1(median(idle.cycles.map((c) => c.inRequests)))} and ${ms1(median(after.cycles.map((c) => c.inRequests)))} ms, ` +
			`IndexedDB with no request in flight ${ms1(median(idle.cycles.map((c) => c.idbOutsideRequests)))} and ${ms1(median(after.cycles.map((c) => c.idbOutsideRequests)))} ms.` +
			(moved ? ` The transaction whose median grew most after the backlog: ${moved.k}, ${ms1(moved.before)} → ${ms1(moved.after)} ms.` : '')
	);
	out.push(
		`- *${TABLETS} tablets at once, PGlite.* p99 ${ms1(many.p99)} ms. ` +
			(many.cpuPerTablet === null
				? 'The server’s CPU time could not be read.'
				: `The server process used ${ms1(many.cpuPerTablet)} ms of CPU per tablet and round (one at a time, a round's SQL statements took ${ms1(many.sqlPerTablet)} ms); ${TABLETS} × that is ${fmt(TABLETS * many.cpuPerTablet)} ms, roughly what the last of ${TABLETS} tablets arriving together waits for: a p99 under 500 ms needs under ${ms1(500 / TABLETS)} ms per tablet and round. `) +
			`One at a time, a push of ${PER_PUSH} took ${ms1(many.alone.push)} ms and its pull ${ms1(many.alone.pull)} ms (medians). ` +
			`Spread over ${SPREAD_MS / 1000} s instead (the other reading), p99 ${ms1(many.spread.p99)} ms.`
	);
	if (pg.measured) out.push(`- *${TABLETS} tablets at once, PostgreSQL.* ${pg.meaning}`);
	if (same) {
		out.push(
			`- *PouchDB ratio.* Like for like (batch_size ${ourBatch}), PouchDB replicated ${fmt(same.rate)} docs/s (${pct(same.requestMs, same.ms)} of its time in HTTP requests); ` +
				`5× that is ${fmt(5 * same.rate)} records/s, and our push did ${fmt(pushRate)}.`
		);
	}
	return out;
}

// ── CPU time, from /proc ────────────────────────────────────────────────────────────────────

/** Fields of /proc/<pid>/stat after the command name (field 3 on), or null. @param {string} pid */
function statFields(pid) {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	} catch {
		return null;
	}
}

/** Clock ticks (1/100 s) to ms. @param {number} ticks */
const ticksMs = (ticks) => (ticks * 1000) / 100;

/**
 * CPU time (user + system, ms) used so far by this process's children running the Hiroba server
 * (scripts/start.js); null where there is no /proc.
 */
function serverCpuMs() {
	try {
		let total = 0;
		for (const pid of readdirSync('/proc')) {
			if (!/^\d+$/.test(pid)) continue;
			const fields = statFields(pid);
			if (!fields || Number(fields[1]) !== process.pid) continue;
			if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scripts/start.js')) continue;
			total += ticksMs(Number(fields[11]) + Number(fields[12])); // utime + stime
		}
		return total;
	} catch {
		return null;
	}
}

/**
 * CPU time (user + system, ms) used so far by the Chromium this process launched: its browser
 * process and every process under it (renderers, GPU, utilities); null where there is no /proc.
 */
function chromiumCpuMs() {
	try {
		/** @type {Map<string, string[]>} */
		const children = new Map();
		/** @type {Map<string, string[]>} */
		const fieldsOf = new Map();
		for (const pid of readdirSync('/proc')) {
			if (!/^\d+$/.test(pid)) continue;
			const f = statFields(pid);
			if (!f) continue;
			fieldsOf.set(pid, f);
			const list = children.get(/** @type {string} */ (f[1])) ?? [];
			list.push(pid);
			children.set(/** @type {string} */ (f[1]), list);
		}
		const roots = (children.get(String(process.pid)) ?? []).filter((pid) => {
			try {
				return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.includes('chromium');
			} catch {
				return false;
			}
		});
		let total = 0;
		for (const stack = [...roots]; stack.length > 0;) {
			const pid = /** @type {string} */ (stack.pop());
			const f = fieldsOf.get(pid);
			if (f) total += ticksMs(Number(f[11]) + Number(f[12]));
			stack.push(...(children.get(pid) ?? []));
		}
		return total;
	} catch {
		return null;
	}
}

/**
 * CPU time (ms) of every process named `postgres` on this machine, whoever it serves, with the
 * time of the children they have reaped (so backends that ended still count); null without /proc.
 */
function postgresCpuMs() {
	try {
		let total = 0;
		for (const pid of readdirSync('/proc')) {
			if (!/^\d+$/.test(pid)) continue;
			let comm;
			try {
				comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
			} catch {
				continue;
			}
			if (comm !== 'postgres') continue;
			const f = statFields(pid);
			if (f) total += ticksMs(Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])); // utime stime cutime cstime
		}
		return total;
	} catch {
		return null;
	}
}

/** The whole machine's CPU time so far (ms, all cores): busy and in all; null without /proc. */
function machineCpuMs() {
	try {
		const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
		const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
		const busy =
			/** @type {number} */ (user) +
			/** @type {number} */ (nice) +
			/** @type {number} */ (system) +
			/** @type {number} */ (irq) +
			/** @type {number} */ (softirq) +
			/** @type {number} */ (steal);
		return { busy: ticksMs(busy), all: ticksMs(busy + /** @type {number} */ (idle) + /** @type {number} */ (iowait)) };
	} catch {
		return null;
	}
}

/** This Node process's own CPU time so far (ms). */
const driverCpuMs = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};

// ── pouchdb-server ───────────────────────────────────────────────────────────────────────────

function freePort() {
	return /** @type {Promise<number>} */ (
		new Promise((resolve, reject) => {
			const srv = createNetServer();
			srv.on('error', reject);
			srv.listen(0, '127.0.0.1', () => {
				const address = srv.address();
				const port = typeof address === 'object' && address ? address.port : 0;
				srv.close(() => resolve(port));
			});
		})
	);
}

/**
 * pouchdb-server in memory, in a temp folder (it writes its config and log file there). In memory it
 * loads neither of its optional storage back-ends (leveldown, sqlite3): package.json's allowScripts
 * denies their install scripts, so npm does not build them for this benchmark.
 */
async function startPouchServer() {
	const bin = join(ROOT, 'node_modules', 'pouchdb-server', 'bin', 'pouchdb-server');
	if (!existsSync(bin)) throw new Error('pouchdb-server is not installed');
	const dir = mkdtempSync(join(tmpdir(), 'hiroba-bench-pouch-'));
	const port = await freePort();
	const child = spawn(process.execPath, [bin, '--in-memory', '--no-stdout-logs', '--no-color', '--host', '127.0.0.1', '--port', String(port)], {
		cwd: dir,
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
	child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
	const exited = new Promise((r) => child.on('exit', r));
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			await exited;
		}
		rmSync(dir, { recursive: true, force: true });
	};
	const deadline = Date.now() + 20_000;
	for (;;) {
		try {
			const res = await fetch(url);
			if (res.ok) break;
		} catch {
			/* not up yet */
		}
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`pouchdb-server did not start: ${out.trim().split('\n').slice(-3).join(' ')}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return { url, stop };
}

// ── 100 tablets from Node ────────────────────────────────────────────────────────────────────

function uuidv7() {
	const b = randomBytes(16);
	const ms = Date.now();
	for (let i = 0; i < 6; i++) b[i] = Math.floor(ms / 2 ** (8 * (5 - i))) & 0xff;
	b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
	b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
	const h = b.toString('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A tablet as the Node driver plays it; `url` is the server process it talks to.
 * @typedef {{ i: number, id: string, token: string, node: string, siteId: string, cursor: string, url: string,
 *   sessionId: string, sessionDate: string, households: Array<{ id: string, cardCode: string }>, counter: number, wall: number }} Tablet
 */

/**
 * `n` valid check-ins by a tablet, each with its own hlc stamp from the tablet's clock.
 * @param {Pick<Tablet, 'i' | 'node' | 'sessionId' | 'households' | 'counter' | 'wall'>} t
 * @param {number} n
 */
function visitChanges(t, n) {
	const changes = [];
	for (let k = 0; k < n; k++) {
		const now = Date.now();
		if (now > t.wall) [t.wall, t.counter] = [now, 0];
		else t.counter++;
		const h = /** @type {{ id: string, cardCode: string }} */ (t.households[(t.i * n + k) % t.households.length]);
		changes.push({
			table: 'visits',
			id: uuidv7(),
			hlc: `${String(t.wall).padStart(15, '0')}:${String(t.counter).padStart(5, '0')}:${t.node}`,
			deleted: false,
			data: {
				sessionId: t.sessionId,
				householdId: h.id,
				cardCode: h.cardCode,
				childIds: [],
				walkInChildren: null,
				adults: 1,
				checkedInAt: new Date(now).toISOString(),
				checkedOutAt: null,
				method: 'scanner'
			}
		});
	}
	return changes;
}

/**
 * The centre alone: the same pushes as the page's (`batch` visits each), from Node straight to the
 * server (no browser), by a second device enrolled at the same site. Times each POST to
 * the last byte.
 * @param {Awaited<ReturnType<typeof startServer>>} server
 * @param {{ siteId: string, sessionId: string, households: Array<{ id: string, cardCode: string }> }} setup
 * @param {number} batch
 */
async function directPush(server, setup, batch) {
	const { code } = server.admin(['enroll-code', setup.siteId]);
	const res = await fetch(`${server.url}/api/v1/devices/enroll`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ code, name: 'bench direct' })
	});
	if (!res.ok) throw new Error(`enroll → ${res.status} ${await res.text()}`);
	const dev = await res.json();
	const t = { i: 0, node: dev.deviceId.replace(/-/g, ''), sessionId: setup.sessionId, households: setup.households, counter: 0, wall: 0 };
	/** @type {number[]} */
	const each = [];
	for (let done = 0; done < RECORDS; done += batch) {
		const body = JSON.stringify({ protocol: 1, changes: visitChanges(t, Math.min(batch, RECORDS - done)) });
		const started = performance.now();
		const r = await fetch(`${server.url}/api/v1/sync/push`, {
			method: 'POST',
			headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json' },
			body
		});
		const answer = await r.json();
		each.push(performance.now() - started);
		if (!r.ok || answer.results.some((/** @type {{ status: string }} */ x) => x.status !== 'applied')) throw new Error(`direct push → ${r.status}`);
	}
	return { each, total: each.reduce((a, b) => a + b, 0) };
}

/**
 * What the driver saw of a set of requests: latencies by kind (send → last byte), failures, rows
 * pulled by table, and the ids of every visit it sent.
 * @typedef {{ lat: { push: number[], pull: number[] }, errors: string[], pulled: Record<string, number>, sentIds: string[] }} Seen
 */

/** @returns {Seen} */
const newSeen = () => ({ lat: { push: [], pull: [] }, errors: [], pulled: {}, sentIds: [] });

/**
 * One request of a tablet to its server; null (and an error noted) when it fails.
 * @param {Tablet} t
 * @param {'push' | 'pull'} kind
 * @param {string} path
 * @param {unknown} body
 * @param {Seen} seen
 */
async function tabletRequest(t, kind, path, body, seen) {
	const init = {
		method: body ? 'POST' : 'GET',
		headers: { authorization: `Bearer ${t.token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined
	};
	const started = performance.now();
	try {
		const res = await fetch(t.url + path, init);
		const text = await res.text();
		seen.lat[kind].push(performance.now() - started);
		if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`);
		return JSON.parse(text);
	} catch (e) {
		seen.errors.push(`tablet ${t.i + 1} ${kind}: ${e instanceof Error ? e.message : String(e)}`);
		return null;
	}
}

/** Pull until up to date (limit 1000); the changes. @param {Tablet} t @param {Seen} seen */
async function pullAll(t, seen) {
	/** @type {any[]} */
	const changes = [];
	for (;;) {
		const page = await tabletRequest(t, 'pull', `/api/v1/sync/pull?since=${t.cursor}&limit=1000`, undefined, seen);
		if (!page) return changes;
		changes.push(...page.changes);
		t.cursor = page.cursor;
		if (!page.more) return changes;
	}
}

/** One push of PER_PUSH visits; every change must come back applied. @param {Tablet} t @param {Seen} seen */
async function pushVisits(t, seen) {
	const changes = visitChanges(t, PER_PUSH);
	seen.sentIds.push(...changes.map((c) => c.id));
	const r = await tabletRequest(t, 'push', '/api/v1/sync/push', { protocol: 1, changes }, seen);
	if (r) {
		const notApplied = r.results.filter((/** @type {{ status: string }} */ x) => x.status !== 'applied');
		if (notApplied.length) seen.errors.push(`tablet ${t.i + 1} push: ${notApplied.length} not applied (${JSON.stringify(notApplied[0])})`);
	}
}

/**
 * TABLETS tablets for `server`: enrollment codes from its admin command, the tablets spread round
 * the active sites (as one ward's ~100 tablets over ~30 sites), each enrolled with its own
 * X-Forwarded-For; then each pulls until up to date (not measured) and takes the session of its
 * site nearest today, and the households it holds.
 * @param {{ log: Log }} ctx
 * @param {Awaited<ReturnType<typeof startServer>>} server
 */
async function enrollFleet(ctx, server) {
	/** @type {Array<{ id: string, nameJa: string, active: boolean }>} */
	const sites = server.admin(['sites']).sites.filter((/** @type {{ active: boolean }} */ s) => s.active);
	const t0 = performance.now();
	const codes = Array.from({ length: TABLETS }, (_, i) => {
		const site = /** @type {{ id: string, nameJa: string, active: boolean }} */ (sites[i % sites.length]);
		return { site, code: /** @type {string} */ (server.admin(['enroll-code', site.id]).code) };
	});
	const codesMs = performance.now() - t0;

	/** @type {Tablet[]} */
	const tablets = [];
	for (let start = 0; start < TABLETS; start += 10) {
		const batch = await Promise.all(
			codes.slice(start, start + 10).map(async ({ site, code }, k) => {
				const i = start + k;
				const res = await fetch(`${server.url}/api/v1/devices/enroll`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.77.${i >> 8}.${(i & 255) + 1}` },
					body: JSON.stringify({ code, name: `bench tablet ${i + 1}` })
				});
				const text = await res.text();
				if (!res.ok) throw new Error(`enroll tablet ${i + 1} → ${res.status} ${text.slice(0, 200)}`);
				const r = JSON.parse(text);
				return {
					i,
					id: r.deviceId,
					token: r.token,
					node: r.deviceId.replace(/-/g, ''),
					siteId: site.id,
					cursor: '0',
					url: server.url,
					sessionId: '',
					sessionDate: '',
					households: [],
					counter: 0,
					wall: 0
				};
			})
		);
		tablets.push(...batch);
	}

	ctx.log(`${TABLETS} tablets: first pull…`);
	const setupSeen = newSeen();
	const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
	for (let start = 0; start < TABLETS; start += 10) {
		await Promise.all(
			tablets.slice(start, start + 10).map(async (t) => {
				const changes = await pullAll(t, setupSeen);
				const sessions = changes.filter((c) => c.table === 'sessions' && !c.deleted && c.data.siteId === t.siteId);
				sessions.sort((a, b) => Math.abs(Date.parse(a.data.date) - Date.parse(today)) - Math.abs(Date.parse(b.data.date) - Date.parse(today)));
				t.sessionId = sessions[0]?.id ?? '';
				t.sessionDate = sessions[0]?.data.date ?? '';
				t.households = changes.filter((c) => c.table === 'households' && !c.deleted).map((c) => ({ id: c.id, cardCode: c.data.cardCode }));
			})
		);
	}
	if (setupSeen.errors.length) throw new Error(`set-up failed: ${setupSeen.errors.slice(0, 3).join('; ')}`);
	// A tablet holds only the families of its sites; at a site with none of its own, its visitors
	// are families from elsewhere, checked in by card (the card code lets the centre take them).
	const ward = [...new Map(tablets.flatMap((t) => t.households).map((h) => [h.id, h])).values()];
	for (const t of tablets) if (t.households.length === 0) t.households = ward;
	const noSession = tablets.filter((t) => !t.sessionId || t.households.length === 0);
	if (noSession.length) throw new Error(`${noSession.length} tablets found no session or no households at their site`);
	const sharing = tablets.filter((t) => Math.abs(Date.parse(t.sessionDate) - Date.parse(today)) <= 86_400_000).length;
	return { tablets, sites, codesMs, sharing };
}

/**
 * The measured rounds: in each, every tablet at once pushes PER_PUSH visits, then pulls until up
 * to date. With the CPU time used meanwhile: the Hiroba server processes, every postgres process,
 * this driver, and the whole machine.
 * @param {Tablet[]} tablets
 */
async function measureRounds(tablets) {
	const seen = newSeen();
	/** @type {number[]} */
	const roundMs = [];
	const before = { server: serverCpuMs(), postgres: postgresCpuMs(), driver: driverCpuMs(), machine: machineCpuMs() };
	for (let r = 0; r < ROUNDS; r++) {
		const started = performance.now();
		await Promise.all(
			tablets.map(async (t) => {
				await pushVisits(t, seen);
				for (const c of await pullAll(t, seen)) seen.pulled[c.table] = (seen.pulled[c.table] ?? 0) + 1;
			})
		);
		roundMs.push(performance.now() - started);
	}
	const after = { server: serverCpuMs(), postgres: postgresCpuMs(), driver: driverCpuMs(), machine: machineCpuMs() };
	/** @param {number | null} a @param {number | null} b */
	const delta = (a, b) => (a === null || b === null ? null : b - a);
	const wall = sum(roundMs);
	const all = [...seen.lat.push, ...seen.lat.pull];
	return {
		seen,
		roundMs,
		wall,
		requests: all.length,
		p50: percentile(all, 50),
		p99: percentile(all, 99),
		rate: seen.sentIds.length / (wall / 1000),
		cpu: {
			server: delta(before.server, after.server),
			postgres: delta(before.postgres, after.postgres),
			driver: /** @type {number} */ (delta(before.driver, after.driver)),
			machineBusy: before.machine && after.machine ? after.machine.busy - before.machine.busy : null,
			machineAll: before.machine && after.machine ? after.machine.all - before.machine.all : null
		}
	};
}

/**
 * The other reading of "at once": every tablet syncs once (the same push and pull as a round), each
 * at a moment drawn at random within `windowMs`. The engine syncs every 60 s; a 10-s window is six
 * times that rate.
 * @param {Tablet[]} tablets
 * @param {number} windowMs
 */
async function measureSpread(tablets, windowMs) {
	const seen = newSeen();
	const started = performance.now();
	await Promise.all(
		tablets.map(async (t) => {
			await new Promise((r) => setTimeout(r, Math.random() * windowMs));
			await pushVisits(t, seen);
			await pullAll(t, seen);
		})
	);
	const all = [...seen.lat.push, ...seen.lat.pull];
	return { seen, wall: performance.now() - started, p50: percentile(all, 50), p99: percentile(all, 99), max: Math.max(...all) };
}

/** @param {string} name @param {number[]} xs */
const latencyRow = (name, xs) =>
	`| ${name} | ${xs.length} | ${ms1(percentile(xs, 50))} ms | ${ms1(percentile(xs, 95))} ms | ${ms1(percentile(xs, 99))} ms | ${ms1(Math.max(...xs))} ms |`;

/** @param {Record<string, number>} pulled */
const pulledText = (pulled) =>
	`${fmt(sum(Object.values(pulled)))} rows pulled (${
		Object.entries(pulled)
			.map(([k, v]) => `${k} ${fmt(v)}`)
			.join(', ') || 'none'
	})`;

/** @param {{ log: Log }} ctx */
async function manyTabletsPglite(ctx) {
	const server = await startServer({ env: { ADDRESS_HEADER: 'x-forwarded-for', HIROBA_QUERY_STATS: '1' } });
	try {
		const fleet = await enrollFleet(ctx, server);
		ctx.log(`${TABLETS} tablets: ${ROUNDS} rounds, all at once…`);
		const m = await measureRounds(fleet.tablets);
		// For comparison, the same requests one at a time (20 tablets, one after another), with the
		// server's statements timed: one at a time, a statement's time is its own, not a wait for
		// PGlite, which runs one statement at a time.
		await statementProfile(server);
		const aloneSeen = newSeen();
		/** @type {{ push: number[], pull: number[] }} */
		const alone = { push: [], pull: [] };
		for (const t of fleet.tablets.slice(0, 20)) {
			let started = performance.now();
			await pushVisits(t, aloneSeen);
			alone.push.push(performance.now() - started);
			started = performance.now();
			await pullAll(t, aloneSeen);
			alone.pull.push(performance.now() - started);
		}
		const statements = await statementProfile(server);
		const aloneTablets = alone.push.length;
		ctx.log(`${TABLETS} tablets: each once within ${SPREAD_MS / 1000} s…`);
		const spread = await measureSpread(fleet.tablets, SPREAD_MS);
		const cpuPerTablet = m.cpu.server === null ? null : m.cpu.server / (TABLETS * ROUNDS);
		const sqlMs = sum(statements.map((x) => x.ms));
		const all = [...m.seen.lat.push, ...m.seen.lat.pull];
		const markdown = [
			`**3. ${TABLETS} tablets at once, PGlite.** A second, fresh centre (PGlite, demo data) started with \`ADDRESS_HEADER=x-forwarded-for\`; ${TABLETS} enrollment codes from \`npm run admin -- enroll-code <siteId> --json\` (${fmt(fleet.codesMs)} ms), ` +
				`the tablets spread round the ${fleet.sites.length} active sites, each enrolled with its own X-Forwarded-For, then pulled the reference data (not measured). ` +
				`Each tablet uses the session of its site nearest today (${fleet.sharing} of the ${TABLETS} have one within a day of today). ` +
				`Measured: ${ROUNDS} rounds; in each, all ${TABLETS} tablets at once push one batch of ${PER_PUSH} valid visits, then pull until up to date (limit 1000), from one Node process with plain \`fetch\` (no browser). ` +
				`Latency is per request, from send to the last byte of the answer, on the same cores as the server, so it includes the client’s own queueing. ` +
				`${all.length} requests, ${pulledText(m.seen.pulled)}; rounds took ${m.roundMs.map((x) => `${fmt(x)} ms`).join(', ')} (${fmt(all.length / (m.wall / 1000))} requests/s, ${fmt(m.rate)} pushed records/s).` +
				(m.cpu.server === null
					? ''
					: ` The server process used ${fmt(m.cpu.server)} ms of CPU in the ${fmt(m.wall)} ms of the rounds (${pct(m.cpu.server, m.wall)} of one core), ${ms1(/** @type {number} */ (cpuPerTablet))} ms per tablet and round.`) +
				` One at a time instead (20 tablets in turn, after the rounds): a push of ${PER_PUSH} takes ${ms1(median(alone.push))} ms and the pull that follows ${ms1(median(alone.pull))} ms (medians).`,
			'',
			'| requests | count | p50 | p95 | p99 | max |',
			'| --- | --- | --- | --- | --- | --- |',
			latencyRow('all', all),
			latencyRow(`POST /sync/push (${PER_PUSH} visits)`, m.seen.lat.push),
			latencyRow('GET /sync/pull', m.seen.lat.pull),
			'',
			m.seen.errors.length
				? `Errors (${m.seen.errors.length}): ${m.seen.errors.slice(0, 5).join('; ')}${m.seen.errors.length > 5 ? '; …' : ''}`
				: 'No request failed and every pushed change came back `applied`.',
			'',
			`Where a tablet's round goes at the server: in the ${aloneTablets} rounds taken one at a time, the server's SQL statements, as it timed them (\`HIROBA_QUERY_STATS\`, each from the call to its answer; PGlite runs in the server's own thread), took ${fmt(sqlMs)} ms, ` +
				`${ms1(sqlMs / aloneTablets)} ms a round, of the ${ms1(sum(alone.push) / aloneTablets + sum(alone.pull) / aloneTablets)} ms a round took from the client (the rest: HTTP, SvelteKit, JSON, validation, gzip, and the driver's side of each query). The statements, by time:`,
			'',
			'| statement (first words) | calls | total | per call |',
			'| --- | --- | --- | --- |',
			...statements
				.slice(0, 10)
				.map((x) => `| \`${x.sql.slice(0, 70).replace(/\|/g, '\\|')}…\` | ${fmt(x.calls)} | ${fmt(x.ms)} ms | ${ms1(x.ms / x.calls)} ms |`),
			'',
			`**The other reading of “at once”.** The engine syncs every 60 s, so a ward's tablets do not all sync in the same instant. Read that way, the same ${TABLETS} tablets each did one round's work (a push of ${PER_PUSH} visits, then a pull until up to date) at a moment drawn at random within ${SPREAD_MS / 1000} s (six times the engine's rate): p50 ${ms1(spread.p50)} ms, p99 ${ms1(spread.p99)} ms, max ${ms1(spread.max)} ms per request, ${spread.seen.errors.length} errors. The budget is held on the stricter reading above.`
		];
		return {
			errors: m.seen.errors,
			spread,
			sqlPerTablet: sqlMs / aloneTablets,
			cpuPerTablet,
			alone: { push: median(alone.push), pull: median(alone.pull) },
			p50: m.p50,
			p99: m.p99,
			markdown
		};
	} finally {
		await server.stop();
	}
}

/**
 * The server's statement timings since the last call (HIROBA_QUERY_STATS, src/lib/server/db/store.ts):
 * asked for with SIGUSR2, read from the line the server prints.
 * @param {Awaited<ReturnType<typeof startServer>>} server
 * @returns {Promise<Array<{ sql: string, calls: number, ms: number }>>}
 */
async function statementProfile(server) {
	const from = server.output().length;
	process.kill(/** @type {number} */ (server.pid), 'SIGUSR2');
	for (let waited = 0; waited < 10_000; waited += 50) {
		const line = server
			.output()
			.slice(from)
			.match(/\[hiroba\] query stats (.*)\n/);
		if (line) return JSON.parse(/** @type {string} */ (line[1]));
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('the server printed no query stats within 10 s');
}

/** @param {string} url */
const redact = (url) => url.replace(/\/\/[^@/]*@/, '//');

/**
 * The same 100 tablets on PostgreSQL: a fresh schema, one server process, then two, then four on it
 * (each with a data folder of its own for its admin socket, all with the first one's sealing keys),
 * the tablets spread round-robin over the processes; the same rounds for each. After each, the
 * visits sent are counted in the database.
 * @param {{ log: Log }} ctx
 */
async function manyTabletsPostgres(ctx) {
	/** @type {Array<Awaited<ReturnType<typeof measureRounds>> & { processes: number, errors: string[], pushed: number, found: number, rowsAdded: number, startRows: number }>} */
	const runs = [];
	if (!(await postgresAnswers(PG_URL))) {
		const markdown = [
			`**3b. ${TABLETS} tablets at once, PostgreSQL with ${PG_PROCESSES.join(', ')} server processes.** Not measured: no PostgreSQL server answered at ${redact(PG_URL)}.`
		];
		return { measured: false, runs, markdown, meaning: '' };
	}
	const pg = (await import('pg')).default;
	const schema = `bench_sync_${process.pid}_${randomBytes(4).toString('hex')}`;
	const adminDb = new pg.Client({ connectionString: PG_URL });
	await adminDb.connect();
	await adminDb.query(`create schema ${schema}`);
	await adminDb.end();
	const url = new URL(PG_URL);
	url.searchParams.set('options', `-c search_path=${schema}`);
	const env = { DATABASE_URL: url.toString(), ADDRESS_HEADER: 'x-forwarded-for' };
	/** @type {Array<Awaited<ReturnType<typeof startServer>>>} */
	const servers = [];
	const db = new pg.Client({ connectionString: url.toString() });
	let connected = false;
	try {
		ctx.log(`PostgreSQL (schema ${schema}): the first server process, codes and enrollment…`);
		const first = await startServer({ env });
		servers.push(first);
		const keyDir = join(first.dataDir, 'keys');
		const fleet = await enrollFleet(ctx, first);
		await db.connect();
		connected = true;
		const visitRows = async () => (await db.query('select count(*)::int as n from visits')).rows[0].n;
		for (const n of PG_PROCESSES) {
			while (servers.length < n) servers.push(await startServer({ env: { ...env, HIROBA_KEY_DIR: keyDir } }));
			fleet.tablets.forEach((t, i) => (t.url = /** @type {{ url: string }} */ (servers[i % n]).url));
			ctx.log(`PostgreSQL, ${n} server process${n > 1 ? 'es' : ''}: ${ROUNDS} rounds, all at once…`);
			const before = await visitRows();
			const m = await measureRounds(fleet.tablets);
			const rowsAdded = (await visitRows()) - before;
			const found = (await db.query('select count(*)::int as n from visits where id::text = any($1::text[])', [m.seen.sentIds])).rows[0].n;
			runs.push({ ...m, processes: n, errors: m.seen.errors, pushed: m.seen.sentIds.length, found, rowsAdded, startRows: before });
		}
	} finally {
		if (connected) await db.end().catch(() => undefined);
		for (const s of servers.reverse()) await s.stop().catch((e) => ctx.log(`stopping a server: ${e instanceof Error ? e.message : String(e)}`));
		const dropDb = new pg.Client({ connectionString: PG_URL });
		await dropDb.connect();
		await dropDb.query(`drop schema if exists ${schema} cascade`);
		await dropDb.end();
	}

	const cores = cpus().length;
	const base = /** @type {(typeof runs)[number]} */ (runs[0]);
	/** @param {number | null} x @param {number} records */
	const per1000 = (x, records) => (x === null ? '—' : `${ms1((1000 * x) / records)} ms`);
	const markdown = [
		`**3b. ${TABLETS} tablets at once, PostgreSQL with ${PG_PROCESSES.join(', ')} server processes.** PostgreSQL at ${redact(PG_URL)}, a fresh schema (\`?options=-c search_path=…\`, dropped afterwards). ` +
			`The built server started on it with the demo data and \`ADDRESS_HEADER=x-forwarded-for\`; ${TABLETS} tablets enrolled through it and pulled the reference data as in part 3 (not measured). ` +
			`Then the same ${ROUNDS} rounds as in part 3, three times: with that one process, with a second, and with four, each further process a built server on the same database ` +
			'(a data folder of its own for its admin socket, the first one’s sealing keys); tablet *i* talks to process *i* mod *n*. ' +
			'The runs follow one another on the same database, so each starts with the visits of those before it. After each, the visits sent in it were looked up in the database by id.',
		'',
		'| server processes | visits in the database at the start | requests | p50 | p95 | p99 | max | rounds | pushed records/s | visits sent · found by id · rows added |',
		'| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
		...runs.map((r) => {
			const all = [...r.seen.lat.push, ...r.seen.lat.pull];
			return (
				`| ${r.processes} | ${fmt(r.startRows)} | ${all.length} | ${ms1(percentile(all, 50))} ms | ${ms1(percentile(all, 95))} ms | ${ms1(r.p99)} ms | ${ms1(Math.max(...all))} ms | ` +
				`${r.roundMs.map((x) => fmt(x)).join(', ')} ms | ${fmt(r.rate)} | ${fmt(r.pushed)} · ${fmt(r.found)} · ${fmt(r.rowsAdded)} |`
			);
		}),
		'',
		`CPU time in the rounds, from /proc (the machine has ${cores} cores, shared with other work; “machine busy” counts every process on it, and “PostgreSQL” every postgres process, whoever it serves):`,
		'',
		'| server processes | wall | machine busy | Hiroba server processes | PostgreSQL | this Node driver | per 1,000 pushed records: server · PostgreSQL |',
		'| --- | --- | --- | --- | --- | --- | --- |',
		...runs.map(
			(r) =>
				`| ${r.processes} | ${fmt(r.wall)} ms | ${r.cpu.machineBusy === null || r.cpu.machineAll === null ? '—' : `${fmt(r.cpu.machineBusy)} ms (${pct(r.cpu.machineBusy, r.cpu.machineAll)} of the cores’ time)`} | ` +
				`${r.cpu.server === null ? '—' : `${fmt(r.cpu.server)} ms`} | ${r.cpu.postgres === null ? '—' : `${fmt(r.cpu.postgres)} ms`} | ${fmt(r.cpu.driver)} ms | ${per1000(r.cpu.server, r.pushed)} · ${per1000(r.cpu.postgres, r.pushed)} |`
		),
		'',
		runs.every((r) => r.errors.length === 0)
			? 'No request failed and every pushed change came back `applied`.'
			: runs
					.filter((r) => r.errors.length)
					.map((r) => `Errors with ${r.processes} process(es) (${r.errors.length}): ${r.errors.slice(0, 5).join('; ')}${r.errors.length > 5 ? '; …' : ''}`)
					.join(' ')
	];
	const busyShare = (/** @type {(typeof runs)[number]} */ r) =>
		r.cpu.machineBusy === null || r.cpu.machineAll === null ? null : Math.round((100 * r.cpu.machineBusy) / r.cpu.machineAll);
	const names = runs.map((r) => `${r.processes === 1 ? 'one process' : r.processes === 2 ? 'two' : r.processes === 4 ? 'four' : r.processes}`);
	/** @param {(typeof runs)[number]} r */
	const cpuPer1000 = (r) => (r.cpu.server === null || r.cpu.postgres === null ? null : (1000 * (r.cpu.server + r.cpu.postgres)) / r.pushed);
	const meaning =
		`Pushed records/s with ${runs.map((r) => r.processes).join(', ')} server processes: ${runs
			.map((r, i) => (i === 0 ? fmt(r.rate) : `${fmt(r.rate)} (${round(r.rate / base.rate, 2)}× one process)`))
			.join(', ')}; p99 ${runs.map((r) => ms1(r.p99)).join(', ')} ms. ` +
		(busyShare(base) === null
			? 'The machine’s CPU time could not be read. '
			: `More processes can add throughput only while the cores have time to spare: the machine’s ${cores} cores were busy ${runs
					.map((r, i) => `${busyShare(r)} % of the rounds’ time with ${names[i]}`)
					.join(', ')} (every process on the machine counted, other work included). `) +
		(runs.every((r) => cpuPer1000(r) !== null)
			? `The Hiroba server processes and PostgreSQL together used ${runs.map((r) => ms1(/** @type {number} */ (cpuPer1000(r)))).join(', ')} ms of CPU per 1,000 pushed records. `
			: '') +
		(runs.every((r) => r.found === r.pushed && r.rowsAdded === r.pushed)
			? 'Every visit sent was in the database once, and no other row was added.'
			: `Not every visit sent arrived exactly once: ${runs.map((r) => `with ${r.processes}, ${fmt(r.found)} found by id and ${fmt(r.rowsAdded)} rows added for ${fmt(r.pushed)} sent`).join('; ')}.`);
	return { measured: true, runs, markdown, meaning };
}
