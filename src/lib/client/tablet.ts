/**
 * The tablet's one database, sync engine and staff lock for the whole page (the kiosk and staff
 * faces share them). The centre is the origin the app was loaded from.
 */
import { HirobaDB, META, type DeviceCredentials } from './db/db';
import { activeSession, resolveCardVisits } from './db/repo';
import { StaffLock } from './state/staff-lock.svelte';
import { SyncEngine } from './sync/engine';

let db: HirobaDB | null = null;
let engine: SyncEngine | null = null;
let lock: StaffLock | null = null;
let started = false;

export function tabletDb(): HirobaDB {
	db ??= new HirobaDB();
	return db;
}

export function syncEngine(): SyncEngine {
	engine ??= new SyncEngine(tabletDb(), { baseUrl: location.origin });
	return engine;
}

export function staffLock(): StaffLock {
	if (!lock) {
		const l = (lock = new StaffLock(tabletDb()));
		// What remains of a PIN lockout is written as the page goes away, so a reload resumes it.
		addEventListener('pagehide', () => void l.persist());
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'hidden') void l.persist();
		});
	}
	return lock;
}

/**
 * Start syncing once the tablet is enrolled. After every successful sync, visits made with cards
 * whose household was not here yet are resolved if the household has arrived.
 */
export async function startTablet(): Promise<DeviceCredentials | null> {
	const device = (await tabletDb().getMeta<DeviceCredentials>(META.device)) ?? null;
	if (!device || started) return device;
	started = true;
	const e = syncEngine();
	let lastSuccess = e.status.lastSuccessAt;
	e.subscribe((s) => {
		if (s.lastSuccessAt !== lastSuccess && s.state === 'idle') {
			lastSuccess = s.lastSuccessAt;
			void (async () => {
				const session = await activeSession(tabletDb());
				if (session && (await resolveCardVisits(tabletDb(), [session.id])) > 0) e.notifyWrite();
			})();
		}
	});
	e.start();
	await staffLock().load();
	return device;
}
