import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { cleanText, describeBadChar, findBadChar } from './text';

const single = (text: string) => findBadChar(text);
const multi = (text: string) => findBadChar(text, { multiLine: true });

describe('findBadChar', () => {
	it('accepts ordinary text: Japanese, Latin, digits, punctuation, full-width space', () => {
		for (const text of ['', 'にこにこ若葉 1', '本町2丁目', 'ｶﾀｶﾅ　全角スペース', 'Zoë & Léa (2) — “ok”', '〒164-0001', '髙﨑', '𠮷野家']) {
			expect(single(text)).toBeNull();
			expect(multi(text)).toBeNull();
		}
	});

	it('accepts emoji and other characters outside the BMP as valid surrogate pairs', () => {
		for (const text of ['👶🍼', '👨‍👩‍👧', '🇯🇵', 'a\u{1F600}b', '\u{10FFFD}', '\u{1FFFD}', '\u{E0001}']) {
			expect(single(text)).toBeNull();
			expect(multi(text)).toBeNull();
		}
	});

	it('accepts tab, LF and CR in multi-line text only', () => {
		for (const text of ['一行目\n二行目', 'a\r\nb', 'col1\tcol2', '\n\n']) {
			expect(multi(text)).toBeNull();
		}
		expect(single('a\tb')).toEqual({ kind: 'control', codePoint: 0x09, position: 2 });
		expect(single('a\nb')).toEqual({ kind: 'control', codePoint: 0x0a, position: 2 });
		expect(single('a\rb')).toEqual({ kind: 'control', codePoint: 0x0d, position: 2 });
	});

	it('refuses NUL anywhere, in both kinds of text', () => {
		expect(single('\u0000')).toEqual({ kind: 'nul', codePoint: 0, position: 1 });
		expect(multi('夜泣き\u0000')).toEqual({ kind: 'nul', codePoint: 0, position: 4 });
	});

	it('refuses every other C0 control, DEL and every C1 control', () => {
		const allowedInMulti = new Set([0x09, 0x0a, 0x0d]);
		for (let cp = 0x01; cp <= 0x9f; cp++) {
			if (cp >= 0x20 && cp < 0x7f) continue;
			const text = `ab${String.fromCodePoint(cp)}`;
			expect(single(text)).toEqual({ kind: 'control', codePoint: cp, position: 3 });
			expect(multi(text)).toEqual(allowedInMulti.has(cp) ? null : { kind: 'control', codePoint: cp, position: 3 });
		}
		// The neighbours are fine: a space, a tilde and a no-break space.
		expect(single(' ~\u00a0')).toBeNull();
	});

	it('refuses unpaired surrogates: a lone high, a lone low, a reversed pair', () => {
		expect(single('\ud800')).toEqual({ kind: 'surrogate', codePoint: 0xd800, position: 1 });
		expect(single('a\udfff')).toEqual({ kind: 'surrogate', codePoint: 0xdfff, position: 2 });
		expect(multi('ok\udbff')).toEqual({ kind: 'surrogate', codePoint: 0xdbff, position: 3 });
		expect(single('\udc00\ud800')).toEqual({ kind: 'surrogate', codePoint: 0xdc00, position: 1 });
		// A valid pair before the lone half counts as one character.
		expect(single('😀\ud83dx')).toEqual({ kind: 'surrogate', codePoint: 0xd83d, position: 2 });
	});

	it('refuses the non-characters U+FDD0–U+FDEF and U+xFFFE/U+xFFFF in every plane', () => {
		for (const cp of [0xfdd0, 0xfde0, 0xfdef, 0xfffe, 0xffff]) {
			expect(single(`x${String.fromCodePoint(cp)}`)).toEqual({ kind: 'noncharacter', codePoint: cp, position: 2 });
		}
		for (let plane = 1; plane <= 16; plane++) {
			for (const low of [0xfffe, 0xffff]) {
				const cp = plane * 0x10000 + low;
				expect(multi(`👶${String.fromCodePoint(cp)}`)).toEqual({ kind: 'noncharacter', codePoint: cp, position: 2 });
			}
		}
		// Their neighbours are characters.
		for (const cp of [0xfdcf, 0xfdf0, 0xfffd, 0x1fffd, 0x20000, 0x10fffd]) expect(single(String.fromCodePoint(cp))).toBeNull();
	});

	it('reports the first bad character', () => {
		expect(single('ok\u0001\u0000')).toEqual({ kind: 'control', codePoint: 1, position: 3 });
	});
});

describe('describeBadChar', () => {
	it('names the kind, the code point and the position, in English', () => {
		expect(describeBadChar(single('ab\u0000')!)).toBe('contains a NUL character (U+0000) at character 3');
		expect(describeBadChar(single('a\nb')!)).toBe(
			'contains a control character (U+000A) at character 2; single-line text allows none, not even tab or line breaks'
		);
		expect(describeBadChar(multi('a\u0007')!, { multiLine: true })).toBe(
			'contains a control character (U+0007) at character 2; only tab and line breaks are allowed'
		);
		expect(describeBadChar(single('\ud800')!)).toBe('contains an unpaired surrogate (U+D800) at character 1; the text is not well-formed Unicode');
		expect(describeBadChar(single('\u{10ffff}')!)).toBe('contains a Unicode non-character (U+10FFFF) at character 1');
	});
});

describe('cleanText', () => {
	it('passes clean text through and refuses bad text with the specific message', () => {
		const schema = cleanText().check(z.trim(), z.maxLength(10));
		expect(schema.parse('  ぴよ  ')).toBe('ぴよ');
		const r = schema.safeParse('ぴ\u0000よ');
		expect(r.success).toBe(false);
		expect(r.error!.issues).toEqual([expect.objectContaining({ code: 'custom', path: [], message: 'contains a NUL character (U+0000) at character 2' })]);
	});

	it('checks the text as sent, before trimming: a trailing newline in single-line text is refused', () => {
		expect(cleanText().check(z.trim()).safeParse('ぴよ\n').success).toBe(false);
		expect(cleanText({ multiLine: true }).check(z.trim()).parse('ぴよ\n')).toBe('ぴよ');
	});

	it('allows tab and line breaks in multi-line text only', () => {
		expect(cleanText({ multiLine: true }).parse('一行目\n\t二行目\r\n')).toBe('一行目\n\t二行目\r\n');
		expect(cleanText().safeParse('一行目\n二行目').success).toBe(false);
	});

	it('uses a given message instead of the English one', () => {
		const r = cleanText({ message: '使えない文字が含まれています' }).safeParse('\ufffe');
		expect(r.error!.issues[0]!.message).toBe('使えない文字が含まれています');
	});
});
