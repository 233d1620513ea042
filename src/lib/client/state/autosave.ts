/**
 * Saves the latest value a little after typing stops, one write at a time: a value typed while a
 * write is under way waits for it and then goes, so an older value never lands after a newer one.
 * `flush()` writes at once (blur, the page being hidden or left, the form closing); `cancel()`
 * drops what is waiting and waits for a write under way, so that nothing is written after it (a
 * draft being discarded or saved must not come back).
 */
export interface AutosaveOptions {
	delayMs?: number;
	onerror?: (e: unknown) => void;
}

export class Autosave<T> {
	readonly #write: (value: T) => Promise<void>;
	readonly #delayMs: number;
	readonly #onerror: (e: unknown) => void;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#waiting: { value: T } | null = null;
	#chain: Promise<void> = Promise.resolve();

	constructor(write: (value: T) => Promise<void>, opts: AutosaveOptions = {}) {
		this.#write = write;
		this.#delayMs = opts.delayMs ?? 400;
		this.#onerror = opts.onerror ?? ((e) => console.error('[autosave]', e));
	}

	/** True while a value waits to be written. */
	get pending(): boolean {
		return this.#waiting !== null;
	}

	schedule(value: T): void {
		this.#waiting = { value };
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => void this.flush(), this.#delayMs);
	}

	flush(): Promise<void> {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		const waiting = this.#waiting;
		this.#waiting = null;
		if (waiting) {
			this.#chain = this.#chain.then(async () => {
				try {
					await this.#write(waiting.value);
				} catch (e) {
					this.#onerror(e);
				}
			});
		}
		return this.#chain;
	}

	cancel(): Promise<void> {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.#waiting = null;
		return this.#chain;
	}
}
