/**
 * 会場・開催回 in the browser, on the built server with demo data: a coordinator adds an outdoor
 * site, previews and creates a season that includes today, and cancels today's session for rain; a
 * tablet enrolled at that site syncs and shows the session as 中止（雨天）. Then the coordinator
 * restores it, staff open it and start the kiosk, the coordinator cancels it again, and the kiosk,
 * at its next sync, stops taking check-ins. Every new centre screen passes axe and the 44 px rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addDays, formatDateJa, tokyoDate } from '../../src/lib/domain/dates';
import { holidayName, isNewYearClosure, WEEKDAY_LABEL_JA } from '../../src/lib/server/centre/season';
import { makePlace, startServer, type Place, type RunningServer } from '../server-process';
import { enrollOnStaffFace, expectAccessible, launch, newContext, signInAtCentre } from './browser';

const SITE = 'テストひだまり公園';

describe('sites and sessions at the centre, down to a tablet', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;
	let centre: Page;
	let tablet: Page;
	/** The demo site with consultants (its roster unlocks the tablet), as the start banner names it. */
	let rosterSite: string;
	let sessionUrl: string;
	const today = tokyoDate();

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		server = await startServer({ dataDir: place.dataDir });
		rosterSite = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		browser = await launch();
		centre = await (await newContext(browser)).newPage();
		centre.on('dialog', (d) => void d.accept());
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	it('a coordinator adds an outdoor site, refused first for a missing name', async () => {
		await signInAtCentre(centre, server);

		await centre.getByRole('link', { name: '会場・開催回' }).click();
		await centre.waitForURL(`${server.url}/centre/sites`);
		await centre.getByRole('heading', { name: /おひさまぴよぴよ（8会場・屋外）/ }).waitFor();
		expect(await centre.getByRole('heading', { name: /にこにこ（17会場）/ }).count()).toBe(1);
		// 定員 shows for the demo halls that have it.
		expect(await centre.getByRole('cell', { name: '30組' }).count()).toBe(4);
		await expectAccessible(centre, expect);

		await centre.getByRole('link', { name: '会場を追加' }).click();
		await centre.waitForURL(`${server.url}/centre/sites/new`);
		await expectAccessible(centre, expect);
		await centre.getByLabel('事業').selectOption({ label: 'おひさまぴよぴよ（屋外）' });
		await centre.getByRole('button', { name: '追加する' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('会場名を入力してください');
		expect(await centre.getByLabel('会場名').getAttribute('aria-invalid')).toBe('true');
		await expectAccessible(centre, expect);

		await centre.getByLabel('会場名').fill(SITE);
		await centre.getByLabel('所在地（施設の住所や公園の場所）').fill('ひろば区本町3丁目 ひだまり公園 芝生広場');
		await centre.getByLabel('定員（組・任意）').fill('40');
		await centre.getByRole('button', { name: '追加する' }).click();
		await centre.getByRole('heading', { name: SITE, level: 1 }).waitFor();
		expect(await centre.getByRole('status').first().textContent()).toContain('会場を追加しました');
		expect(await centre.locator('dl.fields').textContent()).toContain('おひさまぴよぴよ（屋外）');
		expect(await centre.locator('dl.fields').textContent()).toContain('40組');
		await expectAccessible(centre, expect);

		await centre.getByRole('link', { name: '会場の情報を変更' }).click();
		await centre.getByRole('heading', { name: '会場の情報を変更', level: 1 }).waitFor();
		expect(await centre.getByLabel('会場名').inputValue()).toBe(SITE);
		await expectAccessible(centre, expect);
		await centre.getByRole('button', { name: '変更を保存' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('変更された項目がありません');
		await expectAccessible(centre, expect);
		await centre.getByLabel('定員（組・任意）').fill('45');
		await centre.getByRole('button', { name: '変更を保存' }).click();
		await centre.getByRole('status').filter({ hasText: '会場の情報を変更しました' }).waitFor();
		expect(await centre.locator('dl.fields').textContent()).toContain('45組');

		// A month that is not one is refused in words, not with an error page.
		const sitePage = centre.url().split('?')[0]!;
		await centre.goto(`${sitePage}?month=2026-13`);
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('月は 2026-04 の形で指定してください');
		await expectAccessible(centre, expect);
		await centre.goto(sitePage);
	});

	it('previews a season that includes today, with its holidays, and creates it', async () => {
		const todaySkipped = isNewYearClosure(today) || holidayName(today) !== null;
		const days = [today, addDays(today, 3)].map((d) => WEEKDAY_LABEL_JA[new Date(`${d}T00:00:00Z`).getUTCDay()]!);
		const group = centre.getByRole('group', { name: '曜日' });
		for (const d of days) await group.getByLabel(d, { exact: true }).check();
		await centre.getByLabel('開始日').fill(today);
		await centre.getByLabel('終了日（1年以内）').fill(addDays(today, 20));
		// All day, so that today's session has not ended whenever this runs (past its end, never
		// opened, the centre would flag it 未開催 instead of 予定).
		await centre.getByLabel('開始時刻').fill('00:00');
		await centre.getByLabel('終了時刻').fill('23:59');
		await centre.getByRole('button', { name: '作成される日を確認' }).click();
		const summary = centre.getByText(/回を作成し、\d+日を除外します。まだ作成していません。/);
		await summary.waitFor();
		const created = Number((await summary.textContent())!.match(/(\d+)回を作成し/)![1]);
		expect(created).toBeGreaterThan(0);
		const todayListed = await centre.locator('.dates:not(.skipped) li', { hasText: formatDateJa(today) }).count();
		expect(todayListed).toBe(todaySkipped ? 0 : 1);
		await expectAccessible(centre, expect);

		await centre.getByRole('button', { name: `この内容で${created}回を作成する` }).click();
		await centre
			.getByRole('status')
			.filter({ hasText: `${created}回の開催回を作成しました` })
			.waitFor();
		expect(await centre.getByText('会場の情報を変更しました').count()).toBe(0);
		await expectAccessible(centre, expect);

		if (todaySkipped) {
			// Today is a holiday or in the closure: move the season's first session to today instead.
			await centre.getByRole('link', { name: /の開催回を見る$/ }).click();
			await centre
				.getByRole('link', { name: /の開催回を変更・中止$/ })
				.first()
				.click();
			await centre.getByLabel('日付').fill(today);
			await centre.getByRole('button', { name: '日時を変更' }).click();
			await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('開催回の日時を変更しました');
			await centre.goto(`${server.url}/centre/sites/${centre.url().split('/')[5]}`);
		}
		const row = centre.getByRole('row', { name: /（今日）/ });
		expect(await row.textContent()).toContain('予定');
		await row.getByRole('link', { name: /変更・中止/ }).click();
		await centre.getByRole('heading', { name: /開催回$/, level: 1 }).waitFor();
		sessionUrl = centre.url();
	});

	it('cancels today’s session for rain', async () => {
		await expectAccessible(centre, expect);
		await centre.getByRole('radio', { name: '雨天' }).check();
		await centre.getByRole('button', { name: '中止にする' }).click();
		await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('開催回を中止にしました');
		expect(await centre.locator('dl.fields').textContent()).toContain('中止（雨天）');
		await expectAccessible(centre, expect);
	});

	it('a tablet enrolled at the site syncs and shows the session as 中止（雨天）, with no kiosk to start', async () => {
		await centre.goto(`${server.url}/centre/devices`);
		await centre.getByLabel(SITE).check();
		await centre.getByLabel(rosterSite).check();
		await centre.getByRole('button', { name: '登録コードを発行' }).click();
		const code = (await centre.locator('.code .big').textContent())!.trim();

		tablet = await (await newContext(browser, { tablet: true })).newPage();
		tablet.on('dialog', (d) => void d.accept());
		await tablet.goto(`${server.url}/staff`);
		await (await enrollOnStaffFace(tablet, code, 'ひだまり 受付1')).click();
		for (const d of '482193') await tablet.getByRole('button', { name: d, exact: true }).click();
		await tablet.getByRole('button', { name: 'OK' }).click();
		await tablet.getByRole('heading', { name: '今日の開催' }).waitFor();
		const mine = tablet.locator('li', { hasText: SITE });
		await expect.poll(() => mine.textContent()).toContain('中止（雨天）');
		expect(await mine.getByRole('button', { name: '受付画面（キオスク）へ' }).count()).toBe(0);
		expect(await mine.getByRole('button', { name: '開始する' }).count()).toBe(0);
		await expectAccessible(tablet, expect);
	});

	it('restored, opened on the tablet, then cancelled again at the centre: the kiosk stops taking check-ins at its next sync', async () => {
		await centre.goto(sessionUrl);
		await centre.getByRole('button', { name: '中止を取り消して予定に戻す' }).click();
		await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('中止を取り消し、予定に戻しました');
		await expectAccessible(centre, expect);

		await tablet.getByRole('button', { name: '今すぐ同期' }).click();
		const mine = tablet.locator('li', { hasText: SITE });
		await expect.poll(() => mine.textContent(), { timeout: 15_000 }).toContain('開始前');
		await mine.getByRole('button', { name: '開始する' }).click();
		await mine.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await tablet.waitForURL(`${server.url}/kiosk`);
		await tablet.getByRole('button', { name: 'カード番号を入力' }).waitFor();

		// The centre sees the session open once the tablet has sent it, and cancels it from there.
		await expect
			.poll(
				async () => {
					await centre.reload();
					return centre.locator('dl.fields').textContent();
				},
				{ timeout: 20_000, interval: 500 }
			)
			.toContain('開催中');
		await centre.getByRole('radio', { name: '雨天' }).check();
		await centre.getByRole('button', { name: '中止にする' }).click();
		await expect.poll(() => centre.locator('dl.fields').textContent()).toContain('中止（雨天）');

		// The kiosk syncs when it starts: reloaded, it refuses to take check-ins.
		await tablet.reload();
		await tablet.getByRole('heading', { name: 'ただいま受付を停止しています' }).waitFor({ timeout: 15_000 });
		expect(await tablet.getByRole('button', { name: 'カード番号を入力' }).count()).toBe(0);
		expect(await tablet.getByRole('button', { name: 'はじめての方' }).count()).toBe(0);
		await centre.reload();
		expect(await centre.locator('dl.fields').textContent()).toContain('0組');
	});
});
