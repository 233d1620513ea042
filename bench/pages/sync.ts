/**
 * The tablet side of bench/sync.bench.js, in Chromium with real (on-disk) IndexedDB: the app's own
 * Dexie database, write path and sync engine, talking to the centre through the page server's
 * same-origin /api proxy. The bench drives it through `window.syncBench`.
 */
import Dexie from 'dexie';
import { HirobaDB, META } from '$lib/client/db/db';
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

const timings: Timing[] = [];
let db: HirobaDB;
let engine: SyncEngine;
let sessionId = '';
/** The ids of the visits this page wrote (the pulled demo visits are not part of the comparison). */
const writtenIds: string[] = [];

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

/**
 * What the engine does on the tablet around each push, measured alone and without changing
 * anything: reading a batch of 500 from the outbox as #nextBatch does, and the request body's
 * JSON; and the cost of committing a small read-write IndexedDB transaction (in a scratch database).
 */
async function tabletCosts() {
	const reads: number[] = [];
	const json: number[] = [];
	for (let i = 0; i < 5; i++) {
		let t0 = performance.now();
		const batch = await db.outbox.where('state').equals('pending').limit(500).sortBy('seq');
		reads.push(performance.now() - t0);
		t0 = performance.now();
		JSON.stringify({ protocol: 1, changes: batch.map((e) => ({ table: e.table, id: e.id, hlc: e.hlc, deleted: e.deleted, data: e.data })) });
		json.push(performance.now() - t0);
	}
	// A scratch database with the outbox's schema, for what would change the real one.
	const batch = await db.outbox.where('state').equals('pending').limit(500).sortBy('seq');
	const scratch = new Dexie(`${db.name}-scratch`);
	scratch.version(1).stores({ kv: 'key', outbox: '++seq, [table+id], state' });
	await scratch.open();
	const commit: number[] = [];
	const readOnly: number[] = [];
	for (let i = 0; i < 30; i++) {
		let t0 = performance.now();
		await scratch.table('kv').put({ key: 'k', value: i });
		commit.push(performance.now() - t0);
		t0 = performance.now();
		await scratch.table('kv').get('k');
		readOnly.push(performance.now() - t0);
	}
	// Acknowledging a batch as the engine does (bulkDelete of its 500 keys), and as one key range.
	const ackByKeys: number[] = [];
	const ackByRange: number[] = [];
	const outbox = scratch.table('outbox');
	for (let i = 0; i < 5; i++) {
		let keys = (await outbox.bulkAdd(
			batch.map(({ seq: _seq, ...e }) => e),
			{ allKeys: true }
		)) as number[];
		let t0 = performance.now();
		await scratch.transaction('rw', [outbox, scratch.table('kv')], async () => {
			await outbox.bulkDelete(keys);
			await scratch.table('kv').put({ key: 'hasPushed', value: true });
		});
		ackByKeys.push(performance.now() - t0);
		keys = (await outbox.bulkAdd(
			batch.map(({ seq: _seq, ...e }) => e),
			{ allKeys: true }
		)) as number[];
		t0 = performance.now();
		await scratch.transaction('rw', [outbox, scratch.table('kv')], async () => {
			await outbox
				.where(':id')
				.between(keys[0]!, keys[keys.length - 1]!, true, true)
				.delete();
			await scratch.table('kv').put({ key: 'hasPushed', value: true });
		});
		ackByRange.push(performance.now() - t0);
	}
	scratch.close();
	await Dexie.delete(`${db.name}-scratch`);
	return {
		readBatchMs: med(reads),
		jsonBatchMs: med(json),
		rwCommitMs: med(commit),
		roTxMs: med(readOnly),
		ackByKeysMs: med(ackByKeys),
		ackByRangeMs: med(ackByRange)
	};
}

/**
 * The IndexedDB reads and writes of an up-to-date engine cycle, each timed alone (medians of 20),
 * on the tablet's database as it is after the push (the outbox emptied by 10,000 deletions).
 */
async function idleCosts() {
	const ops: Record<string, () => Promise<unknown>> = {
		'meta get (device)': () => db.getMeta(META.device),
		'outbox pending count': () => db.outbox.where('state').equals('pending').count(),
		'outbox next batch (empty)': () => db.outbox.where('state').equals('pending').limit(500).sortBy('seq'),
		'outbox count': () => db.outbox.count(),
		'meta put (read-write)': () => db.setMeta('benchProbe', Date.now())
	};
	const out: Record<string, number> = {};
	for (const [name, op] of Object.entries(ops)) {
		const xs: number[] = [];
		for (let i = 0; i < 20; i++) {
			const t0 = performance.now();
			await op();
			xs.push(performance.now() - t0);
		}
		out[name] = med(xs);
	}
	await db.meta.delete('benchProbe');
	return out;
}

/** One timed engine.syncNow(): pushes the whole outbox, then pulls. */
async function push() {
	timings.length = 0;
	const t0 = performance.now();
	await engine.syncNow();
	const ms = performance.now() - t0;
	checkIdle();
	const pending = await db.outbox.count();
	// Between one push's answer and the next push: acknowledging the batch, reading the next one.
	const posts = timings.filter((t) => t.method === 'POST');
	const gaps = posts.slice(1).map((t, i) => t.start - (posts[i]!.start + posts[i]!.ms));
	const beforeFirst = posts[0] ? posts[0].start - t0 : 0;
	return { ms, pending, hasPushed: await db.getMeta<boolean>(META.hasPushed), gaps, beforeFirst, ...summarise(timings) };
}

/** `n` syncs with nothing to push and nothing new to pull. */
async function upToDate(opts: { n: number }) {
	const each: number[] = [];
	const requests: number[] = [];
	for (let i = 0; i < opts.n; i++) {
		timings.length = 0;
		const t0 = performance.now();
		await engine.syncNow();
		each.push(performance.now() - t0);
		checkIdle();
		requests.push(...timings.map((t) => t.ms));
		if (timings.length !== 1 || timings[0]!.method !== 'GET') throw new Error(`an up-to-date sync made ${timings.length} requests`);
	}
	return { each, requests };
}

/**
 * The same visit documents into a local PouchDB (IndexedDB), then one-shot replications to a
 * pouchdb-server through the same-origin /pouch proxy, once per batch size, each to a new database.
 */
async function pouch(opts: { batchSizes: number[]; chunk: number; dbName: string }) {
	const { default: PouchDB } = await import('pouchdb-browser');
	const rows = await db.visits.bulkGet(writtenIds);
	const docs = rows
		.map((row) => {
			if (!row) throw new Error('a written visit is missing');
			return row;
		})
		.map(({ id, hlc, deleted, ...data }) => ({ _id: id, hlc, deleted, ...data }));
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
		const remote = new PouchDB(`${location.origin}/pouch/bench-${batchSize}-${Date.now()}`, { fetch: timedFetch(log) as never });
		await remote.info(); // creates the database before the clock starts
		log.length = 0;
		t0 = performance.now();
		const result = await PouchDB.replicate(local, remote, { batch_size: batchSize });
		const ms = performance.now() - t0;
		const remoteCount = (await remote.info()).doc_count;
		const kinds: Record<string, { n: number; ms: number }> = {};
		for (const t of log) {
			const rest = t.path.replace(/^\/pouch\/?/, '');
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
			tabletCosts: typeof tabletCosts;
			idleCosts: typeof idleCosts;
			push: typeof push;
			upToDate: typeof upToDate;
			pouch: typeof pouch;
		};
	}
}

window.syncBench = { setup, writeVisits, tabletCosts, idleCosts, push, upToDate, pouch };
