/**
 * The process's store: opened once, migrated once, shared by every request. Between requests no
 * other state lives in the process (sessions, codes, rate limits and cursors are in the store).
 */
import { getKeyring } from '../crypto/keyring';
import { runScheduledPurge } from '../centre/retention';
import { expireHoldings } from '../sync/holdings';
import { takeWriteLock } from '../sync/records';
import { logError } from '../log';
import { migrate } from './migrate';
import { openStore, storeConfigFromEnv, type Store } from './store';

let current: Promise<Store> | null = null;
let maintenance: ReturnType<typeof setInterval> | null = null;
let expiry: ReturnType<typeof setInterval> | null = null;

/** How often the embedded store refreshes its planner statistics. */
export const ANALYZE_EVERY_MS = 10 * 60_000;
/** How often families not seen for 13 months are taken off their sites' tablets. */
export const EXPIRE_HOLDINGS_EVERY_MS = 60 * 60_000;

export function getStore(): Promise<Store> {
	current ??= (async () => {
		const store = await openStore(storeConfigFromEnv());
		await migrate(store);
		// The centre's sealing key is made at the first start (in HIROBA_KEY_DIR, not in the store); an
		// unreadable key folder stops the start here, not at the first consultation.
		await getKeyring();
		if (store.kind === 'pglite') startMaintenance(store);
		await runExpiry(store);
		await runScheduledPurge(store);
		// Hourly: holdings expire, and the first run of each day purges what outlived its retention.
		expiry = setInterval(() => void runExpiry(store).then(() => runScheduledPurge(store)), EXPIRE_HOLDINGS_EVERY_MS);
		expiry.unref?.();
		return store;
	})();
	return current;
}

/**
 * PGlite has no autovacuum daemon, so nothing would ever gather table statistics and the planner
 * would guess (a pull then scans a whole session's visits instead of using the seq index). The
 * server analyses at start and then every few minutes; PostgreSQL's autovacuum does this itself.
 */
function startMaintenance(store: Store): void {
	const analyze = () => store.exec('analyze').catch((e) => logError('store analyze', e));
	void analyze();
	maintenance = setInterval(analyze, ANALYZE_EVERY_MS);
	maintenance.unref?.();
}

/** Expire holdings under the sync write lock (several processes may run it at once: it is idempotent). */
export async function runExpiry(store: Store, now: number = Date.now()): Promise<number> {
	try {
		return await store.transaction(async (tx) => {
			if (store.kind === 'postgres') await takeWriteLock(tx);
			return expireHoldings(tx, now);
		});
	} catch (e) {
		logError('[store] expiring holdings failed', e);
		return 0;
	}
}

/** Tests and the admin host hand in a store they opened themselves. */
export function useStore(store: Store | null): void {
	current = store ? Promise.resolve(store) : null;
}

export async function closeStore(): Promise<void> {
	if (maintenance) clearInterval(maintenance);
	if (expiry) clearInterval(expiry);
	maintenance = expiry = null;
	if (!current) return;
	const s = current;
	current = null;
	await (await s).close();
}
