/**
 * The ward's reference data and rules at the centre, in Chromium on the built server with the demo
 * data: an admin fills in a town's readings and adds a town, and sets how long records are kept.
 * Every screen passes axe-core and the 44 px touch-target rule; what was saved is read back from
 * the page after a reload (the audit rows are checked by the route tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { makePlace, type Place, type RunningServer } from '../server-process';
import { expectAccessible, newContext, serverAndBrowser, signInAtCentre } from './browser';

describe('towns and retention at the centre in the browser', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;
	let page: Page;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		[server, browser] = await serverAndBrowser({ dataDir: place.dataDir });
		page = await (await newContext(browser)).newPage();
		await signInAtCentre(page, server, { login: 'admin', password: 'hiroba-admin-1' });
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	it('lists the demo ward’s towns with readings, adds one, and refuses a reading that is not hiragana', async () => {
		await page.getByRole('link', { name: '町丁', exact: true }).click();
		await page.waitForURL(`${server.url}/centre/towns`);
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^町丁（\d+件）$/);
		const honcho = page.getByRole('row', { name: /本町1丁目/ });
		expect(await honcho.locator('td').allTextContents()).toEqual(expect.arrayContaining(['本町1丁目', 'ほんちょう1ちょうめ', 'Honcho 1-chome', '使用中']));
		await expectAccessible(page, expect);

		await page.getByLabel('名称').fill('ひろば新町');
		await page.getByLabel('よみ（ひらがな）').fill('ヒロバシン町');
		await page.getByRole('button', { name: '追加' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('よみはひらがなで入力してください');
		await expectAccessible(page, expect);
		await page.getByLabel('よみ（ひらがな）').fill('ヒロバシンマチ');
		await page.getByLabel('ローマ字').fill('Hiroba-shinmachi');
		await page.getByRole('button', { name: '追加' }).click();
		await expect.poll(() => page.getByRole('status').textContent()).toContain('「ひろば新町」を追加しました');
		await page.reload();
		expect(
			await page
				.getByRole('row', { name: /ひろば新町/ })
				.locator('td')
				.allTextContents()
		).toEqual(expect.arrayContaining(['ひろば新町', 'ひろばしんまち', 'Hiroba-shinmachi']));
	});

	it('retires a town from the kiosk on its own page', async () => {
		await page.getByRole('link', { name: 'ひろば新町を編集' }).click();
		await page.getByRole('heading', { name: 'ひろば新町' }).waitFor();
		await expectAccessible(page, expect);
		await page.getByLabel('使用終了').check();
		await page.getByRole('button', { name: '保存' }).click();
		await page.waitForURL(/\/centre\/towns\?saved=/);
		expect(
			await page
				.getByRole('row', { name: /ひろば新町/ })
				.locator('td')
				.allTextContents()
		).toContain('使用終了');
	});

	it('shows the retention rules with what is due today, and an admin changes one', async () => {
		await page.getByRole('link', { name: '保存期間' }).click();
		await page.waitForURL(`${server.url}/centre/retention`);
		expect(await page.getByLabel('相談記録のメモの保存年数').inputValue()).toBe('5');
		expect(await page.getByLabel('来場記録の保存年数').inputValue()).toBe('5');
		expect(await page.getByLabel('登録世帯（最後の利用から）の保存年数').inputValue()).toBe('3');
		// The demo holds only the last month: nothing is due.
		expect(await page.getByTestId('due-visits').textContent()).toBe('0件');
		await expectAccessible(page, expect);
		await page.getByLabel('来場記録の保存年数').selectOption('10');
		await page.getByRole('button', { name: '保存年数を変更' }).click();
		await expect.poll(() => page.getByRole('status').textContent()).toContain('保存期間を変更しました');
		await page.reload();
		expect(await page.getByLabel('来場記録の保存年数').inputValue()).toBe('10');
		expect(await page.getByText('最終変更:').count()).toBe(1);
		// The scheduled purge of the start-up is listed.
		expect(await page.getByRole('table').nth(1).locator('tbody tr').count()).toBe(1);
		await expectAccessible(page, expect);
	});
});
