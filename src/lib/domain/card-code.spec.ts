import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
	CARD_ALPHABET,
	CARD_DATA_LENGTH,
	CARD_QR_PREFIX,
	cardQrPayload,
	checkSymbol,
	formatCardCode,
	isCardCode,
	makeCardCode,
	parseCardInput
} from './card-code';

/** A deterministic "random" source that fills the buffer with the given bytes. */
const bytesOf = (values: number[]) => (b: Uint8Array) => {
	b.set(values.slice(0, b.length));
	return b;
};

/** Code from 16 data values (0..31), with its check symbol, without going through makeCardCode. */
function codeFrom(values: number[]): string {
	const data = values.map((v) => CARD_ALPHABET[v]!).join('');
	return data + checkSymbol(data);
}

/**
 * Independent Luhn mod 32 validation (the "validation form" of the algorithm): walking from the
 * right, starting with factor 1 on the check symbol, the folded sum is 0 mod 32.
 */
function luhnValid(code: string): boolean {
	let factor = 1;
	let sum = 0;
	for (let i = code.length - 1; i >= 0; i--) {
		const addend = factor * CARD_ALPHABET.indexOf(code[i]!);
		sum += Math.floor(addend / 32) + (addend % 32);
		factor = factor === 1 ? 2 : 1;
	}
	return sum % 32 === 0;
}

const KNOWN = '0123456789ABCDEF8'; // worked by hand: folded sum 184, 184 mod 32 = 24, check = 32 - 24 = 8
const SAMPLE_CODES = [KNOWN, 'ZZZZZZZZZZZZZZZZG', codeFrom([31, 0, 7, 18, 25, 3, 30, 12, 1, 9, 22, 16, 5, 27, 14, 20])];

describe('alphabet', () => {
	it('is the 32 Crockford symbols without I, L, O, U', () => {
		expect(CARD_ALPHABET).toHaveLength(32);
		expect(new Set(CARD_ALPHABET).size).toBe(32);
		for (const ch of 'ILOU') expect(CARD_ALPHABET).not.toContain(ch);
		expect(CARD_DATA_LENGTH * Math.log2(CARD_ALPHABET.length)).toBeGreaterThanOrEqual(80);
	});
});

describe('checkSymbol', () => {
	it('matches hand-computed values', () => {
		expect(checkSymbol('0123456789ABCDEF')).toBe('8');
		expect(checkSymbol('0000000000000000')).toBe('0');
		// each Z contributes 31 (62 folds to 1 + 30 = 31); 16 × 31 = 496 ≡ 16, check 32 - 16 = 16 = G
		expect(checkSymbol('ZZZZZZZZZZZZZZZZ')).toBe('G');
	});

	it('agrees with the independent validation form for random data', () => {
		fc.assert(
			fc.property(fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 16, maxLength: 16 }), (values) => {
				expect(luhnValid(codeFrom(values))).toBe(true);
			})
		);
	});
});

describe('makeCardCode', () => {
	it('maps the random bytes onto the alphabet, 5 bits each, and appends the check symbol', () => {
		expect(makeCardCode(bytesOf(Array.from({ length: 16 }, (_, i) => i)))).toBe(KNOWN);
		// only the low 5 bits of each byte are used: i + 32 and i + 224 give the same code
		expect(makeCardCode(bytesOf(Array.from({ length: 16 }, (_, i) => i + 32)))).toBe(KNOWN);
		expect(makeCardCode(bytesOf(Array.from({ length: 16 }, (_, i) => i + 224)))).toBe(KNOWN);
		expect(makeCardCode(bytesOf(Array(16).fill(255)))).toBe('ZZZZZZZZZZZZZZZZG');
		expect(makeCardCode(bytesOf(Array(16).fill(0)))).toBe('00000000000000000');
	});

	it('asks for exactly 16 random bytes', () => {
		const sizes: number[] = [];
		makeCardCode((b) => {
			sizes.push(b.length);
			return b;
		});
		expect(sizes).toEqual([16]);
	});

	it('produces valid 17-symbol canonical codes', () => {
		for (let i = 0; i < 1000; i++) {
			const code = makeCardCode();
			expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{17}$/);
			expect(isCardCode(code)).toBe(true);
			expect(luhnValid(code)).toBe(true);
			expect(parseCardInput(code)).toEqual({ ok: true, code });
		}
	});

	it('draws from the whole alphabet at every position (80 random bits), without repeats over 10k codes', () => {
		const codes = Array.from({ length: 10_000 }, () => makeCardCode());
		expect(new Set(codes).size).toBe(10_000);
		for (let pos = 0; pos < CARD_DATA_LENGTH; pos++) {
			const seen = new Set(codes.map((c) => c[pos]));
			// with 10k draws, missing one of 32 symbols has probability ≈ 32 × (31/32)^10000 ≈ 0
			expect(seen.size).toBe(32);
		}
		expect(codes.every((c) => /^[0-9A-HJKMNP-TV-Z]{17}$/.test(c) && luhnValid(c))).toBe(true);
	});
});

describe('formatCardCode / cardQrPayload', () => {
	it('groups in fours with a lone check symbol', () => {
		expect(formatCardCode(KNOWN)).toBe('0123-4567-89AB-CDEF-8');
		expect(formatCardCode('ZZZZZZZZZZZZZZZZG')).toBe('ZZZZ-ZZZZ-ZZZZ-ZZZZ-G');
	});

	it('puts the prefix and the formatted code in the QR payload', () => {
		expect(CARD_QR_PREFIX).toBe('HIROBA:');
		expect(cardQrPayload(KNOWN)).toBe('HIROBA:0123-4567-89AB-CDEF-8');
	});

	it('keeps the payload within the QR alphanumeric character set', () => {
		for (let i = 0; i < 200; i++) expect(cardQrPayload(makeCardCode())).toMatch(/^[0-9A-Z $%*+\-./:]+$/);
	});
});

describe('parseCardInput: accepted forms', () => {
	const ok = { ok: true, code: KNOWN };

	it('reads the QR payload, with or without hyphens, in either case', () => {
		expect(parseCardInput('HIROBA:0123-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('HIROBA:0123456789ABCDEF8')).toEqual(ok);
		expect(parseCardInput('hiroba:0123-4567-89ab-cdef-8')).toEqual(ok);
		expect(parseCardInput(cardQrPayload(KNOWN))).toEqual(ok);
	});

	it('reads what a keyboard-wedge scanner sends (trailing Enter or Tab)', () => {
		expect(parseCardInput('HIROBA:0123-4567-89AB-CDEF-8\n')).toEqual(ok);
		expect(parseCardInput('HIROBA:0123-4567-89AB-CDEF-8\r\n')).toEqual(ok);
		expect(parseCardInput('\tHIROBA:0123-4567-89AB-CDEF-8\t')).toEqual(ok);
	});

	it('reads a typed code with hyphens, spaces, lowercase', () => {
		expect(parseCardInput('0123-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('0123 4567 89AB CDEF 8')).toEqual(ok);
		expect(parseCardInput('0123456789abcdef8')).toEqual(ok);
		expect(parseCardInput('  0123-4567 89ab-CdEf 8  ')).toEqual(ok);
		expect(parseCardInput('01-23--4567 - 89AB CDEF8')).toEqual(ok);
	});

	it('reads full-width input from a Japanese IME (NFKC)', () => {
		expect(parseCardInput('０１２３－４５６７－８９ＡＢ－ＣＤＥＦ－８')).toEqual(ok);
		expect(parseCardInput('０１２３　４５６７　８９ａｂ　ｃｄｅｆ　８')).toEqual(ok);
		expect(parseCardInput('ＨＩＲＯＢＡ：０１２３－４５６７－８９ＡＢ－ＣＤＥＦ－８')).toEqual(ok);
	});

	it('reads O as 0 and I, L as 1 (Crockford), in either case', () => {
		expect(parseCardInput('O123-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('o123-4567-89ab-cdef-8')).toEqual(ok);
		expect(parseCardInput('0I23-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('0i23-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('0L23-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('0l23-4567-89AB-CDEF-8')).toEqual(ok);
		expect(parseCardInput('HIROBA:OL23-4567-89AB-CDEF-8')).toEqual(ok);
	});

	it('returns the canonical code (no separators, uppercase)', () => {
		const r = parseCardInput('0123-4567-89ab-cdef-8');
		expect(r.ok && r.code).toBe('0123456789ABCDEF8');
	});
});

describe('parseCardInput: refusals', () => {
	it('refuses empty input', () => {
		expect(parseCardInput('')).toEqual({ ok: false, error: 'empty' });
		expect(parseCardInput('   \n\t')).toEqual({ ok: false, error: 'empty' });
		expect(parseCardInput('\u3000')).toEqual({ ok: false, error: 'empty' }); // ideographic space
	});

	it("refuses other systems' QR payloads as foreign", () => {
		for (const text of [
			'https://example.com/card/0123456789ABCDEF8',
			'http://hiroba.example/0123-4567-89AB-CDEF-8',
			'WIFI:S:HirobaGuest;T:WPA;P:secret;;',
			'BEGIN:VCARD\nVERSION:3.0\nEND:VCARD',
			'mailto:someone@example.com',
			'OTHER:0123-4567-89AB-CDEF-8',
			'0123_4567_89AB_CDEF_8',
			'0123.4567.89AB.CDEF.8',
			'こんにちは'
		]) {
			expect(parseCardInput(text), text).toEqual({ ok: false, error: 'foreign' });
		}
	});

	it('refuses a JAN (EAN-13) barcode number by its length', () => {
		expect(parseCardInput('4901234567894')).toEqual({ ok: false, error: 'length' });
		expect(parseCardInput('49012345')).toEqual({ ok: false, error: 'length' }); // JAN-8
	});

	it('refuses wrong lengths', () => {
		expect(parseCardInput('0123-4567-89AB-CDEF')).toEqual({ ok: false, error: 'length' });
		expect(parseCardInput('0123-4567-89AB-CDEF-80')).toEqual({ ok: false, error: 'length' });
		expect(parseCardInput('HIROBA:')).toEqual({ ok: false, error: 'length' });
		expect(parseCardInput('HIROBA:0123')).toEqual({ ok: false, error: 'length' });
		expect(parseCardInput('A')).toEqual({ ok: false, error: 'length' });
	});

	it('refuses symbols outside the alphabet', () => {
		expect(parseCardInput('U123-4567-89AB-CDEF-8')).toEqual({ ok: false, error: 'symbol' });
		expect(parseCardInput('0123-4567-89AB-CDEF-U')).toEqual({ ok: false, error: 'symbol' });
		expect(parseCardInput('HIROBA:0123-4567-89AB-CDEF.')).toEqual({ ok: false, error: 'symbol' });
		expect(parseCardInput('HIROBA:0123-4567-89AB-CDE#8')).toEqual({ ok: false, error: 'symbol' });
	});

	it('refuses a wrong check symbol', () => {
		expect(parseCardInput('0123-4567-89AB-CDEF-9')).toEqual({ ok: false, error: 'check' });
		expect(parseCardInput('HIROBA:0123-4567-89AB-CDEF-0')).toEqual({ ok: false, error: 'check' });
	});

	it('refuses every single-symbol substitution (all positions × all 31 other symbols)', () => {
		const codes = [...SAMPLE_CODES, makeCardCode(), makeCardCode()];
		let tried = 0;
		for (const code of codes) {
			for (let pos = 0; pos < code.length; pos++) {
				for (const sym of CARD_ALPHABET) {
					if (sym === code[pos]) continue;
					const wrong = code.slice(0, pos) + sym + code.slice(pos + 1);
					expect(parseCardInput(wrong), wrong).toEqual({ ok: false, error: 'check' });
					expect(isCardCode(wrong)).toBe(false);
					tried++;
				}
			}
		}
		expect(tried).toBe(codes.length * 17 * 31);
	});

	it('refuses every adjacent transposition except 0 with Z (exhaustive over symbol pairs and positions)', () => {
		let blind = 0;
		let caught = 0;
		for (let a = 0; a < 32; a++) {
			for (let b = 0; b < 32; b++) {
				if (a === b) continue;
				const A = CARD_ALPHABET[a]!;
				const B = CARD_ALPHABET[b]!;
				const isBlindSpot = (A === '0' && B === 'Z') || (A === 'Z' && B === '0');
				// Swaps within the data: put A,B at positions i,i+1 of otherwise varied data.
				for (let i = 0; i < CARD_DATA_LENGTH - 1; i++) {
					const values = Array.from({ length: 16 }, (_, k) => (k * 7 + a + b) % 32);
					values[i] = a;
					values[i + 1] = b;
					const code = codeFrom(values);
					const swapped = code.slice(0, i) + B + A + code.slice(i + 2);
					const r = parseCardInput(swapped);
					if (isBlindSpot) {
						expect(r, swapped).toEqual({ ok: true, code: swapped });
						blind++;
					} else {
						expect(r, swapped).toEqual({ ok: false, error: 'check' });
						caught++;
					}
				}
				// The swap of the last data symbol (A) with the check symbol (B): choose the first
				// data symbol so that the check comes out as B (the first symbol shifts the sum
				// through every residue, so one always exists).
				let code: string | null = null;
				for (let first = 0; first < 32 && code === null; first++) {
					const values = Array.from({ length: 16 }, (_, k) => (k * 5 + a) % 32);
					values[0] = first;
					values[15] = a;
					const c = codeFrom(values);
					if (c[16] === B) code = c;
				}
				expect(code).not.toBeNull();
				const swapped = code!.slice(0, 15) + B + A;
				const r = parseCardInput(swapped);
				if (isBlindSpot) {
					expect(r, swapped).toEqual({ ok: true, code: swapped });
					blind++;
				} else {
					expect(r, swapped).toEqual({ ok: false, error: 'check' });
					caught++;
				}
			}
		}
		expect(blind).toBe(2 * 16); // 0Z and Z0, at each of the 16 adjacent positions
		expect(caught).toBe((32 * 31 - 2) * 16);
	});

	it('refuses adjacent transpositions of random codes, except 0 with Z', () => {
		for (let n = 0; n < 300; n++) {
			const code = makeCardCode();
			for (let i = 0; i < 16; i++) {
				const a = code[i]!;
				const b = code[i + 1]!;
				if (a === b) continue;
				const swapped = code.slice(0, i) + b + a + code.slice(i + 2);
				const blind = (a === '0' && b === 'Z') || (a === 'Z' && b === '0');
				expect(parseCardInput(swapped).ok, swapped).toBe(blind);
			}
		}
	});
});

describe('parseCardInput: properties', () => {
	const dataValues = fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 16, maxLength: 16 });

	it('round-trips every code through format → parse, payload → parse and lowercase', () => {
		fc.assert(
			fc.property(dataValues, (values) => {
				const code = makeCardCode(bytesOf(values));
				expect(code).toBe(codeFrom(values));
				expect(parseCardInput(formatCardCode(code))).toEqual({ ok: true, code });
				expect(parseCardInput(cardQrPayload(code))).toEqual({ ok: true, code });
				expect(parseCardInput(formatCardCode(code).toLowerCase())).toEqual({ ok: true, code });
				expect(isCardCode(code)).toBe(true);
			}),
			{ numRuns: 2000 }
		);
	});

	it('never throws, and whatever it accepts is a canonical valid code', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 40 }), (text) => {
				const r = parseCardInput(text);
				if (r.ok) expect(isCardCode(r.code)).toBe(true);
				else expect(['empty', 'foreign', 'length', 'symbol', 'check']).toContain(r.error);
			}),
			{ numRuns: 2000 }
		);
	});

	it('accepts a 17-symbol string exactly when isCardCode does', () => {
		fc.assert(
			fc.property(fc.array(fc.constantFrom(...CARD_ALPHABET), { minLength: 17, maxLength: 17 }), (chars) => {
				const s = chars.join('');
				expect(parseCardInput(s).ok).toBe(isCardCode(s));
				expect(isCardCode(s)).toBe(luhnValid(s));
			}),
			{ numRuns: 2000 }
		);
	});
});

describe('isCardCode', () => {
	it('accepts only the canonical form', () => {
		expect(isCardCode(KNOWN)).toBe(true);
		expect(isCardCode('0123-4567-89AB-CDEF-8')).toBe(false);
		expect(isCardCode('0123456789abcdef8')).toBe(false);
		expect(isCardCode('O123456789ABCDEF8')).toBe(false);
		expect(isCardCode('0123456789ABCDEF9')).toBe(false);
		expect(isCardCode('0123456789ABCDEF')).toBe(false);
		expect(isCardCode('HIROBA:0123456789ABCDEF8')).toBe(false);
		expect(isCardCode('')).toBe(false);
	});
});
