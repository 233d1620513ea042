/**
 * Sync benchmarks (DESIGN.md "Performance budgets"), against the built server on PGlite:
 *
 * 1. Push of 10,000 records tablet → centre: a tablet page in headless Chromium (real, on-disk
 *    IndexedDB) enrolls, pulls, writes 10,000 visits with saveRecords, then one engine.syncNow()
 *    is timed (20 pushes of 500 and the final pull). The engine's fetch is wrapped to time the
 *    requests themselves, so the split between the centre and the tablet is visible.
 * 2. An up-to-date sync (nothing to push, nothing new to pull): 50 engine.syncNow() calls.
 * 3. 100 tablets syncing at once, from Node with plain fetch: each pushes 50 visits and pulls until
 *    up to date, all at once, 3 rounds.
 * 4. PouchDB: the same 10,000 visit documents in a local PouchDB (IndexedDB) in the same Chromium,
 *    replicated one-shot to a pouchdb-server (in memory) on this machine.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchPersistentChromium, releaseAll } from './lib/browser.js';
import { startPages } from './lib/pages.js';
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
const POUCH_BATCH_SIZES = [100, 500];

/** @typedef {{ name: string, value: number | string, unit: string, budget: string, pass: boolean }} Budget */
/** @typedef {(s: string) => void} Log */

/** @param {number} x */
const fmt = (x) => Math.round(x).toLocaleString('en-US');
/** @param {number} x */
const ms1 = (x) => round(x, 1).toLocaleString('en-US');
const load = () => (loadavg()[0] ?? 0).toFixed(2);

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
			apiTarget: server.url,
			// Dexie's ES entry wraps its UMD build, and pouchdb-browser imports CommonJS helpers and
			// Node's `events` (shimmed): both need Vite's pre-bundling.
			prebundle: ['dexie', ...(pouchServer ? ['pouchdb-browser'] : [])],
			...(pouchServer
				? {
						proxy: { '/pouch': { target: pouchServer.url, changeOrigin: true, rewrite: (/** @type {string} */ p) => p.replace(/^\/pouch/, '') } },
						alias: { events: join(HERE, 'pages', 'events-shim.ts') }
					}
				: {})
		});
		cleanup.push(() => pages.close());

		const profile = mkdtempSync(join(tmpdir(), 'hiroba-bench-chromium-'));
		cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
		const browser = await launchPersistentChromium(profile);
		cleanup.push(() => browser.close());
		const page = browser.pages()[0] ?? (await browser.newPage());
		/** @type {string[]} */
		const pageErrors = [];
		page.on('pageerror', (e) => pageErrors.push(e.message));
		// (PouchDB's first look for a replication checkpoint is an expected 404, which Chromium logs.)
		page.on('console', (m) => m.type() === 'error' && !/status of 404/.test(m.text()) && pageErrors.push(m.text()));
		await page.goto(`${pages.url}/sync.html`);
		await page.waitForFunction(() => 'syncBench' in window, null, { timeout: 60_000 });
		/**
		 * @param {string} fn
		 * @param {unknown} arg
		 * @returns {Promise<any>}
		 */
		const call = (fn, arg) =>
			page.evaluate(([f, a]) => /** @type {any} */ (window).syncBench[/** @type {string} */ (f)](a), /** @type {[string, any]} */ ([fn, arg]));

		ctx.log('tablet: enroll and first pull…');
		const dbName = `hiroba-bench-${Date.now()}`;
		const setup = await call('setup', { code: server.enrollmentCode, dbName });
		ctx.log(`tablet: ${UP_TO_DATE_RUNS} up-to-date syncs, before any backlog…`);
		await call('upToDate', { n: UP_TO_DATE_WARMUP });
		const idleSyncs = await call('upToDate', { n: UP_TO_DATE_RUNS });
		/** @type {Record<string, number>} */
		const idleBefore = await call('idleCosts', null);
		ctx.log(`tablet: writing ${fmt(RECORDS)} visits with saveRecords…`);
		const written = await call('writeVisits', { n: RECORDS, chunk: WRITE_CHUNK });
		if (written.pending !== RECORDS) throw new Error(`outbox holds ${written.pending} changes, expected ${RECORDS}`);

		const costs = await call('tabletCosts', null);
		ctx.log('tablet: timed engine.syncNow() (push everything, then pull)…');
		loads.push(`before push ${load()}`);
		const cpuBeforePush = serverCpuMs();
		const pushed = await call('push', null);
		const cpuPush = cpuBeforePush === null ? null : /** @type {number} */ (serverCpuMs()) - cpuBeforePush;
		if (pushed.pending !== 0) throw new Error(`outbox still holds ${pushed.pending} changes after the sync`);
		if (pushed.failed.length) throw new Error(`requests failed: ${pushed.failed.join(', ')}`);
		const pushRate = RECORDS / (pushed.ms / 1000);
		const serverRate = RECORDS / (pushed.postMs / 1000);
		const otherMs = pushed.ms - pushed.postMs - pushed.getMs;
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
		const upToDate = await call('upToDate', { n: UP_TO_DATE_RUNS });
		/** @type {number[]} */
		const utd = upToDate.each;
		/** @type {Record<string, number>} */
		const idleAfter = await call('idleCosts', null);
		/** @type {number[]} */
		const utdIdle = idleSyncs.each;
		for (const [when, xs] of /** @type {Array<[string, number[]]>} */ ([
			['idle tablet', utdIdle],
			['just after draining the backlog', utd]
		])) {
			const m = median(xs);
			const p95 = percentile(xs, 95);
			budgets.push({ name: `up-to-date sync, ${when}: median of ${UP_TO_DATE_RUNS}`, value: round(m, 1), unit: 'ms', budget: '≤ 50 ms', pass: m <= 50 });
			budgets.push({ name: `up-to-date sync, ${when}: p95 of ${UP_TO_DATE_RUNS}`, value: round(p95, 1), unit: 'ms', budget: '≤ 50 ms', pass: p95 <= 50 });
		}

		/** @type {any} */
		let pouch = null;
		if (pouchServer) {
			ctx.log(`PouchDB: loading ${fmt(RECORDS)} documents, then one-shot replications (batch_size ${POUCH_BATCH_SIZES.join(', ')})…`);
			loads.push(`before PouchDB ${load()}`);
			try {
				pouch = await call('pouch', { batchSizes: POUCH_BATCH_SIZES, chunk: WRITE_CHUNK, dbName: `${dbName}-pouch` });
				for (const r of pouch.runs) {
					if (!r.ok || r.docsWritten !== RECORDS || r.remoteCount !== RECORDS || r.failed.length)
						throw new Error(`PouchDB replication (batch_size ${r.batchSize}) incomplete: ${JSON.stringify({ ...r, kinds: undefined })}`);
				}
			} catch (e) {
				pouchProblem = `the PouchDB run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
				pouch = null;
			}
		}
		if (pouch) {
			for (const r of pouch.runs) r.rate = RECORDS / (r.ms / 1000);
			const best = pouch.runs.reduce((/** @type {any} */ a, /** @type {any} */ b) => (b.rate > a.rate ? b : a));
			// DESIGN.md's reference ("PouchDB from headless Chromium did about 1,200–2,000/s here")
			// is PouchDB replicating as it comes, batch_size 100: the budget is held against that run.
			// PouchDB tuned to our batch size is reported beside it, as a harder comparison.
			const standard = pouch.runs.find((/** @type {any} */ r) => r.batchSize === 100) ?? best;
			budgets.push({
				name: `PouchDB replicate, default batch_size ${standard.batchSize}`,
				value: Math.round(standard.rate),
				unit: 'docs/s',
				budget: 'information',
				pass: true
			});
			budgets.push({
				name: 'our push ÷ PouchDB replicate (default settings)',
				value: round(pushRate / standard.rate, 1),
				unit: '×',
				budget: '≥ 5×',
				pass: pushRate / standard.rate >= 5
			});
			if (best !== standard) {
				budgets.push({
					name: `PouchDB replicate, tuned to batch_size ${best.batchSize}`,
					value: Math.round(best.rate),
					unit: 'docs/s',
					budget: 'information',
					pass: true
				});
				budgets.push({
					name: `our push ÷ PouchDB tuned (batch_size ${best.batchSize})`,
					value: round(pushRate / best.rate, 1),
					unit: '×',
					budget: 'information',
					pass: true
				});
			}
		} else {
			budgets.push({ name: 'our push ÷ PouchDB replicate', value: 'not measured', unit: '', budget: '≥ 5×', pass: false });
		}
		if (pageErrors.length) ctx.log(`page errors: ${pageErrors.join(' | ')}`);

		ctx.log(`the centre alone: ${fmt(RECORDS)} records from Node, no browser or proxy…`);
		const direct = await directPush(server, setup);
		const directRate = RECORDS / (direct.total / 1000);
		budgets.push({
			name: '… the centre alone: the same pushes from Node, no proxy',
			value: Math.round(directRate),
			unit: 'records/s',
			budget: 'information',
			pass: true
		});

		// The browser, page server and first centre go before the next part, to free the CPU.
		await release();

		// ── Part 3: 100 tablets at once, from Node ──────────────────────────────────────────────
		ctx.log(`${TABLETS} tablets: a fresh centre, codes and enrollment…`);
		const many = await manyTablets(ctx);

		// ── The report ──────────────────────────────────────────────────────────────────────────
		budgets.push({ name: `${TABLETS} tablets at once: errors`, value: many.errors.length, unit: '', budget: '0', pass: many.errors.length === 0 });
		budgets.push({ name: `${TABLETS} tablets at once: p50 per request`, value: round(many.p50, 1), unit: 'ms', budget: 'information', pass: true });
		budgets.push({ name: `${TABLETS} tablets at once: p99 per request`, value: round(many.p99, 1), unit: 'ms', budget: '≤ 500 ms', pass: many.p99 <= 500 });
		loads.push(`end ${load()}`);

		md.push(
			'**Set-up.** The built server (`scripts/start.js`, adapter-node, `NODE_ENV=production`) on a fresh PGlite folder with the demo data; ' +
				'the tablet is a page of the bench Vite server (bench/pages/sync.ts) that imports the app’s own `HirobaDB`, `saveRecords`, `enrollTablet` and `SyncEngine`, ' +
				'in headless Chromium with a real profile folder (so IndexedDB is on disk, not the in-memory store of an off-the-record context), talking to the centre through the page server’s same-origin `/api` proxy. ' +
				`Server, proxy, Chromium and the Node driver share the machine’s ${cpus().length} cores; 1-minute load average: ${loads.join(', ')}.`,
			'',
			`**1. Push of ${fmt(RECORDS)} records.** The page enrolled with the banner’s code (site ${setup.site}), pulled ${fmt(Object.values(/** @type {Record<string, number>} */ (setup.counts)).reduce((a, b) => a + b, 0))} reference rows in ${ms1(setup.pullMs)} ms, ` +
				`then wrote ${fmt(RECORDS)} check-ins of real demo households at the site’s session of ${setup.sessionDate} with \`saveRecords\`, ${WRITE_CHUNK} per transaction (${ms1(written.ms)} ms, ${fmt(RECORDS / (written.ms / 1000))} records/s; untimed for the budget). ` +
				`Timed: one \`engine.syncNow()\` from call to resolve: ${pushed.posts} pushes (batch size 500, ${fmt(pushed.postBytes / pushed.posts / 1024)} KiB each) and the final pull.`,
			'',
			'| part of the sync | time | share |',
			'| --- | --- | --- |',
			`| whole \`syncNow()\` | ${ms1(pushed.ms)} ms | 100 % |`,
			`| ${pushed.posts} POST /sync/push, request sent → last byte of the answer (server work + proxy + loopback) | ${ms1(pushed.postMs)} ms (median ${ms1(median(pushed.postEach))}, max ${ms1(Math.max(...pushed.postEach))} ms per push) | ${Math.round((100 * pushed.postMs) / pushed.ms)} % |`,
			...(cpuPush === null
				? []
				: [`| … the server process’s CPU time in all that (from /proc) | ${ms1(cpuPush)} ms | ${Math.round((100 * cpuPush) / pushed.ms)} % |`]),
			`| ${pushed.gets} GET /sync/pull | ${ms1(pushed.getMs)} ms | ${Math.round((100 * pushed.getMs) / pushed.ms)} % |`,
			`| the tablet, between the requests: reading each batch from the outbox, JSON, acknowledging it in IndexedDB | ${ms1(otherMs)} ms (${ms1(pushed.beforeFirst)} ms before the first push; between pushes median ${ms1(median(pushed.gaps))}, max ${ms1(Math.max(...pushed.gaps))} ms) | ${Math.round((100 * otherMs) / pushed.ms)} % |`,
			'',
			`Where the tablet’s time between pushes goes, measured alone in the same page just before the timed sync (medians): reading a batch of 500 from the outbox as \`#nextBatch\` does ${ms1(costs.readBatchMs)} ms; ` +
				`its request JSON ${ms1(costs.jsonBatchMs)} ms; committing a one-row read-write IndexedDB transaction ${ms1(costs.rwCommitMs)} ms (a read-only one ${ms1(costs.roTxMs)} ms). ` +
				`The rest of each gap is the acknowledging transaction: in a scratch database with the outbox’s schema, deleting 500 outbox rows by their keys (\`bulkDelete\`, as the engine does) and setting a meta row took ${ms1(costs.ackByKeysMs)} ms; the same rows as one key range (\`where(':id').between(…).delete()\`) ${ms1(costs.ackByRangeMs)} ms. ` +
				`The centre alone, for comparison: the same ${RECORDS / 500} pushes of 500 visits sent from Node straight to the server (no browser, no proxy; a second device at the same site) took ${ms1(direct.total)} ms ` +
				`(median ${ms1(median(direct.each))} ms per push), ${fmt(directRate)} records/s; the difference to the POST time above is the page server’s proxy and Chromium’s network stack, and the CPU that they and the page take from the server.`,
			'',
			`**2. Up-to-date sync.** ${UP_TO_DATE_RUNS} timed \`engine.syncNow()\` calls in a row (after ${UP_TO_DATE_WARMUP} untimed ones), each with an empty outbox and nothing new at the centre: ` +
				'one GET /sync/pull each, plus the engine’s IndexedDB work (the device, the outbox count and next batch, the empty page’s cursor transaction, `lastSuccessAt`, the status counts). ' +
				'Measured twice: on the idle tablet just after its first pull (its outbox never used), and again just after the push above drained 10,000 changes from the outbox.',
			'',
			'| up-to-date sync | median | p95 | max | the pull request alone (median, p95) | IndexedDB operations of the cycle, each timed alone (medians of 20) |',
			'| --- | --- | --- | --- | --- | --- |',
			...[
				['idle tablet', idleSyncs, idleBefore],
				['just after draining the backlog', upToDate, idleAfter]
			].map(
				([when, r, ops]) =>
					`| ${when} | ${ms1(median(r.each))} ms | ${ms1(percentile(r.each, 95))} ms | ${ms1(Math.max(...r.each))} ms | ${ms1(median(r.requests))} ms, ${ms1(percentile(r.requests, 95))} ms | ${Object.entries(
						ops
					)
						.map(([k, v]) => `${k} ${ms1(/** @type {number} */ (v))} ms`)
						.join(', ')} |`
			),
			'',
			`**3. ${TABLETS} tablets at once.** ${many.description}`,
			'',
			'| requests | count | p50 | p95 | p99 | max |',
			'| --- | --- | --- | --- | --- | --- |',
			...many.rows,
			'',
			many.errors.length
				? `Errors (${many.errors.length}): ${many.errors.slice(0, 5).join('; ')}${many.errors.length > 5 ? '; …' : ''}`
				: 'No request failed and every pushed change came back `applied`.',
			'',
			...pouchMarkdown(pouch, pouchProblem, pushRate),
			'',
			'**Where the time goes.**',
			'',
			`- *Push (${fmt(pushRate)} records/s).* The centre is not the limit: alone it takes ${fmt(directRate)} records/s, and the POSTs are ${Math.round((100 * pushed.postMs) / pushed.ms)} % of the sync. ` +
				`The tablet’s work between the requests is ${Math.round((100 * otherMs) / pushed.ms)} %: \`#pushAll\` in src/lib/client/sync/engine.ts acknowledges each batch by deleting its 500 outbox rows one key at a time (\`bulkDelete\`, ${ms1(costs.ackByKeysMs)} ms a batch measured alone, against ${ms1(costs.ackByRangeMs)} ms for one key-range delete of the same rows), ` +
				`then reads the next batch (${ms1(costs.readBatchMs)} ms); nothing overlaps the request in flight. At 10,000 records/s the whole sync has ${fmt((RECORDS / 10_000) * 1000)} ms, of which the centre alone needs ${fmt(direct.total)} ms.`,
			`- *Up-to-date sync.* On an idle tablet it is ${ms1(median(utdIdle))} ms (median), mostly the pull request through the proxy. Just after a backlog the outbox’s \`state\` index queries (pending count, next batch) take ${ms1(idleAfter['outbox pending count'] ?? NaN)} ms each instead of ${ms1(idleBefore['outbox pending count'] ?? NaN)} ms, ` +
				'though the outbox is empty both times; most likely IndexedDB (LevelDB underneath) still walks the 10,000 deleted entries until it compacts them. An up-to-date cycle runs three such queries (the pending count and `#nextBatch` in `#pushAll`, the pending count in `refreshCounts`).',
			`- *${TABLETS} tablets at once.* Server-bound: ${many.cpuPerTablet === null ? 'the server’s CPU time per tablet and round could not be read' : `${ms1(many.cpuPerTablet)} ms of server CPU per tablet and round`} (a push of ${PER_PUSH} alone ${ms1(many.alone.push)} ms, its pull ${ms1(many.alone.pull)} ms), ` +
				`and PGlite runs every statement on the server’s one thread, so simultaneous requests queue and the p99 is about the time to serve all ${TABLETS}. Within 500 ms that is at most ~5 ms of server time per tablet (push and pull), where each statement already costs PGlite ~0.1–0.2 ms of fixed overhead (a push is 8 statements with BEGIN/COMMIT, a pull up to 7).`,
			...(pouch ? [pouchRatioText(pouch)] : []),
			...(pageErrors.length ? ['', `Errors in the page: ${pageErrors.slice(0, 5).join(' | ')}`] : [])
		);
		return { markdown: md.join('\n'), budgets };
	} finally {
		await release();
	}
}

/**
 * @param {any} pouch
 * @param {string | null} problem
 * @param {number} pushRate
 */
function pouchMarkdown(pouch, problem, pushRate) {
	if (!pouch) {
		return [`**4. PouchDB.** Not measured: ${problem ?? 'unknown reason'}. The “≥ 5× PouchDB” budget is therefore marked missed, not assumed.`];
	}
	return [
		`**4. PouchDB** (pouchdb-browser 9 with its IndexedDB adapter in the same Chromium profile; pouchdb-server 4.2 \`--in-memory\` on 127.0.0.1, reached through the page server’s same-origin \`/pouch\` proxy just as the centre is through \`/api\`). ` +
			`The same ${fmt(pouch.docs)} visit documents (\`_id\` = the record id, the record’s fields and stamp) were put into a local PouchDB with \`bulkDocs\`, ${WRITE_CHUNK} at a time (${ms1(pouch.loadMs)} ms, untimed), ` +
			'then each timed run is one `PouchDB.replicate(local, remote, { batch_size })` to a new, empty remote database (created before the clock starts). ' +
			'batch_size 100 is PouchDB’s default, the configuration behind DESIGN.md’s 1,200–2,000 docs/s, and the budget ratio uses it; 500 matches our push batch and is reported as a harder comparison.',
		'',
		'| PouchDB run | time | docs/s | requests (time in them) | our push ÷ this |',
		'| --- | --- | --- | --- | --- |',
		...pouch.runs.map(
			(/** @type {any} */ r) =>
				`| batch_size ${r.batchSize} | ${ms1(r.ms)} ms | ${fmt(r.rate)} | ${r.requests} (${ms1(r.requestMs)} ms: ${Object.entries(r.kinds)
					.map(([k, v]) => `${v.n}× ${k}`)
					.join(', ')}) | ${round(pushRate / r.rate, 1)}× |`
		)
	];
}

/**
 * CPU time (user + system, ms) used so far by this process's children running the Hiroba server
 * (scripts/start.js), from /proc; null where there is no /proc.
 */
function serverCpuMs() {
	try {
		let total = 0;
		for (const pid of readdirSync('/proc')) {
			if (!/^\d+$/.test(pid)) continue;
			let stat;
			try {
				stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			} catch {
				continue;
			}
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[1]) !== process.pid) continue;
			if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scripts/start.js')) continue;
			total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in ticks of 1/100 s
		}
		return total;
	} catch {
		return null;
	}
}

/** @param {any} pouch */
function pouchRatioText(pouch) {
	const best = pouch.runs.reduce((/** @type {any} */ a, /** @type {any} */ b) => (b.rate > a.rate ? b : a));
	const slowest = Math.min(...pouch.runs.map((/** @type {any} */ r) => r.rate));
	return (
		`- *PouchDB ratio.* Follows from the push rate: 5× PouchDB’s best run here (batch_size ${best.batchSize}, ${fmt(best.rate)} docs/s, ${Math.round((100 * best.requestMs) / best.ms)} % of it in its HTTP requests) ` +
		`is ${fmt(5 * best.rate)} records/s; 5× its default batch_size 100 run is ${fmt(5 * slowest)} records/s.`
	);
}

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

/** pouchdb-server in memory, in a temp folder (it writes its config and log file there). */
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
 * @typedef {{ i: number, id: string, token: string, node: string, siteId: string, cursor: string,
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
 * The centre alone: the same 20 pushes of 500 visits, from Node straight to the server (no browser,
 * no proxy), by a second device enrolled at the same site. Times each POST to the last byte.
 * @param {Awaited<ReturnType<typeof startServer>>} server
 * @param {{ siteId: string, sessionId: string, households: Array<{ id: string, cardCode: string }> }} setup
 */
async function directPush(server, setup) {
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
	for (let done = 0; done < RECORDS; done += 500) {
		const body = JSON.stringify({ protocol: 1, changes: visitChanges(t, Math.min(500, RECORDS - done)) });
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

/** @param {{ log: Log }} ctx */
async function manyTablets(ctx) {
	const server = await startServer({ env: { ADDRESS_HEADER: 'x-forwarded-for' } });
	try {
		/** @type {Array<{ id: string, nameJa: string, active: boolean }>} */
		const sites = server.admin(['sites']).sites.filter((/** @type {{ active: boolean }} */ s) => s.active);
		// ~30 sites and ~100 tablets is one ward (DESIGN.md): the tablets go round the sites.
		const t0 = performance.now();
		const codes = Array.from({ length: TABLETS }, (_, i) => {
			const site = /** @type {{ id: string, nameJa: string, active: boolean }} */ (sites[i % sites.length]);
			return { site, code: /** @type {string} */ (server.admin(['enroll-code', site.id]).code) };
		});
		const codesMs = performance.now() - t0;

		/** @type {string[]} */
		const setupErrors = [];
		/**
		 * @param {string} path
		 * @param {RequestInit} init
		 */
		const raw = async (path, init) => {
			const res = await fetch(server.url + path, init);
			const text = await res.text();
			if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path.split('?')[0]} → ${res.status} ${text.slice(0, 200)}`);
			return JSON.parse(text);
		};

		/** @type {Tablet[]} */
		const tablets = [];
		for (let start = 0; start < TABLETS; start += 10) {
			const batch = await Promise.all(
				codes.slice(start, start + 10).map(async ({ site, code }, k) => {
					const i = start + k;
					const r = await raw('/api/v1/devices/enroll', {
						method: 'POST',
						headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.77.${i >> 8}.${(i & 255) + 1}` },
						body: JSON.stringify({ code, name: `bench tablet ${i + 1}` })
					});
					return {
						i,
						id: r.deviceId,
						token: r.token,
						node: r.deviceId.replace(/-/g, ''),
						siteId: site.id,
						cursor: '0',
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

		/** Latencies of the measured phase, by kind. @type {{ push: number[], pull: number[] }} */
		const lat = { push: [], pull: [] };
		/** @type {string[]} */
		const errors = [];
		let measuring = false;
		/** Rows pulled in the measured phase, by table. @type {Record<string, number>} */
		const pulled = {};

		/**
		 * One request; in the measured phase its latency (to the last byte) and any failure count.
		 * @param {Tablet} t
		 * @param {'push' | 'pull'} kind
		 * @param {string} path
		 * @param {unknown} [body]
		 */
		const request = async (t, kind, path, body) => {
			const init = {
				method: body ? 'POST' : 'GET',
				headers: { authorization: `Bearer ${t.token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
				body: body ? JSON.stringify(body) : undefined
			};
			const started = performance.now();
			try {
				const res = await fetch(server.url + path, init);
				const text = await res.text();
				if (measuring) lat[kind].push(performance.now() - started);
				if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`);
				return JSON.parse(text);
			} catch (e) {
				(measuring ? errors : setupErrors).push(`tablet ${t.i + 1} ${kind}: ${e instanceof Error ? e.message : String(e)}`);
				return null;
			}
		};

		/** @param {Tablet} t */
		const pullAll = async (t) => {
			/** @type {any[]} */
			const changes = [];
			for (;;) {
				const page = await request(t, 'pull', `/api/v1/sync/pull?since=${t.cursor}&limit=1000`);
				if (!page) return changes;
				changes.push(...page.changes);
				t.cursor = page.cursor;
				if (!page.more) return changes;
			}
		};

		/** @param {Tablet} t */
		const pushVisits = async (t) => {
			const r = await request(t, 'push', '/api/v1/sync/push', { protocol: 1, changes: visitChanges(t, PER_PUSH) });
			if (r) {
				const notApplied = r.results.filter((/** @type {{ status: string }} */ x) => x.status !== 'applied');
				if (notApplied.length) errors.push(`tablet ${t.i + 1} push: ${notApplied.length} not applied (${JSON.stringify(notApplied[0])})`);
			}
		};

		// First pull of each tablet (not measured): reference data, and a session at its site.
		ctx.log(`${TABLETS} tablets: first pull…`);
		const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
		for (let start = 0; start < TABLETS; start += 10) {
			await Promise.all(
				tablets.slice(start, start + 10).map(async (t) => {
					const changes = await pullAll(t);
					const sessions = changes.filter((c) => c.table === 'sessions' && !c.deleted && c.data.siteId === t.siteId);
					sessions.sort((a, b) => Math.abs(Date.parse(a.data.date) - Date.parse(today)) - Math.abs(Date.parse(b.data.date) - Date.parse(today)));
					t.sessionId = sessions[0]?.id ?? '';
					t.sessionDate = sessions[0]?.data.date ?? '';
					t.households = changes.filter((c) => c.table === 'households' && !c.deleted).map((c) => ({ id: c.id, cardCode: c.data.cardCode }));
				})
			);
		}
		if (setupErrors.length) throw new Error(`set-up failed: ${setupErrors.slice(0, 3).join('; ')}`);
		// A tablet holds only the families of its sites; at a site with none of its own, its visitors
		// are families from elsewhere, checked in by card (the card code lets the centre take them).
		const ward = [...new Map(tablets.flatMap((t) => t.households).map((h) => [h.id, h])).values()];
		for (const t of tablets) if (t.households.length === 0) t.households = ward;
		const noSession = tablets.filter((t) => !t.sessionId || t.households.length === 0);
		if (noSession.length) throw new Error(`${noSession.length} tablets found no session or no households at their site`);
		const sharing = tablets.filter((t) => Math.abs(Date.parse(t.sessionDate) - Date.parse(today)) <= 86_400_000).length;

		ctx.log(`${TABLETS} tablets: ${ROUNDS} rounds, all at once…`);
		measuring = true;
		/** @type {number[]} */
		const roundMs = [];
		const cpuBefore = serverCpuMs();
		for (let r = 0; r < ROUNDS; r++) {
			const started = performance.now();
			await Promise.all(
				tablets.map(async (t) => {
					await pushVisits(t);
					for (const c of await pullAll(t)) pulled[c.table] = (pulled[c.table] ?? 0) + 1;
				})
			);
			roundMs.push(performance.now() - started);
		}
		measuring = false;
		const cpuAfter = serverCpuMs();
		const wall = roundMs.reduce((a, b) => a + b, 0);
		const measuredErrors = [...errors];
		// For comparison, the same requests one at a time (20 tablets, one after another).
		/** @type {{ push: number[], pull: number[] }} */
		const alone = { push: [], pull: [] };
		for (const t of tablets.slice(0, 20)) {
			let started = performance.now();
			await pushVisits(t);
			alone.push.push(performance.now() - started);
			started = performance.now();
			await pullAll(t);
			alone.pull.push(performance.now() - started);
		}
		const cpuPerTablet = cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / (TABLETS * ROUNDS) : null;
		const cpu =
			cpuBefore !== null && cpuAfter !== null
				? ` The server process used ${fmt(cpuAfter - cpuBefore)} ms of CPU in the ${fmt(wall)} ms of the rounds (${Math.round((100 * (cpuAfter - cpuBefore)) / wall)} % of one core: the Node thread that runs the app and PGlite, which executes every query on it, is saturated; GC and I/O threads add the rest), ` +
					`about ${ms1((cpuAfter - cpuBefore) / (TABLETS * ROUNDS))} ms per tablet per round: so the last of ${TABLETS} tablets that arrive at once waits for the others’ ${TABLETS - 1} turns, and the p99 comes close to ${TABLETS} × that.`
				: '';
		const aloneText = ` One at a time instead (20 tablets in turn, after the rounds): a push of ${PER_PUSH} takes ${ms1(median(alone.push))} ms and the pull that follows ${ms1(median(alone.pull))} ms (medians).`;
		const all = [...lat.push, ...lat.pull];
		/** @param {string} name @param {number[]} xs */
		const row = (name, xs) =>
			`| ${name} | ${xs.length} | ${ms1(percentile(xs, 50))} ms | ${ms1(percentile(xs, 95))} ms | ${ms1(percentile(xs, 99))} ms | ${ms1(Math.max(...xs))} ms |`;
		const description =
			`A second, fresh centre (PGlite, demo data) started with \`ADDRESS_HEADER=x-forwarded-for\`; ${TABLETS} enrollment codes from \`npm run admin -- enroll-code <siteId> --json\` (${fmt(codesMs)} ms), ` +
			`the tablets spread round the ${sites.length} active sites (as one ward’s ~100 tablets over ~30 sites), each enrolled with its own X-Forwarded-For, then pulled the reference data (not measured). ` +
			`Each tablet uses the session of its site nearest today (${sharing} of the ${TABLETS} have one within a day of today, so they also pull the visits of the other tablets at their site). ` +
			`Measured: ${ROUNDS} rounds; in each, all ${TABLETS} tablets at once push one batch of ${PER_PUSH} valid visits, then pull until up to date (limit 1000), from one Node process with plain \`fetch\` (no browser). ` +
			`Latency is per request, from send to the last byte of the answer, on the same 2 cores as the server, so it includes the client’s own queueing. ` +
			`${all.length} requests, ${fmt(Object.values(pulled).reduce((a, b) => a + b, 0))} rows pulled (${
				Object.entries(pulled)
					.map(([k, v]) => `${k} ${fmt(v)}`)
					.join(', ') || 'none'
			}); rounds took ${roundMs.map((x) => `${fmt(x)} ms`).join(', ')} (${fmt(all.length / (roundMs.reduce((a, b) => a + b, 0) / 1000))} requests/s, ` +
			`${fmt((TABLETS * PER_PUSH * ROUNDS) / (roundMs.reduce((a, b) => a + b, 0) / 1000))} pushed records/s).${cpu}${aloneText}`;
		return {
			errors: measuredErrors,
			cpuPerTablet,
			alone: { push: median(alone.push), pull: median(alone.pull) },
			p50: percentile(all, 50),
			p99: percentile(all, 99),
			rows: [row('all', all), row('POST /sync/push (50 visits)', lat.push), row('GET /sync/pull', lat.pull)],
			description
		};
	} finally {
		await server.stop();
	}
}
