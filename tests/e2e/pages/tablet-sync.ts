// A tablet without its screens, for tests/e2e/reliability-kill.e2e.ts: the app's own database
// (real IndexedDB in Chromium), enrollment, write path (saveRecords: each row with its outbox entry
// in one transaction) and sync engine, talking to the centre on this page's origin.
import { HirobaDB, META, type DeviceCredentials } from '$lib/client/db/db';
import { saveRecords } from '$lib/client/db/writes';
import { SyncEngine } from '$lib/client/sync/engine';
import { enrollTablet } from '$lib/client/sync/enroll';
import { tokyoDate } from '$lib/domain/dates';
import { uuidv7 } from '$lib/domain/ids';
import type { VisitData } from '$lib/domain/schemas';

let db: HirobaDB;
let engine: SyncEngine;

/** Enroll with a code, pull the reference data, and find today's session at the tablet's site. */
async function setup(opts: { code: string; dbName: string }) {
	db = new HirobaDB(opts.dbName);
	await db.open();
	const device = await enrollTablet(db, { baseUrl: location.origin, code: opts.code, name: 'reliability tablet' });
	engine = new SyncEngine(db, { baseUrl: location.origin });
	await engine.syncNow();
	if (engine.status.state !== 'idle') throw new Error(`first sync: ${engine.status.state} ${engine.status.lastError?.message}`);
	const today = tokyoDate();
	const siteIds = device.sites.map((s) => s.id);
	const session = (await db.sessions.where('siteId').anyOf(siteIds).toArray()).find((s) => !s.deleted && s.date === today);
	if (!session) throw new Error(`no session today (${today}) at the tablet's site`);
	return { deviceId: device.deviceId, siteName: device.sites.find((s) => s.id === session.siteId)!.nameJa, sessionId: session.id };
}

/** `n` check-ins of the site's families at the session, written as the kiosk writes them, 500 per transaction. */
async function writeVisits(opts: { n: number; sessionId: string }) {
	const households = (await db.households.toArray()).filter((h) => !h.deleted);
	const kids = new Map<string, string[]>();
	for (const c of await db.children.toArray()) if (!c.deleted) kids.set(c.householdId, [...(kids.get(c.householdId) ?? []), c.id]);
	// Ten milliseconds apart, ending now: every visit has its own check-in time.
	const base = Date.now() - opts.n * 10;
	for (let start = 0; start < opts.n; start += 500) {
		const items: Array<{ id: string; data: VisitData }> = [];
		for (let i = start; i < Math.min(opts.n, start + 500); i++) {
			const h = households[i % households.length]!;
			items.push({
				id: uuidv7(),
				data: {
					sessionId: opts.sessionId,
					householdId: h.id,
					cardCode: h.cardCode,
					childIds: kids.get(h.id) ?? [],
					walkInChildren: null,
					adults: 1 + (i % 2),
					checkedInAt: new Date(base + i * 10).toISOString(),
					checkedOutAt: null,
					method: 'scanner'
				}
			});
		}
		await saveRecords(db, 'visits', items);
	}
	return { pending: await db.outbox.where('state').equals('pending').count() };
}

/** Start a sync and return at once; the test watches it from outside. */
function startSync(): void {
	void engine.syncNow();
}

/** One full sync, as the engine's retry timer or the staff's 今すぐ同期 runs it. */
async function syncOnce() {
	await engine.syncNow();
	return state();
}

async function state() {
	return {
		sync: engine.status.state,
		error: engine.status.lastError?.code ?? null,
		pending: await db.outbox.where('state').equals('pending').count(),
		rejected: await db.outbox.where('state').equals('rejected').count(),
		outbox: await db.outbox.count()
	};
}

/** Every visit and session this tablet stamped, as its database holds them. */
async function ownRows() {
	const device = await db.getMeta<DeviceCredentials>(META.device);
	const node = `:${device!.deviceId.replace(/-/g, '')}`;
	const out = [];
	for (const table of ['sessions', 'visits'] as const) {
		for (const { id, hlc, deleted, ...data } of await db.syncTable(table).toArray()) {
			if (hlc.endsWith(node)) out.push({ table, id, hlc, deleted, data });
		}
	}
	return out;
}

const api = { setup, writeVisits, startSync, syncOnce, state, ownRows };
export type TabletSync = typeof api;
(window as unknown as { tablet: TabletSync }).tablet = api;
