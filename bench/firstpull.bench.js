/**
 * A new tablet's first pull over a slow link (DESIGN.md "Performance budgets": for a ward of 30,000
 * households (its share of them), over a link throttled to 1.6 Mbit/s with 150 ms latency, ready
 * to check in within 30 s).
 *
 * The centre: the built server (PGlite) on a store holding a generated fictional ward
 * (bench/lib/ward.js): 30 sites, 30,000 households and their children, a year of sessions up to
 * today and the rest of the 年度 scheduled, 300,000 visits over the past year. Which families each
 * site's tablets hold is worked out by the app's own rule (holdings.ts `noteHouseholdWrites`, as
 * every household write does: registered there, or seen there in the last 13 months); the tablet
 * enrolls at the site with the largest share.
 *
 * The tablet: a page of the bench Vite server (bench/pages/firstpull.ts) in headless Chromium with
 * a real profile folder (IndexedDB on disk), running the app's own `enrollTablet` and `SyncEngine`;
 * its network is throttled through CDP `Network.emulateNetworkConditions`, and its CPU, for the
 * tablet stand-in, with `Emulation.setCPUThrottlingRate`. Timed: from the enroll request to the end
 * of the first `syncNow()`, whose pull brings every page (see READY below).
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createServer } from 'vite';
import { launchPersistentChromium, releaseAll } from './lib/browser.js';
import { checkSymbol } from './lib/cards.js';
import { openOn, startPages } from './lib/pages.js';
import { startServer } from './lib/server.js';
import { round } from './lib/stats.js';
import { generateWard } from './lib/ward.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const title = 'First pull: a new tablet over a 1.6 Mbit/s, 150 ms link (ward of 30,000 households)';

const BUDGET_MS = 30_000;
const SIZE = {
	households: Number(process.env.FIRSTPULL_BENCH_HOUSEHOLDS ?? 30_000),
	visits: Number(process.env.FIRSTPULL_BENCH_VISITS ?? 300_000),
	consultations: Number(process.env.FIRSTPULL_BENCH_CONSULTATIONS ?? 30_000)
};
/** Staff per site on the roster (the consultants of ward.js come on top). */
const STAFF_PER_SITE = 3;

/**
 * The link, two readings. CDP's emulation delays each request by `latency` and paces its bytes;
 * a real link with a 150 ms round trip costs more per request than that (a new connection's
 * handshakes, TCP slow start again after each idle gap between pages). Lighthouse's "DevTools
 * throttling" stands for the same link (150 ms, 1.6 Mbit/s) with request latency × 3.75 and
 * throughput × 0.9 (lighthouse core/config/constants.js, crbug.com/721112). The budget is held on
 * the stricter of the two, measured; the other is shown beside it.
 */
const LINKS = [
	{ key: 'briefed', name: 'as given: latency 150 ms, 200,000 B/s each way', latency: 150, down: 200_000, up: 200_000 },
	{ key: 'adjusted', name: 'request-level adjusted: latency 562.5 ms, 180,000 B/s each way', latency: 150 * 3.75, down: 200_000 * 0.9, up: 200_000 * 0.9 }
];
const CPU_RATES = [1, 4];

/** @typedef {{ name: string, value: number | string, unit: string, budget: string, pass: boolean }} Budget */

/** @param {number} x */
const fmt = (x) => Math.round(x).toLocaleString('en-US');
/** @param {number} ms */
const s1 = (ms) => (ms / 1000).toFixed(1);
/** @param {number} b */
const kb = (b) => `${fmt(b / 1000)} kB`;
const load = () => (loadavg()[0] ?? 0).toFixed(2);

/** @param {{ log: (s: string) => void }} ctx */
export async function run(ctx) {
	/** @type {Array<() => Promise<unknown> | unknown>} */
	const cleanup = [];
	/** @type {Budget[]} */
	const budgets = [];
	/** @type {string[]} */
	const md = [];
	const loads = [`start ${load()}`];
	try {
		// ── The centre's store, prepared in this process, then served by the built server ─────────
		const dataDir = mkdtempSync(join(tmpdir(), 'hiroba-firstpull-bench-'));
		let serverOwnsDir = false;
		cleanup.push(() => serverOwnsDir || rmSync(dataDir, { recursive: true, force: true }));
		ctx.log('generating the ward in a fresh PGlite store…');
		const ward = await prepareWard(dataDir, ctx.log);
		ctx.log(
			`ward: ${JSON.stringify(ward.counts)} in ${s1(ward.ms)} s; tablet at ${ward.site.name}: ${fmt(ward.site.households)} households, ${fmt(ward.site.children)} children`
		);

		ctx.log('starting the built server on it…');
		const server = await startServer({ dataDir, demo: false });
		serverOwnsDir = true;
		cleanup.push(() => server.stop());

		ctx.log('the centre alone: the same pull from Node, unthrottled…');
		const direct = await directPull(server, ward.site.id);

		const pages = await startPages({ prebundle: ['dexie'] });
		cleanup.push(() => pages.close());
		const profile = mkdtempSync(join(tmpdir(), 'hiroba-bench-chromium-'));
		cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
		const browser = await launchPersistentChromium(profile);
		cleanup.push(() => browser.close());
		const page = browser.pages()[0] ?? (await browser.newPage());
		/** @type {string[]} */
		const pageErrors = [];
		page.on('pageerror', (e) => pageErrors.push(e.message));
		// (A favicon Chromium asks for and does not find: it logs the 404.)
		page.on('console', (m) => m.type() === 'error' && !/status of 404/.test(m.text()) && pageErrors.push(m.text()));
		await openOn(page, pages, server.url, 'firstpull.html');
		await page.waitForFunction(() => 'firstPullBench' in window, null, { timeout: 60_000 });
		const cdp = await page.context().newCDPSession(page);
		const net = networkLog(cdp);
		await cdp.send('Network.enable');

		/** @type {any[]} */
		const runs = [];
		for (const link of LINKS) {
			for (const rate of CPU_RATES) {
				ctx.log(`first pull: ${link.key} link, CPU ${rate}×…`);
				loads.push(`before ${link.key} ${rate}× ${load()}`);
				const { code } = server.admin(['enroll-code', ward.site.id]);
				await cdp.send('Network.emulateNetworkConditions', {
					offline: false,
					latency: link.latency,
					downloadThroughput: link.down,
					uploadThroughput: link.up
				});
				await cdp.send('Emulation.setCPUThrottlingRate', { rate });
				net.clear();
				/** @type {any} */
				let r;
				try {
					r = await page.evaluate((a) => /** @type {any} */ (window).firstPullBench.firstPull(a), {
						code,
						dbName: `hiroba-firstpull-${link.key}-${rate}-${Date.now()}`,
						card: ward.probe.card
					});
				} finally {
					await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
					await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
				}
				const requests = net.requests().filter((q) => q.wallSent >= r.t0 - 1 && q.wallSent <= r.t1 + 1);
				runs.push(summarise(link, rate, r, requests, ward));
				ctx.log(`  ready in ${s1(r.readyMs)} s; ${requests.length} requests, ${kb(runs[runs.length - 1].wire)} on the wire`);
			}
		}
		if (pageErrors.length) ctx.log(`page errors: ${pageErrors.join(' | ')}`);
		loads.push(`end ${load()}`);

		// ── Budgets ───────────────────────────────────────────────────────────────────────────────
		const at = (/** @type {string} */ key, /** @type {number} */ rate) => runs.find((x) => x.link.key === key && x.rate === rate);
		const strict = LINKS.map((l) => at(l.key, 1)).reduce((a, b) => (b.readyMs > a.readyMs ? b : a));
		for (const x of runs) {
			const held = x === strict;
			budgets.push({
				name: `new tablet ready to check in, ${x.link.key === 'briefed' ? 'link as given' : 'link adjusted to request level'}${x.rate === 1 ? '' : `, ${x.rate}× CPU throttling`}${held ? ' (the stricter reading: budget held here)' : ''}`,
				value: round(x.readyMs / 1000, 1),
				unit: 's',
				budget: held ? '≤ 30 s' : 'information',
				pass: held ? x.readyMs <= BUDGET_MS : true
			});
		}
		const wrong = runs.filter((x) => x.problems.length > 0);
		budgets.push({
			name: 'the tablet holds exactly its share, and a card of the share checks in (every run)',
			value: wrong.length === 0 ? 'yes' : `no (${wrong.length} runs)`,
			unit: '',
			budget: 'yes',
			pass: wrong.length === 0
		});

		// ── The report ────────────────────────────────────────────────────────────────────────────
		const first = /** @type {any} */ (runs[0]);
		md.push(
			`**Set-up.** The built server (\`scripts/start.js\`, adapter-node, \`NODE_ENV=production\`, PGlite) on a store holding a generated fictional ward (bench/lib/ward.js, generated in ${s1(ward.ms)} s): ` +
				`${fmt(ward.counts.households)} households, ${fmt(ward.counts.children)} children, 30 sites in 3 programs, ${fmt(ward.counts.sessions)} sessions (${ward.from} to ${ward.to}: held or rained off before today ${ward.today}, today’s open, the rest of the 年度 scheduled), ` +
				`${fmt(ward.counts.visits)} visits over the past year (4 in 5 at the family’s home site), ${fmt(ward.counts.consultations)} consultations, a roster of ${fmt(ward.counts.staff)} staff, the default topics and the demo ward’s ${fmt(ward.counts.towns)} towns. ` +
				`Which families each site’s tablets hold was worked out by the app’s own rule (holdings.ts \`noteHouseholdWrites\`, as every household write does: registered at the site or seen there in the last 13 months): ` +
				`shares per site from ${fmt(ward.shares.min)} to ${fmt(ward.shares.max)} households (median ${fmt(ward.shares.median)}). ` +
				`The tablet enrolls at the site with the largest share, ${ward.site.name}: ${fmt(ward.site.households)} households and ${fmt(ward.site.children)} children.`,
			'',
			`**The tablet.** A page of the bench Vite server (bench/pages/firstpull.ts) in headless Chromium with a real profile folder (IndexedDB on disk), running the app’s own \`enrollTablet\` and \`SyncEngine\` (default page size ${first.pullLimit}), ` +
				`opened on the centre’s own origin as a tablet’s page is, so its requests go from Chromium straight to the server (the page’s own files, and only those, are handed to Chromium by the driver through CDP’s Fetch domain). Its network is throttled by CDP \`Network.emulateNetworkConditions\` (the server is on loopback, unthrottled otherwise); ` +
				`CPU throttling by \`Emulation.setCPUThrottlingRate\`. Each run is a new device with its own enrollment code and its own database. ` +
				`Requests are timed from CDP’s network events; bytes “on the wire” are CDP’s \`encodedDataLength\` (what crossed the throttled link: the body as sent, compressed or not, and the headers), “JSON” is the body after decoding. ` +
				`Server, Chromium and the Node driver share the machine’s ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}); 1-minute load average: ${loads.join(', ')}.`,
			'',
			`**Ready to check in** is the end of the first \`syncNow()\` after enrolling: its pull has brought every page (\`more: false\`), so the tablet holds all it will hold of its families, its sessions (today’s among them), its roster and the reference lists. ` +
				`The kiosk could accept a scan earlier (a card not yet on the tablet checks in offline and is resolved after sync), but the families it would greet by name arrive only with the last page: rows come in sequence order, not by family. ` +
				`After each run the page checks what it holds against the centre’s share (households and children, id for id) and checks in a card of the share at today’s session with the app’s \`checkIn\`.`,
			'',
			`**The link, read two ways.** The budget says 1.6 Mbit/s and 150 ms. As given, that is CDP latency 150 ms and 200,000 bytes/s each way; but CDP adds its latency once per request and paces the bytes evenly, while a real link with a 150 ms round trip also pays for its connection’s handshakes and for TCP slow start again after each idle gap between pages. ` +
				`Lighthouse’s DevTools throttling stands for the same link with request latency × 3.75 and throughput × 0.9 (562.5 ms, 180,000 bytes/s here). Both were measured; the budget is held on the slower of the two unthrottled-CPU runs, the ${strict.link.key === 'briefed' ? 'link as given' : 'adjusted reading'}. ` +
				`Both apply to the bytes as the server sends them: ${first.encodings}.`,
			'',
			'| link | CPU | ready | enroll | pull requests | rows | JSON | on the wire | the link’s floor for these bytes | waiting on the link alone | storing pages in IndexedDB (median a page) | … of which while the next page was on its way | the rest (parse, validate, engine) |',
			'| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
			...runs.map(
				(x) =>
					`| ${x.link.key === 'briefed' ? 'as given' : 'adjusted'} | ${x.rate}× | **${s1(x.readyMs)} s** | ${fmt(x.enrollMs)} ms | ${x.pulls} | ${fmt(x.rows)} | ${kb(x.json)} | ${kb(x.wire)} | ${s1(x.floorMs)} s | ${s1(x.linkOnlyMs)} s | ${s1(x.storeMs)} s (${fmt(x.storeMedian)} ms) | ${s1(x.overlapMs)} s | ${s1(x.restMs)} s |`
			),
			'',
			`“The link’s floor” is what the link alone costs for the pull’s bytes: its latency once per request plus the bytes on the wire at its throughput. ` +
				`After enrolling, each moment of a run counts once: storing (inside a page’s IndexedDB transaction, which stores its rows and its cursor together), else waiting on the link (a request outstanding, nothing being stored), else the rest (parsing and validating each answer, the engine’s other steps). ` +
				`The engine asks for the next page while it stores one, so storing and the link overlap. ` +
				`Sent as plain JSON, the ${kb(strict.json)} of the stricter run would take ${s1((strict.json / strict.link.down) * 1000)} s at its throughput before any latency.`,
			'',
			`Page by page, ${strict.link.key === 'briefed' ? 'link as given' : 'adjusted link'}, 1× CPU (the run the budget is held on):`,
			'',
			'| page | rows | JSON | on the wire | request sent → last byte | stored in |',
			'| --- | --- | --- | --- | --- | --- |',
			...strict.pages.map(
				(/** @type {any} */ p, /** @type {number} */ k) =>
					`| ${k + 1} | ${fmt(p.rows)} | ${kb(p.json)} | ${kb(p.wire)} | ${fmt(p.ms)} ms | ${fmt(p.storeMs)} ms |`
			),
			'',

			`What every run held, and the check-in: ${runs.map((x) => `${x.link.key} ${x.rate}×: ${x.problems.length ? x.problems.join('; ') : `${fmt(x.counts.households)} households and ${fmt(x.counts.children)} children (id for id the centre’s share), ${fmt(x.counts.sessions)} sessions, ${fmt(x.counts.visits)} visits, ${fmt(x.counts.staff)} staff (the centre’s counts for the site); ${x.probe.decision} at ${x.probe.session} (${fmt(x.probe.ms)} ms)`}`).join('. ')}.`,
			'',
			`What the new tablet holds after it, by table (as given, 1×): ${Object.entries(first.counts)
				.map(([k, v]) => `${k} ${fmt(/** @type {number} */ (v))}`)
				.join(', ')}.`,
			'',
			`**The centre alone.** The same pull for a second device at the same site, from Node over loopback with no throttling, page by page (limit ${direct.limit}): ${direct.pages} pages, ${fmt(direct.rows)} rows, ` +
				`${fmt(direct.serverMs)} ms in all (median ${fmt(direct.median)} ms, slowest ${fmt(direct.max)} ms a page). ${direct.sizes}`
		);
		return { markdown: md.join('\n'), budgets };
	} finally {
		await releaseAll(cleanup, ctx.log);
	}
}

/**
 * Generate the ward in a PGlite store at `dir` with the app's own modules (loaded through Vite),
 * work out every site's share by the app's rule, and choose the tablet's site.
 * @param {string} dir
 * @param {(s: string) => void} log
 */
async function prepareWard(dir, log) {
	const vite = await createServer({
		configFile: false,
		root: ROOT,
		logLevel: 'warn',
		cacheDir: join(ROOT, 'node_modules', '.vite-bench-firstpull'),
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib') } },
		server: { middlewareMode: true, hmr: false },
		appType: 'custom',
		optimizeDeps: { noDiscovery: true, include: [] }
	});
	try {
		const { openStore } = await vite.ssrLoadModule('/src/lib/server/db/store.ts');
		const { migrate } = await vite.ssrLoadModule('/src/lib/server/db/migrate.ts');
		const { writeCentreRecords, takeWriteLock, CENTRE_NODE } = await vite.ssrLoadModule('/src/lib/server/sync/records.ts');
		const { hlcAfter } = await vite.ssrLoadModule('/src/lib/domain/hlc.ts');
		const { noteHouseholdWrites } = await vite.ssrLoadModule('/src/lib/server/sync/holdings.ts');
		const { DEFAULT_TOPICS } = await vite.ssrLoadModule('/src/lib/domain/schemas.ts');
		const { hashPin } = await vite.ssrLoadModule('/src/lib/domain/pin.ts');
		const { WARD_TOWN_READINGS } = await vite.ssrLoadModule('/src/lib/domain/ward.ts');
		const { tokyoDate, addDays, fiscalYear } = await vite.ssrLoadModule('/src/lib/domain/dates.ts');

		const now = Date.now();
		const today = tokyoDate(now);
		const fy = fiscalYear(today);
		const from = addDays(today, -364);
		const to = `${fy + 1}-03-31`;
		const store = await openStore({ kind: 'pglite', dataDir: dir });
		try {
			await migrate(store);
			const t = performance.now();
			// Stamped as the centre's writes, an hour ago.
			await generateWard(store, { ...SIZE, fiscalYear: fy, from, to, today, hlc: hlcAfter(null, CENTRE_NODE, now - 3_600_000) });
			log('ward generated; card codes with their check symbol, topics, roster, holdings…');
			await store.transaction(async (/** @type {any} */ tx) => {
				await takeWriteLock(tx);
				// ward.js's codes are 16 symbols of the card alphabet; a card carries a 17th, its check symbol.
				const cards = (await tx.query(`select card_code from households`)).rows.map((/** @type {any} */ r) => r.card_code);
				await tx.query(`create temp table b_cards as select * from unnest($1::text[], $2::text[]) as x(old, new)`, [
					cards,
					cards.map((/** @type {string} */ c) => c + checkSymbol(c))
				]);
				await tx.query(`create index on b_cards (old)`);
				await tx.query(`update households h set data = jsonb_set(h.data, '{cardCode}', to_jsonb(c.new)) from b_cards c where h.card_code = c.old`);
				await tx.query(`update visits v set data = jsonb_set(v.data, '{cardCode}', to_jsonb(c.new)) from b_cards c where v.card_code = c.old`);
				await writeCentreRecords(
					tx,
					'topics',
					DEFAULT_TOPICS.map((/** @type {any} */ x, /** @type {number} */ i) => ({
						data: { code: x.code, labelJa: x.labelJa, sort: (i + 1) * 10, active: true }
					})),
					now
				);
				await writeCentreRecords(
					tx,
					'towns',
					WARD_TOWN_READINGS.map((/** @type {any} */ x, /** @type {number} */ i) => ({ data: { ...x, sort: (i + 1) * 10, active: true } })),
					now
				);
				// A roster: a few staff per site, each with a PIN hash (one hash, shared: fictional staff).
				const pinHash = await hashPin('204816');
				const sites = (await tx.query(`select id::text, data->>'nameJa' as name from sites order by data->>'nameJa'`)).rows;
				await writeCentreRecords(
					tx,
					'staff',
					sites.flatMap((/** @type {any} */ s, /** @type {number} */ i) =>
						Array.from({ length: STAFF_PER_SITE }, (_, k) => ({
							data: { displayName: `職員 ${i + 1}-${k + 1}`, role: 'consultant', pinHash, siteIds: [s.id], active: true }
						}))
					),
					now
				);
				// Holdings, by the rule every household write applies (registered there, or its card seen there).
				const households = (await tx.query(`select id::text as id, data from households order by seq`)).rows;
				for (let i = 0; i < households.length; i += 2000) {
					await noteHouseholdWrites(
						tx,
						households.slice(i, i + 2000).map((/** @type {any} */ h) => ({ id: h.id, deleted: false, data: h.data })),
						now
					);
				}
			});
			await store.exec('analyze');
			const ms = performance.now() - t;
			const counts = (
				await store.query(
					`select (select count(*) from households)::int as households, (select count(*) from children)::int as children,
					        (select count(*) from sessions)::int as sessions, (select count(*) from visits)::int as visits,
					        (select count(*) from consultations)::int as consultations, (select count(*) from staff)::int as staff,
					        (select count(*) from towns)::int as towns`
				)
			).rows[0];
			const shares = (
				await store.query(
					`select s.id::text as id, s.data->>'nameJa' as name, count(hs.household_id)::int as households
					 from sites s left join household_sites hs on hs.site_id = s.id and hs.live
					 group by s.id order by households desc, name`
				)
			).rows;
			const chosen = shares[0];
			const sorted = shares.map((/** @type {any} */ s) => s.households).sort((/** @type {number} */ a, /** @type {number} */ b) => a - b);
			// The kiosk checks in to today's session: ward.js has one on weekdays; on other days, add it.
			const hasToday = (await store.query(`select 1 from sessions where site_id = $1 and session_date = $2`, [chosen.id, today])).rows.length > 0;
			if (!hasToday) {
				await store.transaction(async (/** @type {any} */ tx) =>
					writeCentreRecords(
						tx,
						'sessions',
						[{ data: { siteId: chosen.id, date: today, startTime: '10:00', endTime: '12:00', status: 'open', cancelReason: null } }],
						now
					)
				);
			}
			const share = (
				await store.query(
					`select array(select hs.household_id::text from household_sites hs where hs.site_id = $1 and hs.live order by 1) as households,
					        array(select c.id::text from children c join household_sites hs on hs.household_id = c.household_id and hs.site_id = $1 and hs.live order by 1) as children`,
					[chosen.id]
				)
			).rows[0];
			// And the rest of what the site's tablet may see: its sessions, its roster, the visits of its
			// sessions from yesterday to tomorrow (pull.ts SHARED_VISIT_DAYS).
			const rest = (
				await store.query(
					`select (select count(*) from sessions where site_id = $1)::int as sessions,
					        (select count(*) from staff where data->'siteIds' ? $1::text)::int as staff,
					        (select count(*) from visits v join sessions s on s.id = v.session_id
					          where s.site_id = $1 and s.session_date between $2 and $3)::int as visits`,
					[chosen.id, addDays(today, -1), addDays(today, 1)]
				)
			).rows[0];
			// A family of the share that has children, for the check-in after the pull.
			const probe = (
				await store.query(
					`select h.id::text as id, h.card_code as card from households h join household_sites hs on hs.household_id = h.id and hs.site_id = $1 and hs.live
					 where exists (select 1 from children c where c.household_id = h.id) order by h.seq desc limit 1`,
					[chosen.id]
				)
			).rows[0];
			return {
				ms,
				today,
				from,
				to,
				counts,
				shares: { min: sorted[0], max: sorted[sorted.length - 1], median: sorted[Math.floor(sorted.length / 2)] },
				site: { id: chosen.id, name: chosen.name, households: share.households.length, children: share.children.length },
				share: {
					households: /** @type {string[]} */ (share.households),
					children: /** @type {string[]} */ (share.children),
					sessions: /** @type {number} */ (rest.sessions),
					staff: /** @type {number} */ (rest.staff),
					visits: /** @type {number} */ (rest.visits)
				},
				probe
			};
		} finally {
			await store.close();
		}
	} finally {
		await vite.close();
	}
}

/**
 * CDP network events of the page, by request.
 * @param {import('playwright-core').CDPSession} cdp
 */
function networkLog(cdp) {
	/** @type {Map<string, any>} */
	let byId = new Map();
	cdp.on('Network.requestWillBeSent', (e) => {
		byId.set(e.requestId, {
			url: e.request.url,
			method: e.request.method,
			// Monotonic seconds to wall-clock milliseconds, from this event's pair.
			offset: e.wallTime * 1000 - e.timestamp * 1000,
			wallSent: e.wallTime * 1000,
			decoded: 0,
			wire: null,
			status: null,
			encoding: null,
			failed: null
		});
	});
	cdp.on('Network.responseReceived', (e) => {
		const q = byId.get(e.requestId);
		if (!q) return;
		q.status = e.response.status;
		const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
		q.encoding = h['content-encoding'] ?? 'identity';
		q.wallHeaders = q.offset + e.timestamp * 1000;
	});
	cdp.on('Network.dataReceived', (e) => {
		const q = byId.get(e.requestId);
		if (q) q.decoded += e.dataLength;
	});
	cdp.on('Network.loadingFinished', (e) => {
		const q = byId.get(e.requestId);
		if (!q) return;
		q.wire = e.encodedDataLength;
		q.wallDone = q.offset + e.timestamp * 1000;
	});
	cdp.on('Network.loadingFailed', (e) => {
		const q = byId.get(e.requestId);
		if (q) q.failed = e.errorText;
	});
	return {
		clear: () => (byId = new Map()),
		requests: () => [...byId.values()].filter((q) => new URL(q.url).pathname.startsWith('/api/'))
	};
}

/**
 * One run's figures, and what is wrong with what the tablet holds.
 * @param {typeof LINKS[number]} link
 * @param {number} rate
 * @param {any} r
 * @param {any[]} requests
 * @param {Awaited<ReturnType<typeof prepareWard>>} ward
 */
function summarise(link, rate, r, requests, ward) {
	const problems = [];
	const failed = requests.filter((q) => q.failed || (q.status ?? 0) >= 400 || q.wire === null);
	if (failed.length) problems.push(`requests failed: ${failed.map((q) => `${q.method} ${new URL(q.url).pathname} ${q.status ?? q.failed}`).join(', ')}`);
	const same = (/** @type {string[]} */ a, /** @type {string[]} */ b) => a.length === b.length && a.every((x, i) => x === b[i]);
	if (!same(r.householdIds, ward.share.households)) problems.push(`holds ${r.householdIds.length} households, the share is ${ward.share.households.length}`);
	if (!same(r.childIds, ward.share.children)) problems.push(`holds ${r.childIds.length} children, the share is ${ward.share.children.length}`);
	for (const t of /** @type {const} */ (['sessions', 'staff', 'visits'])) {
		if (r.counts[t] !== ward.share[t]) problems.push(`holds ${r.counts[t]} ${t}, the centre has ${ward.share[t]} for it`);
	}
	if (r.probe.decision !== 'check_in' || r.probe.household !== ward.probe.id || r.probe.children === 0)
		problems.push(`the check-in of a share’s card gave ${r.probe.decision} (household ${r.probe.household}, ${r.probe.children} children)`);
	const pulls = requests.filter((q) => new URL(q.url).pathname === '/api/v1/sync/pull');
	const wire = requests.reduce((a, q) => a + (q.wire ?? 0), 0);
	const json = requests.reduce((a, q) => a + q.decoded, 0);
	// The timeline after enrolling: each instant is spent storing a page, or else waiting on the
	// link (a request outstanding), or else in the rest (parsing, validating, the engine's steps).
	/** @type {Array<[number, number]>} */
	const net = requests.filter((q) => q.wallSent >= r.enrolled).map((q) => [q.wallSent, q.wallDone]);
	/** @type {Array<[number, number]>} */
	const stores = r.stored.map((/** @type {any} */ p) => [p.start, p.end]);
	const storeMs = measure(stores);
	const busyMs = measure([...net, ...stores]);
	const overlapMs = measure(net) + storeMs - busyMs;
	const rows = r.stored.reduce((/** @type {number} */ a, /** @type {any} */ p) => a + p.rows, 0);
	const pullWire = pulls.reduce((a, q) => a + (q.wire ?? 0), 0);
	const limit = Number(new URL(pulls[0]?.url ?? 'http://x/?limit=NaN').searchParams.get('limit'));
	const encodings = [...new Set(pulls.map((q) => q.encoding))];
	const storeEach = stores.map(([a, b]) => b - a);
	return {
		link,
		rate,
		readyMs: r.readyMs,
		enrollMs: r.enrolled - r.t0,
		pulls: pulls.length,
		pullLimit: limit,
		rows,
		json,
		wire,
		linkOnlyMs: busyMs - storeMs,
		storeMs,
		overlapMs,
		storeMedian: [...storeEach].sort((a, b) => a - b)[Math.floor(storeEach.length / 2)] ?? 0,
		restMs: r.t1 - r.enrolled - busyMs,
		pages: pulls.map((q, k) => ({
			rows: r.stored[k]?.rows ?? 0,
			json: q.decoded,
			wire: q.wire ?? 0,
			ms: q.wallDone - q.wallSent,
			storeMs: storeEach[k] ?? NaN
		})),
		floorMs: pulls.length * link.latency + (pullWire / link.down) * 1000,
		counts: r.counts,
		probe: r.probe,
		encodings: `the pull’s answers came ${encodings.map((e) => (e === 'identity' ? 'uncompressed' : `with content-encoding ${e}`)).join(' and ')} (${kb(pullWire)} on the wire for ${kb(pulls.reduce((a, q) => a + q.decoded, 0))} of JSON)`,
		problems
	};
}

/**
 * How long a set of intervals covers, overlaps counted once.
 * @param {Array<[number, number]>} intervals
 */
function measure(intervals) {
	let total = 0;
	let end = -Infinity;
	for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
		if (b <= end) continue;
		total += b - Math.max(a, end);
		end = b;
	}
	return total;
}

/**
 * The pull alone, from Node: a second device at the site pulls page by page, each timed to the
 * last byte; and the size of each page as JSON and as the server sends it to a client that
 * accepts compression.
 * @param {Awaited<ReturnType<typeof startServer>>} server
 * @param {string} siteId
 */
async function directPull(server, siteId) {
	const { code } = server.admin(['enroll-code', siteId]);
	const res = await fetch(`${server.url}/api/v1/devices/enroll`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ code, name: 'bench direct' })
	});
	if (!res.ok) throw new Error(`enroll → ${res.status} ${await res.text()}`);
	const dev = await res.json();
	const limit = 1000;
	/** @type {number[]} */
	const each = [];
	let cursor = '0';
	let rows = 0;
	let json = 0;
	let sent = 0;
	/** @type {Set<string>} */
	const encodings = new Set();
	for (;;) {
		const started = performance.now();
		const answer = await rawGet(`${server.url}/api/v1/sync/pull?since=${cursor}&limit=${limit}`, {
			authorization: `Bearer ${dev.token}`,
			accept: 'application/json',
			'accept-encoding': 'br, gzip'
		});
		each.push(performance.now() - started);
		if (answer.status !== 200) throw new Error(`pull → ${answer.status}`);
		encodings.add(answer.encoding);
		const text = answer.text;
		const page = JSON.parse(text);
		rows += page.changes.length;
		json += Buffer.byteLength(text);
		sent += answer.bytes;
		cursor = page.cursor;
		if (!page.more) break;
	}
	const sorted = [...each].sort((a, b) => a - b);
	return {
		limit,
		pages: each.length,
		rows,
		serverMs: each.reduce((a, b) => a + b, 0),
		median: sorted[Math.floor(sorted.length / 2)] ?? 0,
		max: sorted[sorted.length - 1] ?? 0,
		sizes: `Asked with \`accept-encoding: br, gzip\`, the server answered ${[...encodings].map((e) => (e === 'identity' ? 'uncompressed' : e)).join(' and ')}: ${kb(sent)} sent for ${kb(json)} of JSON.`
	};
}

/**
 * A GET whose body is counted as sent (not decoded by the client).
 * @param {string} url
 * @param {Record<string, string>} headers
 * @returns {Promise<{ status: number, encoding: string, bytes: number, text: string }>}
 */
function rawGet(url, headers) {
	return new Promise((resolve, reject) => {
		http
			.get(url, { headers }, (res) => {
				/** @type {Buffer[]} */
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const body = Buffer.concat(chunks);
					const encoding = String(res.headers['content-encoding'] ?? 'identity');
					const plain = encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body;
					resolve({ status: res.statusCode ?? 0, encoding, bytes: body.length, text: plain.toString('utf8') });
				});
				res.on('error', reject);
			})
			.on('error', reject);
	});
}
