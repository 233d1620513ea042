/**
 * Hybrid logical clock (Kulkarni et al. 2014). A stamp is wall time, a counter and the node (device)
 * id, written so that plain string comparison orders stamps: `001732500000000:00000:<node>`.
 * A tablet whose clock is wrong still orders its own edits after everything it has seen, because
 * the clock never runs behind the largest stamp it has sent or received.
 */
export type Hlc = string;

export interface HlcParts {
	wall: number;
	counter: number;
	node: string;
}

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 5;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
const MAX_WALL = 10 ** WALL_DIGITS - 1;
export const HLC_RE = /^\d{15}:\d{5}:[A-Za-z0-9_-]{1,64}$/;

/**
 * How far ahead of the centre's clock a pushed stamp may be. The centre refuses a stamp further
 * ahead (`clock_ahead`): followed by every later edit, such a stamp would freeze the record. A
 * tablet told so corrects its clock from the centre's and stamps what it has not delivered again.
 */
export const MAX_AHEAD_MS = 5 * 60 * 1000;

/** Stamps are fixed-width so that string order is stamp order; one that does not fit is a bug. */
export function formatHlc({ wall, counter, node }: HlcParts): Hlc {
	if (!Number.isSafeInteger(wall) || wall < 0 || wall > MAX_WALL) throw new RangeError(`hlc wall time out of range: ${wall}`);
	if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_COUNTER) throw new RangeError(`hlc counter out of range: ${counter}`);
	return `${String(wall).padStart(WALL_DIGITS, '0')}:${String(counter).padStart(COUNTER_DIGITS, '0')}:${node}`;
}

/** A device's node id in hlc stamps: its id without hyphens. The centre checks every pushed stamp's node against it. */
export function deviceNode(deviceId: string): string {
	return deviceId.replace(/-/g, '');
}

export function parseHlc(hlc: Hlc): HlcParts {
	if (!HLC_RE.test(hlc)) throw new Error(`malformed hlc: ${hlc}`);
	const [wall, counter, node] = hlc.split(':') as [string, string, string];
	return { wall: Number(wall), counter: Number(counter), node };
}

export function compareHlc(a: Hlc, b: Hlc): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

export function maxHlc(a: Hlc | null | undefined, b: Hlc | null | undefined): Hlc | null {
	if (!a) return b ?? null;
	if (!b) return a;
	return a >= b ? a : b;
}

/** Persistable clock state: the largest wall time and counter issued or seen. */
export interface HlcState {
	wall: number;
	counter: number;
}

/** How far a remote stamp may run ahead of local time before we refuse to follow it. */
export const MAX_DRIFT_MS = 24 * 60 * 60 * 1000;

export class HlcClock {
	#state: HlcState;
	readonly node: string;
	readonly #now: () => number;

	constructor(node: string, state: HlcState = { wall: 0, counter: 0 }, now: () => number = Date.now) {
		if (!/^[A-Za-z0-9_-]{1,64}$/.test(node)) throw new Error(`bad hlc node id: ${node}`);
		this.node = node;
		this.#state = { ...state };
		this.#now = now;
	}

	get state(): HlcState {
		return { ...this.#state };
	}

	/** A new stamp for a local event: strictly greater than every stamp issued or received. */
	tick(): Hlc {
		const physical = Math.floor(this.#now());
		if (physical > this.#state.wall) {
			this.#state = { wall: physical, counter: 0 };
		} else {
			this.#advanceCounter();
		}
		return formatHlc({ ...this.#state, node: this.node });
	}

	/**
	 * A stamp for a new version of a record whose current version is `prev`: after every stamp
	 * this clock issued or received and after `prev`, so an edit always supersedes the version it
	 * was made from, even when this clock was reset after running ahead.
	 */
	tickAfter(prev: Hlc | null | undefined): Hlc {
		const stamp = this.tick();
		if (!prev || prev < stamp) return stamp;
		const p = parseHlc(prev);
		this.#state = { wall: p.wall, counter: p.counter };
		this.#advanceCounter();
		return formatHlc({ ...this.#state, node: this.node });
	}

	/** Merge a stamp received from elsewhere, so later local stamps sort after it. */
	receive(remote: Hlc): void {
		const r = parseHlc(remote);
		const physical = Math.floor(this.#now());
		// A stamp from a clock far in the future would drag this clock with it forever; such a
		// stamp is still stored and ordered by the merge rule, but the local clock does not follow.
		if (r.wall > physical + MAX_DRIFT_MS) return;
		const wall = Math.max(this.#state.wall, r.wall, physical);
		if (wall === this.#state.wall && wall === r.wall) {
			this.#state = { wall, counter: Math.max(this.#state.counter, r.counter) };
			this.#advanceCounter();
		} else if (wall === this.#state.wall) {
			this.#advanceCounter();
		} else if (wall === r.wall) {
			this.#state = { wall, counter: r.counter };
			this.#advanceCounter();
		} else {
			this.#state = { wall, counter: 0 };
		}
	}

	#advanceCounter(): void {
		if (this.#state.counter >= MAX_COUNTER) {
			// Counter exhausted: step the logical wall forward by 1 ms rather than overflow.
			this.#state = { wall: this.#state.wall + 1, counter: 0 };
		} else {
			this.#state = { wall: this.#state.wall, counter: this.#state.counter + 1 };
		}
	}
}

/**
 * A stamp strictly after `after` and no earlier than `now`: for one-off writes by the centre, which
 * keeps no clock between requests. Unlike `receive`, it follows even a far-future stamp, so a
 * coordinator's edit always wins over the version it was made from.
 */
export function hlcAfter(after: Hlc | null, node: string, now: number = Date.now()): Hlc {
	const physical = Math.floor(now);
	if (!after) return formatHlc({ wall: physical, counter: 0, node });
	const prev = parseHlc(after);
	if (physical > prev.wall) return formatHlc({ wall: physical, counter: 0, node });
	if (prev.counter >= MAX_COUNTER) return formatHlc({ wall: prev.wall + 1, counter: 0, node });
	return formatHlc({ wall: prev.wall, counter: prev.counter + 1, node });
}
