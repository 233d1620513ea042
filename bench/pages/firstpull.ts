/**
 * The tablet side of bench/firstpull.bench.js, in Chromium with real (on-disk) IndexedDB: the app's
 * own Dexie database, enrollment and sync engine, on the centre's own origin as a tablet's page is
 * (its requests go straight to the centre). The bench throttles the page's network (and CPU) through CDP and drives
 * it through `window.firstPullBench`; the requests themselves are timed from CDP's network events,
 * so the page does not wrap `fetch`.
 */
import { HirobaDB } from '$lib/client/db/db';
import { checkIn, sessionsOn } from '$lib/client/db/repo';
import { SyncEngine } from '$lib/client/sync/engine';
import { enrollTablet } from '$lib/client/sync/enroll';
import { tokyoDate } from '$lib/domain/dates';
import type { PullResponse } from '$lib/sync/protocol';

/** Wall-clock milliseconds, comparable with CDP's wallTime. */
const wall = () => performance.timeOrigin + performance.now();

interface Stored {
	/** When the page's transaction started and ended (wall clock, ms). */
	start: number;
	end: number;
	rows: number;
	cursor: string;
	more: boolean;
}

/**
 * A new tablet: enroll with `code`, then the engine's first sync (its push finds nothing; its pull
 * brings every page). Timed from the enroll request to the sync's end. Then what the tablet holds,
 * and a check-in of a card of the share at today's session, as the kiosk would do it.
 */
async function firstPull(opts: { code: string; dbName: string; card: string }) {
	const db = new HirobaDB(opts.dbName);
	await db.open();
	const stored: Stored[] = [];
	const t0 = wall();
	const device = await enrollTablet(db, { baseUrl: location.origin, code: opts.code, name: 'first-pull bench tablet' });
	const enrolled = wall();
	const engine = new SyncEngine(db, { baseUrl: location.origin });
	// Each page's store, timed: the engine calls this.applyPulled(page, since) once per page.
	const apply = engine.applyPulled.bind(engine);
	engine.applyPulled = async (page: PullResponse, since: string) => {
		const start = wall();
		const done = await apply(page, since);
		stored.push({ start, end: wall(), rows: page.changes.length, cursor: page.cursor, more: page.more });
		return done;
	};
	await engine.syncNow();
	const t1 = wall();
	const s = engine.status;
	if (s.state !== 'idle') throw new Error(`the first sync ended ${s.state}: ${s.lastError?.code} ${s.lastError?.message}`);

	const counts: Record<string, number> = {};
	for (const t of ['programs', 'sites', 'sessions', 'topics', 'towns', 'staff', 'households', 'children', 'visits', 'card_retirements'] as const) {
		counts[t] = await db.syncTable(t).count();
	}
	const householdIds = (await db.households.toCollection().primaryKeys()).sort();
	const childIds = (await db.children.toCollection().primaryKeys()).sort();

	// Ready to check in: today's session at the device's site, and a card of the share found.
	const today = tokyoDate();
	const sessions = await sessionsOn(
		db,
		device.sites.map((x) => x.id),
		today
	);
	if (!sessions[0]) throw new Error(`no session today (${today}) at the device’s site`);
	const p0 = wall();
	const outcome = await checkIn(db, sessions[0].id, opts.card, 'scanner');
	const probeMs = wall() - p0;
	db.close();
	return {
		t0,
		enrolled,
		t1,
		readyMs: t1 - t0,
		stored,
		counts,
		householdIds,
		childIds,
		probe: {
			session: `${sessions[0].date} ${sessions[0].status}`,
			decision: outcome.decision.kind,
			household: outcome.household?.id ?? null,
			children: outcome.children.length,
			ms: probeMs
		}
	};
}

declare global {
	interface Window {
		firstPullBench: { firstPull: typeof firstPull };
	}
}

window.firstPullBench = { firstPull };
