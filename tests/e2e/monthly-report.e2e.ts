/**
 * The monthly 事業実績 report in Chromium, on the built server with demo data: a coordinator opens
 * it (last month of the first program by default), picks にこにこ (17 sites), and the page passes
 * axe and the 44 px rule. In print it shows the report alone (no menu, form or buttons) within an A4
 * landscape page's printable width, and prints to A4 pages with the consultations on a page of their
 * own. Without JavaScript the report still shows, without the 印刷 button.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, formatYearMonthEraJa, tokyoDate } from '../../src/lib/domain/dates';
import { makePlace, type Place, type RunningServer } from '../server-process';
import { expectAccessible, newContext, serverAndBrowser, signInAtCentre } from './browser';

/** A4 landscape less the report's @page margins (10 mm each side), in CSS pixels (96 to the inch). */
const PRINTABLE_WIDTH_PX = Math.floor(((297 - 2 * 10) / 25.4) * 96);
const A4_LANDSCAPE_PT = { width: 842, height: 595 };

/** The pages of a PDF Chromium wrote, with each page's size in points (its MediaBox). */
function pdfPages(pdf: Buffer): Array<{ width: number; height: number }> {
	const text = pdf.toString('latin1');
	const pages = [...text.matchAll(/\/Type\s*\/Page(?![s\w])[\s\S]*?\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)];
	return pages.map((m) => ({ width: Math.round(Number(m[3]) - Number(m[1])), height: Math.round(Number(m[4]) - Number(m[2])) }));
}

async function signIn(page: Page, url: string) {
	await signInAtCentre(page, url);
}

describe('the monthly report in the browser', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;
	const lastMonth = addMonths(tokyoDate(), -1).slice(0, 7);
	const title = `${formatYearMonthEraJa(lastMonth)}分 事業実績報告書`;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		[server, browser] = await serverAndBrowser({ dataDir: place.dataDir });
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	it('a coordinator opens last month’s report, chooses a program, and prints it on A4', async () => {
		const ctx = await newContext(browser);
		const page = await ctx.newPage();
		await signIn(page, server.url);

		await page.goto(`${server.url}/centre/reports/monthly`);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(title);
		expect(await page.getByRole('combobox', { name: '事業', exact: true }).inputValue()).not.toBe('');
		expect(await page.getByLabel('対象月', { exact: true }).inputValue()).toBe(lastMonth);
		await expectAccessible(page, expect);

		await page.getByRole('combobox', { name: '事業', exact: true }).selectOption({ label: 'にこにこ' });
		await page.getByRole('button', { name: '表示' }).click();
		await page.waitForURL(/program=.*month=/);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(title);
		const report = page.getByRole('article');
		expect(await report.getByText('にこにこ', { exact: true }).isVisible()).toBe(true);
		expect(await report.getByText('ひろば区 子育て支援課').isVisible()).toBe(true);
		expect(await report.getByText(/^作成日 令和\d+年\d+月\d+日$/).isVisible()).toBe(true);
		const sites = page.getByRole('table', { name: /会場別の開催日数・利用者数・新規登録/ });
		// 17 sites and the 合計 row, each a row header.
		expect(await sites.locator('tbody th[scope="row"]').count()).toBe(18);
		const total = sites.getByRole('row', { name: /^合計/ });
		const held = Number(await total.locator('td').first().textContent());
		expect(held).toBeGreaterThan(0);
		expect(await page.getByRole('table', { name: '相談内容別の件数' }).getByRole('row').count()).toBeGreaterThan(15);
		// 印刷 opens the browser's print dialog (stood in for here: headless Chromium has none).
		await page.evaluate(() => {
			const w = window as unknown as { printed: number };
			w.printed = 0;
			window.print = () => void w.printed++;
		});
		await page.getByRole('button', { name: '印刷' }).click();
		expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
		expect(await page.getByRole('link', { name: '会場別実績を Excel で書き出す' }).getAttribute('href')).toMatch(/table=sites&format=xlsx$/);
		await expectAccessible(page, expect);

		// Print: the report alone, at the printable width of A4 landscape.
		await page.setViewportSize({ width: PRINTABLE_WIDTH_PX, height: 900 });
		await page.emulateMedia({ media: 'print' });
		expect(await page.getByRole('navigation', { name: 'センターのメニュー' }).isVisible()).toBe(false);
		expect(await page.getByRole('form', { name: '報告書の事業と対象月' }).isVisible()).toBe(false);
		expect(await page.getByRole('button', { name: '印刷' }).isVisible()).toBe(false);
		expect(
			await page
				.getByRole('link', { name: /書き出す/ })
				.first()
				.isVisible()
		).toBe(false);
		expect(await page.getByRole('heading', { level: 1 }).isVisible()).toBe(true);
		const widths = await page.evaluate(() => ({
			document: document.documentElement.scrollWidth,
			tables: Array.from(document.querySelectorAll('table')).map((t) => Math.ceil(t.getBoundingClientRect().right))
		}));
		expect(widths.document).toBeLessThanOrEqual(PRINTABLE_WIDTH_PX);
		for (const right of widths.tables) expect(right).toBeLessThanOrEqual(PRINTABLE_WIDTH_PX);
		// The table's header rows repeat on every printed page, no row is split across two, and the
		// consultations start a page of their own.
		expect(await sites.locator('thead').evaluate((el) => getComputedStyle(el).display)).toBe('table-header-group');
		expect(
			await sites
				.locator('tbody tr')
				.first()
				.evaluate((el) => getComputedStyle(el).breakInside)
		).toBe('avoid');
		const consultations = page.getByRole('region', { name: '2. 相談の実施状況' });
		expect(await consultations.evaluate((el) => getComputedStyle(el).breakBefore)).toBe('page');

		// The PDF the browser's print makes: A4, landscape as the page asks, the consultations on a
		// page after the site table's.
		const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
		const pages = pdfPages(pdf);
		expect(pages.length).toBeGreaterThanOrEqual(2);
		for (const p of pages) expect(p).toEqual(A4_LANDSCAPE_PT);
		// And on A4 as the test's format alone gives it (portrait), the pages still come out.
		const portrait = pdfPages(await page.pdf({ format: 'A4' }));
		expect(portrait.length).toBeGreaterThanOrEqual(2);
		await ctx.close();
	});

	it('shows the report without JavaScript, with no 印刷 button, and a bad month as a message', async () => {
		const signedIn = await newContext(browser);
		const page = await signedIn.newPage();
		await signIn(page, server.url);
		const noJs = await browser.newContext({ javaScriptEnabled: false, storageState: await signedIn.storageState(), locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
		const plain = await noJs.newPage();
		await plain.goto(`${server.url}/centre/reports/monthly`);
		expect(await plain.getByRole('heading', { level: 1 }).textContent()).toBe(title);
		expect(await plain.getByRole('table', { name: /会場別の開催日数/ }).isVisible()).toBe(true);
		expect(await plain.getByRole('button', { name: '印刷' }).count()).toBe(0);

		await page.goto(`${server.url}/centre/reports/monthly?month=2026-13`);
		expect(await page.getByRole('alert').textContent()).toBe('対象月は 2026-11 の形で指定してください');
		expect(await page.getByRole('table').count()).toBe(0);
		await expectAccessible(page, expect);
		await noJs.close();
		await signedIn.close();
	});
});
