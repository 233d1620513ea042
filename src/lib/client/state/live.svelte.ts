import { liveQuery } from 'dexie';

/**
 * A Dexie live query as rune state: re-runs whenever the tables it read change (on this tablet,
 * by a local write or a pull) and whenever `deps` changes.
 */
export function live<D, T>(deps: () => D, query: (deps: D) => Promise<T>, initial: T): { readonly current: T } {
	let current = $state(initial);
	$effect(() => {
		const d = deps();
		const sub = liveQuery(() => query(d)).subscribe({
			next: (v) => (current = v),
			error: (e) => console.error('[live query]', e)
		});
		return () => sub.unsubscribe();
	});
	return {
		get current() {
			return current;
		}
	};
}
