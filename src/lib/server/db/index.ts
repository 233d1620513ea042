/**
 * The process's store: opened once, migrated once, shared by every request. Between requests no
 * other state lives in the process (sessions, codes, rate limits and cursors are in the store).
 */
import { migrate } from './migrate';
import { openStore, storeConfigFromEnv, type Store } from './store';

let current: Promise<Store> | null = null;

export function getStore(): Promise<Store> {
	current ??= (async () => {
		const store = await openStore(storeConfigFromEnv());
		await migrate(store);
		return store;
	})();
	return current;
}

/** Tests and the admin host hand in a store they opened themselves. */
export function useStore(store: Store | null): void {
	current = store ? Promise.resolve(store) : null;
}

export async function closeStore(): Promise<void> {
	if (!current) return;
	const s = current;
	current = null;
	await (await s).close();
}
