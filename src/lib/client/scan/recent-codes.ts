/**
 * De-duplication of scans. A card held in front of the camera is read on every frame, and a scanner
 * trigger pressed twice reads it twice: the same text counts again only after it has been out of
 * sight for `windowMs`. Each sighting restarts the window, so a card left in view is one scan, not
 * one every two seconds.
 */
export class RecentCodes {
	readonly #lastSeen = new Map<string, number>();

	constructor(readonly windowMs = 2000) {}

	/** True when `text` is new (not seen in the last windowMs); records the sighting either way. */
	accept(text: string, now: number): boolean {
		const last = this.#lastSeen.get(text);
		this.#lastSeen.set(text, now);
		// Forget old sightings so the map stays small on a kiosk that runs all day.
		if (this.#lastSeen.size > 32) for (const [t, at] of this.#lastSeen) if (now - at > this.windowMs) this.#lastSeen.delete(t);
		return last === undefined || now - last > this.windowMs;
	}

	clear(): void {
		this.#lastSeen.clear();
	}
}
