/**
 * Journeys through the built server in Chromium: a coordinator signs in, sees today's demo
 * sessions, issues an enrollment code; a tablet enrolls with it and shows its sync status. Every
 * screen on the way passes axe-core and the 44 px touch-target rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { makePlace, type Place, type RunningServer } from '../server-process';
import { DEMO_COORDINATOR, expectAccessible, newContext, serverAndBrowser, signInAtCentre } from './browser';

describe('centre and tablet enrollment in the browser', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		[server, browser] = await serverAndBrowser({ dataDir: place.dataDir });
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	it('shows the three faces on the start page', async () => {
		const page = await (await newContext(browser)).newPage();
		await page.goto(server.url);
		expect(await page.locator('h1').textContent()).toBe('ひろば');
		expect(await page.getByRole('link', { name: 'センター' }).getAttribute('href')).toBe('/centre');
		await expectAccessible(page, expect);
	});

	it('answers a missing page with 404 and a Japanese page that leads back, at the top and inside the centre', async () => {
		const res = await fetch(`${server.url}/no-such-page`);
		expect(res.status).toBe(404);
		const html = await res.text();
		expect(html).toMatch(/<html lang="ja"/);
		expect(html).toContain('エラー 404');
		expect(html).toContain('ページが見つかりません');
		expect(html).not.toMatch(/Not found|at .*\.js:\d+/i);

		const page = await (await newContext(browser)).newPage();
		await page.goto(`${server.url}/no-such-page`);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('ページが見つかりません');
		expect(await page.getByRole('link', { name: 'トップページへ戻る' }).getAttribute('href')).toBe('/');
		await expectAccessible(page, expect);

		// Inside the signed-in centre the menu stays, with the page's own reason.
		await signInAtCentre(page, server);
		const missing = await page.goto(`${server.url}/centre/sites/00000000-0000-7000-8000-000000000000`);
		expect(missing?.status()).toBe(404);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('ページが見つかりません');
		expect(await page.getByTestId('error-detail').textContent()).toBe('会場が見つかりません');
		expect(await page.getByRole('navigation', { name: 'センターのメニュー' }).isVisible()).toBe(true);
		expect(await page.getByRole('link', { name: 'センターの概要へ戻る' }).getAttribute('href')).toBe('/centre');
		await expectAccessible(page, expect);
	});

	it('keeps a login name typed before the page’s scripts have arrived, and signs in with it', async () => {
		// A slow link or a busy computer: the form is on screen and filled in while the scripts that
		// take it over are still loading. Taking it over must not empty the field (it did: the
		// browser then refused the click for an empty required field and nothing seemed to happen).
		const page = await (await newContext(browser)).newPage();
		let release = () => {};
		const scripts = new Promise<void>((r) => (release = r));
		await page.route('**/_app/immutable/**', async (route) => {
			await scripts;
			await route.continue();
		});
		await page.goto(`${server.url}/centre/login`, { waitUntil: 'commit' });
		await page.getByLabel('ログインID').fill(DEMO_COORDINATOR.login);
		await page.getByLabel('パスワード').fill(DEMO_COORDINATOR.password);
		release();
		// Taken over once the page's own chunk has loaded and nothing more is on the way.
		await expect
			.poll(() => page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/_app/immutable/nodes/')).length))
			.toBeGreaterThan(0);
		await page.waitForLoadState('networkidle');
		expect(await page.getByLabel('ログインID').inputValue()).toBe(DEMO_COORDINATOR.login);
		await page.getByRole('button', { name: 'ログイン' }).click();
		await page.waitForURL(`${server.url}/centre`);
		expect(await page.getByRole('navigation', { name: 'センターのメニュー' }).isVisible()).toBe(true);
	});

	it('a coordinator signs in, sees today’s sessions, and enrolls a tablet that then syncs', async () => {
		const ctx = await newContext(browser);
		const page = await ctx.newPage();
		await page.goto(`${server.url}/centre`);
		expect(new URL(page.url()).pathname).toBe('/centre/login');
		await expectAccessible(page, expect);

		await page.getByLabel('ログインID').fill('coordinator1');
		await page.getByLabel('パスワード').fill('wrong password');
		await page.getByRole('button', { name: 'ログイン' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('ログインIDまたはパスワードが違います');
		await expectAccessible(page, expect);

		await page.getByLabel('パスワード').fill('hiroba-demo-1');
		await page.getByRole('button', { name: 'ログイン' }).click();
		await page.waitForURL(`${server.url}/centre`);
		await expect.poll(() => page.getByRole('heading', { name: /今日の開催/ }).textContent()).toMatch(/今日の開催（[1-9]\d*件）/);
		expect(await page.locator('dd').first().textContent()).toBe('300');
		await expectAccessible(page, expect);

		await page.getByRole('link', { name: '端末' }).click();
		await page.waitForURL(`${server.url}/centre/devices`);
		// The help says where on the tablet the code goes: the staff face, before any PIN.
		const steps = await page.getByTestId('enroll-steps').textContent();
		expect(steps).toContain('/staff（スタッフ画面）を開きます');
		expect(steps).toContain('「この端末を登録する」');
		await page.getByRole('button', { name: '登録コードを発行' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('会場を1つ以上選んでください');
		const firstSite = page.locator('input[name="siteId"]').first();
		const siteLabel = (await firstSite.locator('xpath=..').textContent())!.trim();
		await firstSite.check();
		await page.getByRole('button', { name: '登録コードを発行' }).click();
		const codeText = page.locator('.code .big');
		await codeText.waitFor();
		const code = (await codeText.textContent())!.trim();
		expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
		expect(await page.getByRole('img', { name: `登録コード ${code} のQRコード` }).isVisible()).toBe(true);
		await expectAccessible(page, expect);

		// The tablet: a separate browser context (its own IndexedDB), the same centre.
		const tablet = await (await newContext(browser, { tablet: true })).newPage();
		await tablet.goto(`${server.url}/staff`);
		await tablet.getByLabel('登録コード').waitFor();
		await expectAccessible(tablet, expect);
		await tablet.getByLabel('登録コード').fill('ABCDE');
		await tablet.getByLabel('端末の名前').fill('受付テスト端末');
		await tablet.getByRole('button', { name: '登録する' }).click();
		await expect.poll(() => tablet.getByRole('alert').textContent()).toContain('登録コードは10文字です');
		await tablet.getByLabel('登録コード').fill(code.toLowerCase());
		await tablet.getByRole('button', { name: '登録する' }).click();
		await tablet.getByText(`受付テスト端末（${siteLabel}）`).waitFor();
		await expect.poll(() => tablet.locator('.state').textContent(), { timeout: 15_000 }).toBe('同期済み');
		expect(await tablet.getByTestId('sync-pending').textContent()).toBe('0件');
		await expectAccessible(tablet, expect);

		// The same code cannot enroll a second tablet.
		const second = await (await newContext(browser, { tablet: true })).newPage();
		await second.goto(`${server.url}/staff`);
		await second.getByLabel('登録コード').fill(code);
		await second.getByLabel('端末の名前').fill('二台目');
		await second.getByRole('button', { name: '登録する' }).click();
		await expect.poll(() => second.getByRole('alert').textContent()).toContain('すでに使われています');

		// Back at the centre, the device is listed with its site and a last sync time.
		await page.reload();
		const row = page.getByRole('row', { name: /受付テスト端末/ });
		expect(await row.textContent()).toContain(siteLabel);
		expect(await row.textContent()).toContain('稼働中');

		// Taking it out of use reads 使用終了 (not 退役) in the button, the notice and the list.
		await row.getByRole('button', { name: '受付テスト端末を使用終了にする' }).click();
		await expect.poll(() => page.getByRole('status').first().textContent()).toContain('「受付テスト端末」を使用終了にしました');
		await expect.poll(() => page.getByRole('row', { name: /受付テスト端末/ }).textContent()).toContain('使用終了');
		expect(await page.locator('main').textContent()).not.toContain('退役');
		await expectAccessible(page, expect);
	});
	it('the consultation log, its counts and the follow-up queue pass the accessibility checks', async () => {
		const page = await (await newContext(browser)).newPage();
		await signInAtCentre(page, server);

		await page.getByRole('link', { name: '相談記録' }).click();
		await page.waitForURL(`${server.url}/centre/consultations`);
		await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/\d+件/);
		await expectAccessible(page, expect);
		await page.goto(`${server.url}/centre/consultations?from=2026-13-01`);
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('開始日は 2026-04-01 の形の日付で指定してください');
		await expectAccessible(page, expect);

		await page.getByRole('link', { name: '相談の集計' }).click();
		await page.getByRole('heading', { name: '事業別' }).waitFor();
		expect(await page.locator('h1').textContent()).toMatch(/相談の集計（令和\d+年度）/);
		await expectAccessible(page, expect);

		await page.getByRole('link', { name: 'フォローアップ' }).click();
		await page.waitForURL(`${server.url}/centre/followups`);
		await page.getByRole('button', { name: '絞り込む' }).waitFor();
		await expectAccessible(page, expect);
	});

	it('signs in and out (ログアウト is a plain form post) with JavaScript on and off', async () => {
		for (const javaScriptEnabled of [true, false]) {
			const ctx = await browser.newContext({ javaScriptEnabled });
			const page = await ctx.newPage();
			await signInAtCentre(page, server);
			await page.getByRole('button', { name: 'ログアウト' }).click();
			await page.waitForURL(`${server.url}/centre/login`);
			expect(await page.getByRole('heading', { level: 1 }).textContent(), `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`).toContain('ログイン');
			// The session is gone: the centre sends the browser back to sign in.
			await page.goto(`${server.url}/centre/reports`);
			expect(new URL(page.url()).pathname).toBe('/centre/login');
			await ctx.close();
		}
	});
});
