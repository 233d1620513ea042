/**
 * The kiosk's languages: each has every text Japanese has, writes in its own script and punctuation
 * only, and やさしいにほんご gives a reading for every kanji. The browser test
 * (tests/e2e/kiosk-languages.e2e.ts) checks the screens as rendered; this checks every text,
 * including the ones a screen shows only on a failure (camera refused, decoder lost).
 */
import { describe, expect, it } from 'vitest';
import { CARD_BACK } from '$lib/domain/card-back';
import { JA_TEXT, KIOSK_LANGS, LANG_TAG, loadKioskText, loadKioskTexts, type KioskLang, type KioskText } from './kiosk';
import { rubySegments } from './ruby';

/** Every text of a language, by its path; functions are called as the kiosk calls them. */
function texts(value: unknown, path = ''): Array<[string, string]> {
	if (typeof value === 'string') return [[path, value]];
	if (typeof value === 'function') {
		const f = value as (x: unknown) => unknown;
		return [0, 1, 2, 3, 6].flatMap((n) => texts(f(path.endsWith('welcomeFamily') || path.endsWith('reading') ? `X${n}` : n), `${path}(${n})`));
	}
	return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => texts(v, path ? `${path}.${k}` : k));
}

/** The shape of a language's texts: every key, and whether it is a text or a function. */
function shape(value: unknown): unknown {
	if (typeof value !== 'object' || value === null) return typeof value;
	return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
}

const HAN = /\p{Script=Han}/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
const HANGUL = /\p{Script=Hangul}/u;
/** Japanese punctuation; Chinese writes 、。（） itself, but not ・ or 「」. */
const JA_PUNCTUATION: Record<Exclude<KioskLang, 'ja' | 'easy'>, RegExp> = {
	en: /[、。・「」（）]/,
	ko: /[、。・「」（）]/,
	vi: /[、。・「」（）]/,
	zh: /[・「」]/
};
const FOREIGN_SCRIPT: Record<KioskLang, RegExp> = {
	ja: HANGUL,
	easy: HANGUL,
	en: new RegExp(`${HAN.source}|${KANA.source}|${HANGUL.source}`, 'u'),
	vi: new RegExp(`${HAN.source}|${KANA.source}|${HANGUL.source}`, 'u'),
	ko: new RegExp(`${HAN.source}|${KANA.source}`, 'u'),
	zh: new RegExp(`${KANA.source}|${HANGUL.source}`, 'u')
};

describe('kiosk languages', () => {
	it('has six languages, やさしいにほんご tagged as Japanese, each with every text Japanese has', async () => {
		expect([...KIOSK_LANGS]).toEqual(['ja', 'easy', 'en', 'zh', 'ko', 'vi']);
		expect(LANG_TAG.easy).toBe('ja');
		const all = await loadKioskTexts();
		for (const lang of KIOSK_LANGS) expect(shape(all[lang]), lang).toEqual(shape(JA_TEXT));
	});

	it('loads one language at a time, once', async () => {
		const vi = await loadKioskText('vi');
		expect(vi.language).toMatch(/^Ngôn ngữ/);
		expect(await loadKioskText('vi')).toBe(vi);
		expect(await loadKioskText('ja')).toBe(JA_TEXT);
		expect((await loadKioskTexts()).vi).toBe(vi);
	});

	it('writes each language in its own script and punctuation', async () => {
		const all = await loadKioskTexts();
		for (const lang of KIOSK_LANGS) {
			for (const [path, text] of texts(all[lang])) {
				expect(FOREIGN_SCRIPT[lang].test(text), `${lang} ${path}: ${text}`).toBe(false);
				if (lang !== 'ja' && lang !== 'easy') expect(JA_PUNCTUATION[lang].test(text), `${lang} ${path}: ${text}`).toBe(false);
			}
		}
	});

	it('greets in Chinese without a shop’s 欢迎光临, and says “already checked in” in Vietnamese as a sentence about you', async () => {
		const { zh, vi } = await loadKioskTexts();
		expect(texts(zh).some(([, t]) => t.includes('欢迎光临'))).toBe(false);
		expect(vi.already).toBe('Bạn đã làm thủ tục rồi');
		expect(vi.alreadyDetail).toBe('Hôm nay bạn đã làm thủ tục rồi.');
	});

	it('joins texts on one line with each language’s own separator', async () => {
		const all = await loadKioskTexts();
		expect(all.ja.sep).toBe('・');
		expect(`${all.en.checkedIn}${all.en.sep}${all.en.childrenCount(2)}`).toBe('You are checked in · 2 children');
		expect(`${all.zh.checkedIn}${all.zh.sep}${all.zh.childrenCount(2)}`).toBe('签到成功，共2个孩子');
	});

	it('gives a reading for every kanji in やさしいにほんご, in hiragana, the card back’s too', async () => {
		const easy: KioskText = await loadKioskText('easy');
		const all = [...texts(easy), ...texts(CARD_BACK.easy, 'cardBack')];
		let readings = 0;
		for (const [path, text] of all) {
			for (const s of rubySegments(text)) {
				if (s.reading === undefined) expect(HAN.test(s.text), `easy ${path}: “${s.text}” has no reading`).toBe(false);
				else {
					readings++;
					expect(s.reading, `easy ${path}: ${s.text}《${s.reading}》`).toMatch(/^[\p{Script=Hiragana}ー]+$/u);
				}
			}
			// A mark that did not pair up would be printed as it is.
			expect(
				rubySegments(text).some((s) => /[《》｜]/.test(s.text)),
				`easy ${path}: a stray 《, 》 or ｜ in ${text}`
			).toBe(false);
		}
		expect(readings).toBeGreaterThan(100);
	});
});
