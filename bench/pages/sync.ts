/**
 * The tablet side of bench/sync.bench.js, in Chromium with real (on-disk) IndexedDB: the app's own
 * Dexie database, write path and sync engine, on the centre's own origin as a tablet's page is (its
 * requests go straight to the centre). The bench drives it through `window.syncBench`.
 *
 * What the engine does is observed, not re-enacted: its fetch is wrapped (each request's time to the
 * last byte of the answer), and a Dexie middleware on the page's database notes every IndexedDB
 * transaction the engine opens (stores, mode, the operations in it, created → complete).
 */
import type { DBCore, DBCoreTable, DBCoreTransaction } from 'dexie';
import { HirobaDB } from '$lib/client/db/db';
import { saveRecords } from '$lib/client/db/writes';
import { SyncEngine } from '$lib/client/sync/engine';
import { enrollTablet } from '$lib/client/sync/enroll';
import { tokyoDate } from '$lib/domain/dates';
import { uuidv7 } from '$lib/domain/ids';
import type { VisitData } from '$lib/domain/schemas';

interface Timing {
	method: string;
	path: string;
	/** performance.now() when the request was sent. */
	start: number;
	ms: number;
	status: number;
	requestBytes: number;
	responseBytes: number;
}

/** A fetch that records how long each request takes, up to the last byte of its answer. */
function timedFetch(log: Timing[]): typeof fetch {
	return async (input, init) => {
		const url = new URL(input instanceof Request ? input.url : String(input), location.href);
		const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
		const requestBytes = typeof init?.body === 'string' ? new TextEncoder().encode(init.body).length : 0;
		const t0 = performance.now();
		const res = await fetch(input, init);
		const body = await res.arrayBuffer();
		log.push({ method, path: url.pathname, start: t0, ms: performance.now() - t0, status: res.status, requestBytes, responseBytes: body.byteLength });
		return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
	};
}

/** One IndexedDB transaction as the middleware saw it: created → complete (or abort). */
interface TxRecord {
	mode: string;
	stores: string[];
	ops: string[];
	start: number;
	end: number | null;
}

/** While non-null, every transaction opened on `db` is noted here. */
let txLog: TxRecord[] | null = null;
const txOf = new WeakMap<object, TxRecord>();

/** A Dexie middleware that notes each transaction and the operations run in it. */
function recordTransactions(down: DBCore): DBCore {
	const note = (req: { trans: DBCoreTransaction }, op: string) => txOf.get(req.trans)?.ops.push(op);
	const where = (index: { isPrimaryKey?: boolean; name: string | null }) => (index.isPrimaryKey ? 'primary key' : (index.name ?? '?'));
	return {
		...down,
		transaction(stores, mode, options) {
			const tx = down.transaction(stores, mode, options);
			if (txLog) {
				const rec: TxRecord = { mode, stores: [...stores].sort(), ops: [], start: performance.now(), end: null };
				txLog.push(rec);
				txOf.set(tx, rec);
				const done = () => (rec.end ??= performance.now());
				const idb = tx as unknown as IDBTransaction;
				idb.addEventListener('complete', done);
				idb.addEventListener('abort', done);
			}
			return tx;
		},
		table(name) {
			const t = down.table(name);
			const table: DBCoreTable = {
				...t,
				mutate: (req) => (note(req, `${name}.${req.type}`), t.mutate(req)),
				get: (req) => (note(req, `${name}.get`), t.get(req)),
				getMany: (req) => (note(req, `${name}.getMany`), t.getMany(req)),
				query: (req) => (note(req, `${name}.query ${where(req.query.index)}`), t.query(req)),
				openCursor: (req) => (note(req, `${name}.cursor ${where(req.query.index)}`), t.openCursor(req)),
				count: (req) => (note(req, `${name}.count ${where(req.query.index)}`), t.count(req))
			};
			return table;
		}
	};
}

type Span = [number, number];

/** The spans merged where they overlap. */
function union(spans: Span[]): Span[] {
	const out: Span[] = [];
	for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
		const last = out[out.length - 1];
		if (last && a <= last[1]) last[1] = Math.max(last[1], b);
		else out.push([a, b]);
	}
	return out;
}
const length = (spans: Span[]) => union(spans).reduce((a, [x, y]) => a + (y - x), 0);

/** A transaction's kind: its mode, stores and operations (repeats counted). */
function kindOf(t: TxRecord): string {
	const ops: string[] = [];
	for (const op of t.ops) {
		const last = ops[ops.length - 1];
		const m = last ? /^(.*?)(?: ×(\d+))?$/.exec(last) : null;
		if (m && m[1] === op) ops[ops.length - 1] = `${op} ×${Number(m[2] ?? 1) + 1}`;
		else ops.push(op);
	}
	return `${t.mode} [${t.stores.join(', ')}]: ${ops.join(', ') || '(no operation)'}`;
}

/**
 * Where a stretch of time went, from what was recorded in it: in requests, in IndexedDB
 * transactions while no request was in flight, in transactions during a request, and in neither;
 * and the transactions grouped by kind.
 */
function account(t0: number, t1: number, requests: Timing[], txs: TxRecord[]) {
	const req: Span[] = requests.map((r) => [r.start, r.start + r.ms]);
	const idb: Span[] = txs.map((t) => [t.start, t.end ?? t1]);
	const inRequests = length(req);
	const inEither = length([...req, ...idb]);
	const inIdb = length(idb);
	const groups = new Map<string, { ms: number[]; outsideRequests: number }>();
	for (const t of txs) {
		const g = groups.get(kindOf(t)) ?? { ms: [], outsideRequests: 0 };
		const span: Span = [t.start, t.end ?? t1];
		g.ms.push(span[1] - span[0]);
		g.outsideRequests += length([...req, span]) - inRequests;
		groups.set(kindOf(t), g);
	}
	return {
		wall: t1 - t0,
		inRequests,
		idbOutsideRequests: inEither - inRequests,
		idbDuringRequests: inIdb - (inEither - inRequests),
		neither: t1 - t0 - inEither,
		transactions: txs.length,
		unfinished: txs.filter((t) => t.end === null).length,
		kinds: [...groups].map(([kind, g]) => ({ kind, n: g.ms.length, ms: g.ms, outsideRequests: g.outsideRequests }))
	};
}

const timings: Timing[] = [];
let db: HirobaDB;
let engine: SyncEngine;
let sessionId = '';
/** The ids of the visits this page wrote (the pulled demo visits are not part of the comparison). */
const writtenIds: string[] = [];

function summarise(log: Timing[]) {
	const by = (method: string) => log.filter((t) => t.method === method);
	const sum = (ts: Timing[], k: 'ms' | 'requestBytes' | 'responseBytes') => ts.reduce((a, t) => a + t[k], 0);
	const posts = by('POST');
	const gets = by('GET');
	return {
		posts: posts.length,
		postMs: sum(posts, 'ms'),
		postBytes: sum(posts, 'requestBytes'),
		postEach: posts.map((t) => t.ms),
		gets: gets.length,
		getMs: sum(gets, 'ms'),
		getBytes: sum(gets, 'responseBytes'),
		failed: log.filter((t) => t.status >= 400).map((t) => `${t.method} ${t.path} ${t.status}`)
	};
}

function checkIdle(): void {
	const s = engine.status;
	if (s.state !== 'idle') throw new Error(`sync ended ${s.state}: ${s.lastError?.code} ${s.lastError?.message}`);
}

/** Enroll with a code, pull the reference data, and pick a session today at the device's site. */
async function setup(opts: { code: string; dbName: string }) {
	db = new HirobaDB(opts.dbName);
	db.use({ stack: 'dbcore', name: 'bench-transactions', create: recordTransactions });
	await db.open();
	const device = await enrollTablet(db, { baseUrl: location.origin, code: opts.code, name: 'bench tablet' });
	engine = new SyncEngine(db, { baseUrl: location.origin, fetch: timedFetch(timings) });
	const t0 = performance.now();
	await engine.syncNow();
	const pullMs = performance.now() - t0;
	checkIdle();
	const siteIds = device.sites.map((s) => s.id);
	const today = tokyoDate();
	const sessions = (await db.sessions.where('siteId').anyOf(siteIds).toArray()).filter((s) => !s.deleted);
	sessions.sort((a, b) => Math.abs(Date.parse(a.date) - Date.parse(today)) - Math.abs(Date.parse(b.date) - Date.parse(today)));
	if (!sessions[0]) throw new Error('no session at the device’s site');
	sessionId = sessions[0].id;
	const counts: Record<string, number> = {};
	for (const t of ['programs', 'sites', 'sessions', 'topics', 'staff', 'households', 'children'] as const) counts[t] = await db.syncTable(t).count();
	const households = (await db.households.limit(50).toArray()).map((h) => ({ id: h.id, cardCode: h.cardCode }));
	return {
		deviceId: device.deviceId,
		siteId: siteIds[0],
		site: device.sites[0]?.nameJa,
		sessionId,
		sessionDate: sessions[0].date,
		today,
		pullMs,
		counts,
		households
	};
}

/** Write `n` check-ins of real households with saveRecords, `chunk` per transaction. */
async function writeVisits(opts: { n: number; chunk: number }) {
	const households = (await db.households.toArray()).filter((h) => !h.deleted);
	const children = await db.children.toArray();
	const kids = new Map<string, string[]>();
	for (const c of children) kids.set(c.householdId, [...(kids.get(c.householdId) ?? []), c.id]);
	const base = Date.now() - opts.n * 1000;
	const t0 = performance.now();
	for (let start = 0; start < opts.n; start += opts.chunk) {
		const items: Array<{ id: string; data: VisitData }> = [];
		for (let i = start; i < Math.min(opts.n, start + opts.chunk); i++) {
			const h = households[i % households.length]!;
			items.push({
				id: uuidv7(),
				data: {
					sessionId,
					householdId: h.id,
					cardCode: h.cardCode,
					childIds: kids.get(h.id) ?? [],
					walkInChildren: null,
					adults: 1 + (i % 2),
					checkedInAt: new Date(base + i * 1000).toISOString(),
					checkedOutAt: null,
					method: 'camera'
				}
			});
		}
		await saveRecords(db, 'visits', items);
		writtenIds.push(...items.map((x) => x.id));
	}
	const ms = performance.now() - t0;
	const pending = await db.outbox.where('state').equals('pending').count();
	return { ms, pending };
}

/** One timed engine.syncNow(): pushes the whole outbox, then pulls; its requests and transactions recorded. */
async function push() {
	timings.length = 0;
	const txs: TxRecord[] = [];
	txLog = txs;
	const t0 = performance.now();
	await engine.syncNow();
	const t1 = performance.now();
	txLog = null;
	checkIdle();
	const pending = await db.outbox.count();
	// Between one push's answer and the next push going out.
	const posts = timings.filter((t) => t.method === 'POST');
	const gaps = posts.slice(1).map((t, i) => t.start - (posts[i]!.start + posts[i]!.ms));
	const beforeFirst = posts[0] ? posts[0].start - t0 : 0;
	const afterLastPost = posts.length ? timings.filter((t) => t.method === 'GET' && t.start > posts[posts.length - 1]!.start) : [];
	return {
		ms: t1 - t0,
		pending,
		gaps,
		beforeFirst,
		// From the last POST's answer to the first GET of the pull.
		lastPostToPull: posts.length && afterLastPost[0] ? afterLastPost[0].start - (posts[posts.length - 1]!.start + posts[posts.length - 1]!.ms) : null,
		time: account(t0, t1, timings, txs),
		...summarise(timings)
	};
}

/** `n` syncs with nothing to push and nothing new to pull; each one's requests and transactions recorded. */
async function upToDate(opts: { n: number }) {
	const each: number[] = [];
	const requests: number[] = [];
	const cycles: Array<ReturnType<typeof account>> = [];
	for (let i = 0; i < opts.n; i++) {
		timings.length = 0;
		const txs: TxRecord[] = [];
		txLog = txs;
		const t0 = performance.now();
		await engine.syncNow();
		const t1 = performance.now();
		txLog = null;
		each.push(t1 - t0);
		checkIdle();
		requests.push(...timings.map((t) => t.ms));
		if (timings.length !== 1 || timings[0]!.method !== 'GET') throw new Error(`an up-to-date sync made ${timings.length} requests`);
		cycles.push(account(t0, t1, timings, txs));
	}
	return { each, requests, cycles };
}

/** The visits written by `writeVisits`, as PouchDB documents (`_id` = the record id). */
async function visitDocs() {
	const rows = await db.visits.bulkGet(writtenIds);
	return rows
		.map((row) => {
			if (!row) throw new Error('a written visit is missing');
			return row;
		})
		.map(({ id, hlc, deleted, ...data }) => ({ _id: id, hlc, deleted, ...data }));
}

/**
 * The same visit documents into a local PouchDB (IndexedDB), then one-shot replications to the
 * pouchdb-server this page is opened on (same origin, no proxy, as the centre's page is), once per
 * batch size (null: PouchDB's own default, no option given), each to a new database.
 */
async function pouch(opts: { docs: Array<{ _id: string }>; batchSizes: Array<number | null>; chunk: number; dbName: string }) {
	const { default: PouchDB } = await import('pouchdb-browser');
	const docs = opts.docs;
	const local = new PouchDB(opts.dbName, { adapter: 'idb' });
	let t0 = performance.now();
	for (let i = 0; i < docs.length; i += opts.chunk) {
		const res = await local.bulkDocs(docs.slice(i, i + opts.chunk));
		const bad = res.find((r) => 'error' in r && r.error);
		if (bad) throw new Error(`PouchDB bulkDocs: ${JSON.stringify(bad)}`);
	}
	const loadMs = performance.now() - t0;
	const localCount = (await local.info()).doc_count;
	const runs = [];
	for (const batchSize of opts.batchSizes) {
		const log: Timing[] = [];
		const remote = new PouchDB(`${location.origin}/bench-${batchSize ?? 'default'}-${Date.now()}`, { fetch: timedFetch(log) as never });
		await remote.info(); // creates the database before the clock starts
		log.length = 0;
		t0 = performance.now();
		const result = await (batchSize === null ? PouchDB.replicate(local, remote) : PouchDB.replicate(local, remote, { batch_size: batchSize }));
		const ms = performance.now() - t0;
		const remoteCount = (await remote.info()).doc_count;
		const kinds: Record<string, { n: number; ms: number }> = {};
		for (const t of log) {
			const rest = t.path.replace(/^\//, '');
			const sub = rest.replace(/^[^/]+\/?/, '/').replace(/\/_local\/.*/, '/_local/…');
			const kind = `${t.method} ${rest === '' ? '/ (server)' : sub === '/' ? '/db (info)' : sub}`;
			const k = (kinds[kind] ??= { n: 0, ms: 0 });
			k.n++;
			k.ms += t.ms;
		}
		runs.push({
			batchSize,
			ms,
			docsWritten: result.docs_written,
			ok: result.ok,
			remoteCount,
			requests: log.length,
			requestMs: log.reduce((a, t) => a + t.ms, 0),
			kinds,
			// A missing checkpoint (_local) is a normal 404 at the start of a replication.
			failed: log.filter((t) => t.status >= 400 && !(t.status === 404 && t.path.includes('/_local/'))).map((t) => `${t.method} ${t.path} ${t.status}`)
		});
	}
	await local.destroy();
	return { docs: docs.length, localCount, loadMs, runs };
}

declare global {
	interface Window {
		syncBench: {
			setup: typeof setup;
			writeVisits: typeof writeVisits;
			push: typeof push;
			upToDate: typeof upToDate;
			visitDocs: typeof visitDocs;
			pouch: typeof pouch;
		};
	}
}

window.syncBench = { setup, writeVisits, push, upToDate, visitDocs, pouch };
