/**
 * Family card codes for benchmarks, in plain JS (Node runs the benchmarks without a TypeScript
 * loader). The same format as src/lib/domain/card-code.ts: 16 Crockford base32 symbols and a
 * Luhn mod 32 check symbol; the QR payload is `HIROBA:` and the code in groups of four.
 */
import { randomInt } from 'node:crypto';

export const CARD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Luhn mod 32 check symbol over `data` (generation form). @param {string} data */
export function checkSymbol(data) {
	const n = CARD_ALPHABET.length;
	let factor = 2;
	let sum = 0;
	for (let i = data.length - 1; i >= 0; i--) {
		const addend = factor * CARD_ALPHABET.indexOf(data.charAt(i));
		factor = factor === 2 ? 1 : 2;
		sum += Math.floor(addend / n) + (addend % n);
	}
	return CARD_ALPHABET.charAt((n - (sum % n)) % n);
}

/** A valid card code no household has (80 random bits). */
export function randomCardCode() {
	let data = '';
	for (let i = 0; i < 16; i++) data += CARD_ALPHABET.charAt(randomInt(CARD_ALPHABET.length));
	return data + checkSymbol(data);
}

/** `ABCD-EFGH-JKMN-PQRS-T` @param {string} code */
export const formatCardCode = (code) => code.replace(/(.{4})(?=.)/g, '$1-');

/** What a card's QR code holds. @param {string} code */
export const cardQrPayload = (code) => 'HIROBA:' + formatCardCode(code);
