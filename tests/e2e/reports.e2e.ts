/**
 * The attendance report (利用状況) in the browser, on the built server with its demo data (a month of
 * sessions): a coordinator opens it from the menu and drills down from the ward to a program, a
 * site, a session and its visits; the numbers of each level agree with the level below and, once
 * the server has stopped, with the visits in the store counted by plain SQL. Every screen passes axe
 * and the 44 px rule; the charts are in the HTML the server sends (no JavaScript needed); the
 * session's table downloads as .xlsx and reads back with the same rows. The kiosk and staff faces
 * load no chart code.
 */
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fiscalYear, formatFiscalYearJa, tokyoDate } from '../../src/lib/domain/dates';
import { makePlace, startServer, type Place, type RunningServer } from '../server-process';
import { expectAccessible, newContext, serverAndBrowser, signInAtCentre } from './browser';

/** The level table's cells by header, one object a body row. */
async function levelRows(page: Page): Promise<Array<Record<string, string>>> {
	return page.getByTestId('level-table').evaluate((table) => {
		const headers = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent!.trim());
		return Array.from(table.querySelectorAll('tbody tr')).map((tr) =>
			Object.fromEntries(Array.from(tr.children).map((cell, i) => [headers[i]!, cell.textContent!.trim()]))
		);
	});
}

const num = (s: string | undefined) => Number((s ?? '').replace(/,/g, ''));

describe('the attendance report in the browser', () => {
	let place: Place;
	let server: RunningServer | null = null;
	let browser: Browser;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		[server, browser] = await serverAndBrowser({ dataDir: place.dataDir });
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	it('a coordinator drills down from the ward to a session’s visits, and the numbers add up to the store’s', async () => {
		const url = server!.url;
		const ctx = await newContext(browser);
		const page = await ctx.newPage();
		// Hydrating the server's charts must go without a script error or a console error.
		const problems: string[] = [];
		page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
		page.on('console', (m) => {
			if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
		});
		await signInAtCentre(page, url);

		await page.getByRole('link', { name: '利用状況' }).click();
		await page.waitForURL(`${url}/centre/reports`);
		const fy = fiscalYear(tokyoDate());
		expect(await page.locator('h1').textContent()).toBe(`利用状況（${formatFiscalYearJa(fy)}・区全体）`);
		// Three charts, each with its table of numbers.
		expect(await page.locator('svg.lc-layout-svg').count()).toBe(3);
		for (const id of ['trend-table', 'band-table', 'newness-table']) expect(await page.getByTestId(id).locator('caption').count()).toBe(1);
		await expectAccessible(page, expect);

		// The server's HTML alone (no script run) holds the charts and their tables.
		const html = await (await ctx.request.get(`${url}/centre/reports`)).text();
		expect(html.match(/<svg[^>]*lc-layout-svg/g)).toHaveLength(3);
		expect(html).toContain('月別の来場（延べ組数）');

		// The ward, by program: the demo's three, and the total of 延べ families is theirs.
		const programs = await levelRows(page);
		expect(programs.map((r) => r['事業'])).toEqual(['おひさまぴよぴよ', 'にこにこ', 'のびのびひろば']);
		const familiesTotal = await page.getByTestId('level-table').evaluate((t) => {
			const headers = Array.from(t.querySelectorAll('thead th')).map((th) => th.textContent!.trim());
			return t.querySelectorAll('tfoot tr > *')[headers.indexOf('延べ 家族（組）')]!.textContent!.trim();
		});
		expect(programs.reduce((a, r) => a + num(r['延べ 家族（組）']), 0)).toBe(num(familiesTotal));

		// にこにこ → its sites.
		await page.getByTestId('level-table').getByRole('link', { name: 'にこにこ', exact: true }).click();
		await page.waitForURL(/program=/);
		expect(await page.locator('h1').textContent()).toBe(`利用状況（${formatFiscalYearJa(fy)}・にこにこ）`);
		expect(await page.getByRole('navigation', { name: '現在の位置' }).textContent()).toContain('区全体');
		await expectAccessible(page, expect);
		const sites = await levelRows(page);
		expect(sites).toHaveLength(17);
		const busy = sites.filter((r) => num(r['延べ 家族（組）']) > 0).sort((a, b) => num(b['延べ 家族（組）']) - num(a['延べ 家族（組）']))[0]!;
		expect(busy).toBeDefined();

		// The busiest site → its sessions.
		await page.getByTestId('level-table').getByRole('link', { name: busy['会場'], exact: true }).click();
		await page.waitForURL(/site=/);
		expect(await page.locator('h1').textContent()).toBe(`利用状況（${formatFiscalYearJa(fy)}・${busy['会場']}）`);
		await expectAccessible(page, expect);
		const sessions = await levelRows(page);
		// The site's sessions add up to the site's row one level up.
		expect(sessions.reduce((a, r) => a + num(r['延べ 家族（組）']), 0)).toBe(num(busy['延べ 家族（組）']));
		expect(sessions.reduce((a, r) => a + num(r['延べ 大人（人）']), 0)).toBe(num(busy['延べ 大人（人）']));
		const held = sessions.find((r) => r['状態'] === '開催' && num(r['延べ 家族（組）']) + num(r['延べ 飛び込み（組）']) > 0)!;
		expect(held).toBeDefined();
		expect(held['開催日']).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日\(.\)$/);

		// The session → its visits.
		await page.getByTestId('level-table').getByRole('link', { name: held['開催日'], exact: true }).click();
		await page.waitForURL(/session=/);
		const sessionId = new URL(page.url()).searchParams.get('session')!;
		expect(await page.locator('h1').textContent()).toMatch(/^利用状況（令和\d+年\d{1,2}月\d{1,2}日\(.\)・開催回）$/);
		const crumbs = (await page.getByRole('navigation', { name: '現在の位置' }).getByRole('link').allTextContents()).map((s) => s.trim());
		expect(crumbs.slice(0, 3)).toEqual(['区全体', 'にこにこ', busy['会場']]);
		expect(crumbs).toHaveLength(4);
		await expectAccessible(page, expect);
		const visits = await levelRows(page);
		expect(visits.length).toBe(num(held['延べ 家族（組）']) + num(held['延べ 飛び込み（組）']));
		expect(visits.filter((v) => v['区分'] === '飛び込み').length).toBe(num(held['延べ 飛び込み（組）']));
		expect(visits.reduce((a, v) => a + num(v['大人（人）']), 0)).toBe(num(held['延べ 大人（人）']));
		expect(visits.reduce((a, v) => a + num(v['子ども（人）']), 0)).toBe(num(held['延べ 子ども（人）']));
		expect(visits.filter((v) => v['新規・継続'] === '新規').length).toBe(num(held['新規']));
		// The session's totals above the list say the same.
		const counts = await page.getByTestId('counts').locator('tbody tr').allTextContents();
		expect(counts[2]).toContain(held['延べ 大人（人）']);
		expect(visits.every((v) => /^\d{2}:\d{2}$/.test(v['受付時刻']!))).toBe(true);

		// The list as .xlsx: the same rows, numbers as numbers.
		const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'この表をExcelで書き出す' }).click()]);
		expect(download.suggestedFilename()).toMatch(/^利用状況-来場記録-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.xlsx$/);
		const book = new ExcelJS.Workbook();
		await book.xlsx.readFile((await download.path())!);
		const sheet = book.worksheets[0]!;
		expect(sheet.getRow(3).getCell(2).value).toBe('受付時刻');
		expect(sheet.rowCount).toBe(3 + visits.length);
		const adultsCol = (sheet.getRow(3).values as unknown[]).indexOf('大人（人）');
		let adults = 0;
		for (let i = 4; i <= sheet.rowCount; i++) adults += sheet.getRow(i).getCell(adultsCol).value as number;
		expect(adults).toBe(num(held['延べ 大人（人）']));
		expect(problems).toEqual([]);
		await ctx.close();

		// Against the store itself, counted without the report code: the session's visits and adults.
		await server!.stop();
		server = null;
		const store = await place.open();
		try {
			const r = await store.query<{ n: number; walkins: number; adults: number }>(
				`select count(*)::int as n, count(*) filter (where data->>'method' = 'walkin')::int as walkins,
				        coalesce(sum((data->>'adults')::int), 0)::int as adults
				 from visits where session_id = $1::uuid and not deleted`,
				[sessionId]
			);
			expect(r.rows[0]).toEqual({ n: visits.length, walkins: num(held['延べ 飛び込み（組）']), adults: num(held['延べ 大人（人）']) });
			const audit = await store.query<{ detail: { table: string; level: string; format: string; rows: number } }>(
				`select detail from audit_log where action = 'report.export'`
			);
			expect(audit.rows.map((a) => a.detail)).toMatchObject([{ table: 'level', level: 'session', format: 'xlsx', rows: visits.length }]);
		} finally {
			await store.close();
		}
	});

	it('keeps the chart code off the kiosk and the staff face', async () => {
		server ??= await startServer({ dataDir: place.dataDir });
		const ctx = await newContext(browser, { tablet: true });
		const page = await ctx.newPage();
		const scripts: string[] = [];
		page.on('response', async (res) => {
			if (res.request().resourceType() === 'script') scripts.push(await res.text().catch(() => ''));
		});
		for (const path of ['/kiosk', '/staff']) {
			await page.goto(`${server.url}${path}`);
			await page.waitForLoadState('networkidle');
		}
		expect(scripts.length).toBeGreaterThan(0);
		expect(scripts.filter((s) => s.includes('lc-root-container') || s.includes('lc-layout-svg'))).toEqual([]);
		await ctx.close();
	});
});
