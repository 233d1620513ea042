import type { SyncEngine, SyncStatus } from '../sync/engine';

/** The sync engine's status as rune state, for any component to read. */
export class SyncStatusState {
	current = $state<SyncStatus>() as SyncStatus;
	readonly #unsubscribe: () => void;

	constructor(engine: SyncEngine) {
		this.current = engine.status;
		this.#unsubscribe = engine.subscribe((s) => (this.current = s));
	}

	destroy(): void {
		this.#unsubscribe();
	}
}
