import { liveQuery } from 'dexie';

/**
 * A Dexie live query as rune state: re-runs whenever the tables it read change (on this tablet,
 * by a local write or a pull) and whenever `deps` changes.
 */
export function live<D, T>(deps: () => D, query: (deps: D) => Promise<T>, initial: T): { readonly current: T; readonly settled: boolean } {
	let current = $state(initial);
	let settled = $state(false);
	$effect(() => {
		const d = deps();
		const sub = liveQuery(() => query(d)).subscribe({
			next: (v) => {
				current = v;
				settled = true;
			},
			error: (e) => console.error('[live query]', e)
		});
		return () => sub.unsubscribe();
	});
	return {
		get current() {
			return current;
		},
		/** True once the query has answered at least once: `current` is no longer the placeholder. */
		get settled() {
			return settled;
		}
	};
}
