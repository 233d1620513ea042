/**
 * Family card codes. A code is 16 random Crockford base32 symbols (80 bits) and one check symbol
 * (Luhn mod 32), shown as `ABCD-EFGH-JKMN-PQRS-T`. The card's QR code holds `HIROBA:` and the code,
 * all in QR alphanumeric mode. Nothing personal is in it. The check symbol lets a tablet refuse a
 * mistyped code or another system's QR code offline, without a lookup: every single wrong symbol
 * is caught, and every swap of two neighbouring symbols except 0 with Z (a known blind spot of
 * Luhn mod N, which an 80-bit code makes harmless: the result is almost surely no card at all).
 */
export const CARD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CARD_DATA_LENGTH = 16;
export const CARD_QR_PREFIX = 'HIROBA:';
const N = CARD_ALPHABET.length; // 32

/** A canonical card code: 17 symbols, no separators. */
export type CardCode = string;

function valueOf(ch: string): number {
	return CARD_ALPHABET.indexOf(ch);
}

/** Luhn mod N check symbol over the given symbols (generation form). */
export function checkSymbol(data: string): string {
	let factor = 2;
	let sum = 0;
	for (let i = data.length - 1; i >= 0; i--) {
		let addend = factor * valueOf(data[i]!);
		factor = factor === 2 ? 1 : 2;
		addend = Math.floor(addend / N) + (addend % N);
		sum += addend;
	}
	return CARD_ALPHABET[(N - (sum % N)) % N]!;
}

/** A new random card code (canonical form). */
export function makeCardCode(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): CardCode {
	const bytes = random(new Uint8Array(CARD_DATA_LENGTH));
	let data = '';
	for (let i = 0; i < CARD_DATA_LENGTH; i++) data += CARD_ALPHABET[bytes[i]! & 31];
	return data + checkSymbol(data);
}

/** `ABCD-EFGH-JKMN-PQRS-T`: how a code is printed and shown. */
export function formatCardCode(code: CardCode): string {
	return code.replace(/(.{4})(?=.)/g, '$1-');
}

/** The text a card's QR code holds. */
export function cardQrPayload(code: CardCode): string {
	return CARD_QR_PREFIX + formatCardCode(code);
}

export type CardParseError = 'empty' | 'foreign' | 'length' | 'symbol' | 'check';

export type CardParseResult = { ok: true; code: CardCode } | { ok: false; error: CardParseError };

/**
 * Read what a camera, a keyboard-wedge scanner or a person produced. Accepts the QR payload, or the
 * bare code typed with or without hyphens and spaces, in either case; Crockford's reading rules map
 * O to 0 and I/L to 1 so that the usual misreadings of a printed card still work.
 */
export function parseCardInput(input: string): CardParseResult {
	let text = input.normalize('NFKC').trim();
	if (text === '') return { ok: false, error: 'empty' };
	const upper = text.toUpperCase();
	if (upper.startsWith(CARD_QR_PREFIX)) {
		text = upper.slice(CARD_QR_PREFIX.length);
	} else if (/[^0-9A-Za-z\s-]/.test(text)) {
		// A URL, another scheme's payload or anything with punctuation is not one of our cards.
		return { ok: false, error: 'foreign' };
	}
	const compact = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
	if (compact.length !== CARD_DATA_LENGTH + 1) return { ok: false, error: 'length' };
	for (const ch of compact) if (valueOf(ch) < 0) return { ok: false, error: 'symbol' };
	const data = compact.slice(0, CARD_DATA_LENGTH);
	if (checkSymbol(data) !== compact[CARD_DATA_LENGTH]) return { ok: false, error: 'check' };
	return { ok: true, code: compact };
}

export function isCardCode(value: string): boolean {
	return /^[0-9A-HJKMNP-TV-Z]{17}$/.test(value) && checkSymbol(value.slice(0, 16)) === value[16];
}
