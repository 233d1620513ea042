/**
 * Every kiosk screen in every kiosk language, on the built server: each screen's visible text and
 * accessible names (text, aria-label, placeholder, alt, title, option text) are in the screen's
 * language only. Proper names are exempt where the page marks them `translate="no"` (the language
 * buttons, each in its own language; town names; the card number), and so are card numbers inside
 * a text (an image's alt, the typing example). やさしいにほんご has furigana on every kanji.
 *
 * One server, one tablet, one page. A screen is one line in SCREENS: how to get there from the
 * scanner in the chosen language (and, if not by “back” or by tapping the answer away, how to leave).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardQrPayload, formatCardCode, parseCardInput } from '../../src/lib/domain/card-code';
import { KIOSK_LANGS, LANG_NAME, loadKioskTexts, type KioskLang, type KioskText } from '../../src/lib/client/i18n/kiosk';
import { rubySegments } from '../../src/lib/client/i18n/ruby';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from '../server-process';
import { enroll, push, Tablet } from '../device-api';
import * as f from '../factories';
import { sidewaysOverflow, smallText, splitJapaneseWords } from './layout';
import { enrollOnStaffFace, expectAccessible, launchTablet, scannerTypes } from './browser';
import { makeEmptyCameraVideo } from './fake-camera';
import { enrollProbe, households } from './probe';

interface Found {
	/** What was read. */
	text: string;
	/** Where: `text`, or the attribute's name. */
	where: string;
	/** Text outside <ruby> that has kanji (only asked for in やさしいにほんご). */
	bareKanji: boolean;
}

/**
 * Everything the page says (not its proper names, nor furigana itself). While an answer is shown,
 * what it says: behind it the kiosk may already be back in Japanese for the next family.
 */
function collect(page: Page): Promise<Found[]> {
	return page.evaluate(() => {
		const root = document.querySelector('[data-testid="confirmation"]') ?? document.body;
		const out: Found[] = [];
		const KANJI = /\p{Script=Han}/u;
		const proper = (el: Element) => el.closest('[translate="no"]') !== null;
		const shown = (el: Element) => (el as HTMLElement).checkVisibility?.({ visibilityProperty: true }) ?? true;
		const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement!;
			const text = n.textContent!.trim();
			// SvelteKit's announcer says the page title once, on arriving (before anyone chose a language).
			if (!text || el.closest('script, style, rt, rp, option, #svelte-announcer') || proper(el) || !shown(el)) continue;
			out.push({ text, where: 'text', bareKanji: KANJI.test(text) && !el.closest('ruby') });
		}
		for (const el of Array.from(root.querySelectorAll('*'))) {
			if (proper(el)) continue;
			for (const a of ['aria-label', 'placeholder', 'alt', 'title']) {
				const v = el.getAttribute(a);
				if (v && shown(el)) out.push({ text: v, where: a, bareKanji: KANJI.test(v) });
			}
			if (el instanceof HTMLOptionElement && el.parentElement && shown(el.parentElement))
				out.push({ text: el.text, where: 'option', bareKanji: KANJI.test(el.text) });
		}
		return out;
	});
}

const HAN = '\\p{Script=Han}';
const KANA = '\\p{Script=Hiragana}\\p{Script=Katakana}';
const HANGUL = '\\p{Script=Hangul}';
/** Letters of another language, by the screen's language. */
const FOREIGN: Record<KioskLang, RegExp> = {
	ja: new RegExp(`[${HANGUL}]|[A-Za-z]+`, 'gu'),
	easy: new RegExp(`[${HANGUL}]|[A-Za-z]+`, 'gu'),
	en: new RegExp(`[${HAN}${KANA}${HANGUL}]`, 'gu'),
	vi: new RegExp(`[${HAN}${KANA}${HANGUL}]`, 'gu'),
	ko: new RegExp(`[${HAN}${KANA}]`, 'gu'),
	zh: new RegExp(`[${KANA}${HANGUL}]`, 'gu')
};
/** Latin a Japanese screen may show: the name of the code itself. */
const LATIN_IN_JAPANESE = new Set(['QR']);
const CARD_NUMBER = /[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}-[0-9A-Z]/g;

/** What in `found` is not in `lang` (an empty list when all is). */
function strangers(lang: KioskLang, found: Found[]): string[] {
	const bad: string[] = [];
	for (const f of found) {
		const hits = (f.text.replace(CARD_NUMBER, '').match(FOREIGN[lang]) ?? []).filter((h) => !LATIN_IN_JAPANESE.has(h));
		if (hits.length) bad.push(`${f.where}: ${f.text}  ← ${hits.join(' ')}`);
		if (lang === 'easy' && f.bareKanji) bad.push(`${f.where}: ${f.text}  ← kanji without furigana`);
	}
	return bad;
}

interface Kiosk {
	page: Page;
	t: KioskText;
	lang: KioskLang;
	/** One of the scanner screen's three big buttons: first time, no card, type the number. */
	action: (i: 0 | 1 | 2) => Promise<void>;
	confirmation: () => Promise<void>;
	/** Per language, what one screen leaves for a later one (the new card's number). */
	saved: Partial<Record<KioskLang, string>>;
	/** Cards of families at another site (not on this tablet), one for each check-in. */
	otherSiteCards: string[];
	/** A card number one character off (its check character no longer fits). */
	typo: string;
	/**
	 * Per language, families of this tablet's site who read it, with two children: one for each
	 * check-in (the scanner takes the same card again only after two seconds out of sight).
	 */
	families: Record<KioskLang, string[]>;
	/** One of the answer's buttons, by what it does (its words are the family's language). */
	answerButton: (action: 'undo' | 'add-baby' | 'close') => Promise<void>;
}

interface Screen {
	name: string;
	go: (k: Kiosk) => Promise<void>;
	leave?: (k: Kiosk) => Promise<void>;
}

/** A text as the page's accessible names read it: each base followed by its furigana. */
const named = (text: string) =>
	rubySegments(text)
		.map((x) => x.text + (x.reading ?? ''))
		.join('');

/** The family of this site who reads the screen's language: checked in, its answer on screen. */
async function familyCheckIn(k: Kiosk) {
	await scannerTypes(k.page, cardQrPayload(k.families[k.lang].pop()!));
	await k.confirmation();
	await k.page.getByTestId('confirm-people').waitFor();
}

/** Take the family's check-in back, and close the answer that says so. */
async function undoAndClose(k: Kiosk) {
	await k.answerButton('undo');
	await k.page.locator('[data-testid="confirmation"].warn').waitFor();
	await k.answerButton('close');
}

const SCREENS: Screen[] = [
	{ name: 'scanner', go: ({ page }) => page.locator('.scanner button.switch:not([disabled])').waitFor() },
	{ name: 'walk-in, counting', go: async (k) => (await k.action(1), await k.page.locator('.ages button.big').first().click()) },
	{
		name: 'walk-in checked in',
		go: async (k) => (
			await k.action(1),
			await k.page.locator('.ages button.big').first().click(),
			await k.page.locator('.buttons button.primary').click(),
			await k.confirmation()
		)
	},
	{ name: 'type the number', go: async (k) => (await k.action(2), await k.page.locator('#card-code').fill('ABCD-EFGH')) },
	{
		name: 'mistyped number',
		go: async (k) => (
			await k.action(2),
			await k.page.locator('#card-code').fill(k.typo),
			await k.page.locator('button[type=submit]').click(),
			await k.page.locator('#card-code[aria-invalid="true"]').waitFor()
		)
	},
	{ name: 'not a card', go: async (k) => (await scannerTypes(k.page, `https://example.com/coupon?id=${k.lang}`), await k.confirmation()) },
	{
		name: 'checked in (family from another site)',
		go: async (k) => (await scannerTypes(k.page, cardQrPayload(k.otherSiteCards.pop()!)), await k.confirmation())
	},
	{ name: 'who came (a family of this site)', go: familyCheckIn, leave: undoAndClose },
	{
		name: 'a new baby',
		go: async (k) => (await familyCheckIn(k), await k.answerButton('add-baby'), await k.page.locator('select[name="baby-year"]').waitFor()),
		leave: async (k) => {
			await k.page
				.locator('main')
				.getByRole('button', { name: named(k.t.cancel), exact: true })
				.click();
			await k.confirmation();
			await undoAndClose(k);
		}
	},
	{
		name: 'check-in taken back',
		go: async (k) => (await familyCheckIn(k), await k.answerButton('undo'), await k.page.locator('[data-testid="confirmation"].warn').waitFor())
	},
	{ name: 'registration with a refusal and the town list', go: registerWithRefusal },
	{ name: 'new card', go: register, leave: ({ page }) => page.locator('section.panel button').click() },
	{ name: 'already checked in (the new card)', go: async (k) => (await scannerTypes(k.page, cardQrPayload(k.saved[k.lang]!)), await k.confirmation()) }
];

/**
 * Each language is looked at on a screen of its own size: a tablet either way up, or a phone. The
 * two Japanese ones are on the narrowest, where a word is likeliest to break.
 */
const VIEWPORTS: Record<KioskLang, { width: number; height: number }> = {
	ja: { width: 390, height: 844 },
	easy: { width: 800, height: 1280 },
	en: { width: 1180, height: 820 },
	zh: { width: 390, height: 844 },
	ko: { width: 800, height: 1280 },
	vi: { width: 1180, height: 820 }
};

async function registerWithRefusal(k: Kiosk) {
	await k.action(0);
	await k.page.locator('button[type=submit]').click();
	await k.page.getByRole('alert').waitFor();
	await k.page.locator('input[name=area][value=ward]').check();
	await k.page.locator('#town-search').fill('hon');
	await k.page.locator('#town option[translate="no"]').first().waitFor({ state: 'attached' });
}

async function register(k: Kiosk) {
	const { page } = k;
	await k.action(0);
	await page.locator('select[name="child-year-0"]').selectOption(String(new Date().getFullYear() - 1));
	await page.locator('select[name="child-month-0"]').selectOption('4');
	await page.locator('input[name=area][value=ward]').check();
	await page.locator('#town-search').fill('honcho 2');
	await page.locator('#town').selectOption('本町2丁目');
	await page.locator('.consent input').check();
	await page.locator('button[type=submit]').click();
	const shown = (await page.getByTestId('new-card-code').textContent())!.trim();
	const parsed = parseCardInput(shown);
	if (!parsed.ok) throw new Error(`the new card's number ${shown} does not parse`);
	k.saved[k.lang] = parsed.code;
}

describe('the kiosk in every language', () => {
	let place: Place;
	let server: RunningServer;
	let work: string;
	let tablet: BrowserContext;
	let page: Page;
	let all: Record<KioskLang, KioskText>;
	let otherSiteCards: string[];
	let families: Record<KioskLang, string[]>;

	beforeAll(async () => {
		all = await loadKioskTexts();
		place = await makePlace('pglite', { from: 'demo' });
		server = await startServer({ dataDir: place.dataDir });
		work = mkdtempSync(join(tmpdir(), 'hiroba-kiosk-langs-e2e-'));
		const siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		const sites = (await runAdmin(['sites', '--json'], { dataDir: place.dataDir })).json<{ sites: Array<{ id: string; nameJa: string }> }>().sites;
		const here = sites.find((s) => s.nameJa === siteName)!.id;
		const mine = new Set((await households(server, await enrollProbe(server, place.dataDir, here))).map((h) => h.cardCode));
		const elsewhere = await enrollProbe(server, place.dataDir, sites.find((s) => s.id !== here)!.id);
		otherSiteCards = (await households(server, elsewhere)).map((h) => h.cardCode).filter((c) => !mine.has(c));
		expect(otherSiteCards.length).toBeGreaterThanOrEqual(KIOSK_LANGS.length);
		// A family of this site for each language, with two children, registered by another tablet
		// of the site before this one is enrolled: its first pull brings them.
		const code = (await runAdmin(['enroll-code', here, '--json'], { dataDir: place.dataDir })).json<{ code: string }>().code;
		const other = (await enroll(server.url, code, 'もう1台')).body;
		const stamps = new Tablet('').as(other.deviceId);
		const year = new Date().getFullYear();
		const changes = [];
		families = Object.fromEntries(KIOSK_LANGS.map((l) => [l, []])) as unknown as Record<KioskLang, string[]>;
		for (const lang of KIOSK_LANGS)
			for (let i = 0; i < 3; i++) {
				const h = f.household({ language: lang, registeredSiteId: here, nickname: null });
				const hc = stamps.change('households', h);
				changes.push(
					hc,
					stamps.change('children', f.child(hc.id, { birthYm: `${year - 1}-04` })),
					stamps.change('children', f.child(hc.id, { birthYm: `${year - 4}-10` }))
				);
				families[lang].push(h.cardCode);
			}
		const pushed = await push(server.url, other.token, changes);
		expect(pushed.status).toBe(200);
		expect(pushed.body.results.every((r) => r.status === 'applied')).toBe(true);
		// Chromium's own test pattern for a camera: the camera runs, and reads no code by itself.
		tablet = await launchTablet(join(work, 'profile'), makeEmptyCameraVideo(work));
		page = tablet.pages()[0] ?? (await tablet.newPage());
	});
	afterAll(async () => {
		await tablet?.close();
		await server?.stop();
		await place?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	async function choose(lang: KioskLang) {
		const button = page.locator('nav.langs button', { hasText: LANG_NAME[lang] });
		await button.click();
		await expect.poll(() => button.getAttribute('aria-pressed')).toBe('true');
	}

	async function expectOnly(lang: KioskLang, where: string) {
		const found = await collect(page);
		expect(found.length, `${lang} ${where}: something on screen`).toBeGreaterThan(1);
		expect(strangers(lang, found), `${lang} ${where}`).toEqual([]);
	}

	it('says check-in is not open, in every language, once the tablet is enrolled', async () => {
		await page.goto(`${server.url}/kiosk`);
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await page.waitForURL(`${server.url}/staff`);
		await enrollOnStaffFace(page, server.enrollmentCode!, '受付 ことば');
		// No session open yet: the kiosk says so.
		await page.goto(`${server.url}/kiosk`);
		await page.getByRole('heading', { name: all.ja.notOpen }).waitFor();
		for (const lang of KIOSK_LANGS) {
			await choose(lang);
			await expectOnly(lang, 'not open');
		}
		await choose('ja');
	});

	it('shows every screen in every language in that language only', async () => {
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await page.getByRole('button', { name: '相談員 山田' }).click();
		for (const d of '482193') await page.getByRole('button', { name: d, exact: true }).click();
		await page.getByRole('button', { name: 'OK' }).click();
		await page.getByRole('heading', { name: '今日の開催' }).waitFor();
		await page.getByRole('button', { name: '開始する' }).first().click();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await page.waitForURL(`${server.url}/kiosk`);

		const saved: Kiosk['saved'] = {};
		const good = formatCardCode(otherSiteCards[0]!);
		const typo = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
		expect(parseCardInput(typo).ok).toBe(false);
		for (const lang of KIOSK_LANGS) {
			const t = all[lang];
			const k: Kiosk = {
				page,
				t,
				lang,
				saved,
				otherSiteCards,
				typo,
				families,
				action: (i) => page.locator('.actions button').nth(i).click(),
				confirmation: () => page.getByTestId('confirmation').waitFor({ timeout: 15_000 }),
				answerButton: (action) => page.getByTestId('confirmation').locator(`button[data-action="${action}"]`).click()
			};
			await page.setViewportSize(VIEWPORTS[lang]);
			for (const screen of SCREENS) {
				await choose(lang);
				await screen.go(k);
				await expectOnly(lang, screen.name);
				// Laid out for a parent at arm's length, on this screen size: no word of Japanese
				// broken across lines, nothing wider than the screen, no text under 18 px.
				const where = `${lang} ${screen.name} at ${VIEWPORTS[lang].width} px`;
				expect(await splitJapaneseWords(page), where).toEqual([]);
				expect(await sidewaysOverflow(page), where).toEqual({ px: 0, widest: null });
				expect(await smallText(page), where).toEqual([]);
				const answer = page.getByTestId('confirmation');
				// Every screen and answer passes axe and the 44 px rule, in plain and in simple Japanese.
				if (lang === 'ja' || lang === 'easy') await expectAccessible(page, expect);
				if (screen.leave) await screen.leave(k);
				else if ((await answer.count()) > 0) {
					await answer.locator('button.close').click();
					await answer.waitFor({ state: 'detached' });
				} else if ((await page.locator('.actions').count()) === 0)
					await page
						.locator('main')
						.getByRole('button', { name: named(t.cancel), exact: true })
						.click();
				await page.locator('.actions').waitFor();
			}
		}
		// Every language registered its family, in that language.
		expect(Object.keys(saved).sort()).toEqual([...KIOSK_LANGS].sort());
		expect(formatCardCode(saved.easy!)).toMatch(CARD_NUMBER);
	});
});
