/**
 * Staff and tablets from the centre, in Chromium on the built server with the demo data: a
 * coordinator adds a consultant at two sites, issues a PIN and reads it once; an enrolled tablet
 * receives the new member, who unlocks it with that PIN; the devices page shows what the tablet
 * holds unsent and when it last synced; the coordinator deactivates the member, and after its next
 * sync the tablet no longer offers them. Every new screen passes axe-core and the 44 px rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makePlace, startServer, type Place, type RunningServer } from '../server-process';
import { enrollOnStaffFace, expectAccessible, launch, newContext, signInAtCentre } from './browser';

const NAME = '相談員 新井';

describe('staff management at the centre, and what a tablet makes of it', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;
	let centre: Page;
	let tabletContext: BrowserContext;
	let tablet: Page;
	/** The demo's featured site: the start-up enrollment code is for it. */
	let siteName: string;
	let memberUrl: string;
	let pin: string;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		server = await startServer({ dataDir: place.dataDir });
		siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		browser = await launch();
		centre = await (await newContext(browser)).newPage();
		// The tablet as newContext makes one, with its service worker kept out of the way so that
		// the test can cut the connection to the centre under the page's own requests.
		tabletContext = await browser.newContext({
			locale: 'ja-JP',
			timezoneId: 'Asia/Tokyo',
			viewport: { width: 1180, height: 820 },
			hasTouch: true,
			bypassCSP: true,
			serviceWorkers: 'block'
		});
		tablet = await tabletContext.newPage();
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	/** The tablet's row on the devices page, fresh from the server. */
	async function deviceRow() {
		await centre.goto(`${server.url}/centre/devices`);
		return centre.getByRole('row', { name: /新井テスト端末/ });
	}

	it('a coordinator signs in and finds the staff list', async () => {
		await signInAtCentre(centre, server);
		// The overview counts tablets silent across a session: none on a fresh demo.
		expect(await centre.getByTestId('overdue-count').textContent()).toBe('0');
		await expectAccessible(centre, expect);

		await centre.getByRole('link', { name: '職員', exact: true }).click();
		await centre.waitForURL(`${server.url}/centre/staff`);
		const row = centre.getByRole('row', { name: /コーディネーター 高橋/ });
		expect(await row.textContent()).toContain('（自分）');
		expect(await row.textContent()).toContain('あり（coordinator1）');
		await expectAccessible(centre, expect);
	});

	it('adds a consultant at two sites, refusing an empty name first', async () => {
		await centre.getByRole('link', { name: '職員を追加' }).click();
		await centre.waitForURL(`${server.url}/centre/staff/new`);
		// A coordinator cannot make an admin: the role is not offered.
		expect(await centre.getByLabel('役割').locator('option').allTextContents()).toEqual(['相談員', 'コーディネーター']);
		await expectAccessible(centre, expect);

		await centre.getByRole('button', { name: '追加する' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('名前を入力してください');
		expect(await centre.locator('#displayName-error').textContent()).toBe('名前を入力してください');
		await expectAccessible(centre, expect);

		await centre.getByLabel('名前（40文字まで）').fill(NAME);
		await centre.getByLabel('役割').selectOption({ label: '相談員' });
		await centre.getByRole('checkbox', { name: siteName, exact: true }).check();
		const other = centre.locator('input[name="siteId"]:not(:checked)').first();
		await other.check();
		await centre.getByRole('button', { name: '追加する' }).click();
		await centre.waitForURL(/\/centre\/staff\/[0-9a-f-]{36}\?added=1$/);
		memberUrl = centre.url().replace(/\?added=1$/, '');
		await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('職員を追加しました');
		expect(await centre.getByRole('checkbox', { name: siteName, exact: true }).isChecked()).toBe(true);
		expect(await centre.locator('input[name="siteId"]:checked').count()).toBe(2);
		await expectAccessible(centre, expect);
	});

	it('issues a PIN that is shown once and never again', async () => {
		expect(await centre.getByText('現在: 未設定').count()).toBe(1);
		await centre.getByRole('button', { name: 'PINを発行する' }).click();
		const shown = centre.getByTestId('issued-pin');
		await shown.waitFor();
		pin = (await shown.textContent())!.trim();
		expect(pin).toMatch(/^\d{6}$/);
		expect(await centre.getByRole('status').filter({ hasText: 'このPINが表示されるのはこの1回だけです' }).count()).toBe(1);
		await expectAccessible(centre, expect);

		await centre.goto(memberUrl);
		await centre.getByRole('heading', { name: NAME }).waitFor();
		expect(await centre.getByTestId('issued-pin').count()).toBe(0);
		expect(await centre.content()).not.toContain(pin);
		expect(await centre.getByText('現在: 設定済み').count()).toBe(1);
		// Typing a guessable PIN is refused in Japanese.
		await centre.getByText('PINを指定して設定する').click();
		await centre.getByLabel('PIN（6〜8桁の数字）').fill('123456');
		await centre.getByLabel('PIN（確認）').fill('123456');
		await centre.getByRole('button', { name: 'このPINを設定する' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('推測されやすいPIN');
		await expectAccessible(centre, expect);
	});

	it('a tablet at the site receives the new member, who unlocks it with that PIN', async () => {
		await tablet.goto(`${server.url}/staff`);
		await (await enrollOnStaffFace(tablet, server.enrollmentCode!, '新井テスト端末', NAME)).click();
		for (const d of pin) await tablet.getByRole('button', { name: d, exact: true }).click();
		await tablet.getByRole('button', { name: 'OK' }).click();
		await tablet.getByRole('heading', { name: '今日の開催' }).waitFor({ timeout: 15_000 });
		expect(await tablet.locator('header .who').textContent()).toBe(NAME);
	});

	it('the devices page shows what the tablet holds unsent and when it last synced', async () => {
		let row = await deviceRow();
		expect(await row.getByTestId('pending').textContent()).toBe('0件');
		expect(await row.getByTestId('last-sync').textContent()).toContain('たった今');
		expect(await row.textContent()).toContain(siteName);

		// The connection drops after the centre has taken a push but before the tablet hears back:
		// the tablet still holds the change, and has told the centre so.
		await tabletContext.route('**/api/v1/sync/push', async (route) => {
			await route.fetch();
			await route.abort('connectionreset');
		});
		await tablet.getByRole('button', { name: '開始する' }).first().click();
		await expect
			.poll(
				async () => {
					row = await deviceRow();
					return row.getByTestId('pending').textContent();
				},
				{ timeout: 20_000 }
			)
			.toBe('1件');
		await expectAccessible(centre, expect);

		// A retry may be in the handler right now: let it finish (its connection dropped like the
		// others) rather than pull the route from under it ("Route is already handled!").
		await tabletContext.unrouteAll({ behavior: 'wait' });
		// The engine retries on its own after a failure.
		await expect
			.poll(
				async () => {
					row = await deviceRow();
					return row.getByTestId('pending').textContent();
				},
				{ timeout: 30_000 }
			)
			.toBe('0件');
		expect(await row.getByTestId('last-sync').textContent()).toMatch(/\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2}\s*（たった今）/);
		expect(await centre.getByText('1日以上同期していません').count()).toBe(0);
	});

	it('deactivates the member; after its next sync the tablet no longer offers them', async () => {
		await centre.goto(memberUrl);
		centre.once('dialog', (d) => void d.accept());
		await centre.getByRole('button', { name: '無効にする' }).click();
		await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('無効にしました');
		await centre.getByRole('heading', { name: `${NAME}無効` }).waitFor();
		await expectAccessible(centre, expect);
		await centre.getByRole('link', { name: '← 職員の一覧' }).click();
		await centre.waitForURL(`${server.url}/centre/staff`);
		expect(
			await centre
				.getByRole('row', { name: new RegExp(NAME) })
				.getByRole('cell')
				.nth(2)
				.textContent()
		).toBe('無効');

		await tablet.getByRole('button', { name: 'ロック' }).click();
		await tablet.getByRole('button', { name: '今すぐ同期' }).click();
		await expect.poll(() => tablet.getByRole('button', { name: NAME }).count(), { timeout: 20_000 }).toBe(0);
		expect(await tablet.getByRole('button', { name: '相談員 山田' }).count()).toBe(1);
	});

	it('warns on the overview and the devices page about a tablet silent for a day across a session', async () => {
		// Three days go by for this tablet alone: the server stops, its store is told so, and it starts
		// again (on another port, which the tablet does not know, so it stays silent).
		await tablet.close();
		await server.stop();
		const store = await place.open();
		await store.query(`update devices set last_sync_at = now() - interval '3 days' where name = $1`, ['新井テスト端末']);
		await store.close();
		server = await startServer({ dataDir: place.dataDir });

		await centre.goto(`${server.url}/centre`);
		// Centre sessions live in the store, so the coordinator is usually still signed in.
		if (new URL(centre.url()).pathname === '/centre/login') {
			await centre.getByLabel('ログインID').fill('coordinator1');
			await centre.getByLabel('パスワード').fill('hiroba-demo-1');
			await centre.getByRole('button', { name: 'ログイン' }).click();
			await centre.waitForURL(`${server.url}/centre`);
		}
		expect(await centre.getByTestId('overdue-count').textContent()).toBe('1');
		expect(await centre.getByTestId('overdue-devices').textContent()).toContain('1日以上同期していない端末が1台あります');
		await expectAccessible(centre, expect);

		await centre.getByRole('link', { name: '端末の一覧を見る' }).click();
		await centre.waitForURL(`${server.url}/centre/devices`);
		const row = centre.getByRole('row', { name: /新井テスト端末/ }).first();
		expect(await row.getByTestId('last-sync').textContent()).toContain('（3日前）');
		expect(await centre.getByRole('row', { name: /1日以上同期していません（開催あり）/ }).textContent()).toContain(
			'「新井テスト端末」は1日以上同期していません（開催あり）'
		);
		await expectAccessible(centre, expect);
	});
});
