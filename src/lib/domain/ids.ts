/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Ids are made on the tablet, so
 * records created offline never collide, and they sort roughly by creation time.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -1;
let lastSeq = 0;

/** A new UUIDv7. Within one millisecond a 12-bit counter keeps ids from one source increasing. */
export function uuidv7(now: number = Date.now()): string {
	const bytes = new Uint8Array(16);
	crypto.getRandomValues(bytes);
	let ms = Math.max(0, Math.floor(now));
	if (ms <= lastMs) {
		lastSeq += 1;
		if (lastSeq > 0xfff) {
			// Counter exhausted within one millisecond: borrow the next millisecond.
			lastMs += 1;
			lastSeq = 0;
		}
		ms = lastMs;
	} else {
		lastMs = ms;
		lastSeq = bytes[6]! & 0x07; // random start, room to count up
	}
	bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
	bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
	bytes[2] = (ms >>> 24) & 0xff;
	bytes[3] = (ms >>> 16) & 0xff;
	bytes[4] = (ms >>> 8) & 0xff;
	bytes[5] = ms & 0xff;
	bytes[6] = 0x70 | ((lastSeq >>> 8) & 0x0f);
	bytes[7] = lastSeq & 0xff;
	bytes[8] = (bytes[8]! & 0x3f) | 0x80;
	let s = '';
	for (let i = 0; i < 16; i++) {
		s += HEX[bytes[i]!];
		if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
	}
	return s;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuidV7(value: string): boolean {
	return UUIDV7_RE.test(value);
}

/** The creation time (ms since epoch) written into a UUIDv7. */
export function uuidv7Time(id: string): number {
	if (!isUuidV7(id)) throw new Error(`not a UUIDv7: ${id}`);
	return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
