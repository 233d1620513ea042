/**
 * The kiosk, end to end, on the built server with demo data and a tablet whose camera is a video
 * of a family's card: staff enroll the tablet and open today's session; the card shown to the
 * camera checks the family in and the visit reaches the centre; a second scan, a foreign code and
 * a mistyped code record nothing; the kiosk reloads and checks in with the network off, and syncs
 * when it returns; a first-time family registers, gets a card, and that card scans; a walk-in takes
 * two taps; staff see today's list, check out and undo. Every screen passes axe and the 44 px rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardQrPayload, formatCardCode, parseCardInput } from '../../src/lib/domain/card-code';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from '../server-process';
import { expectAccessible, launchTablet, scannerTypes } from './browser';
import { makeFakeCameraVideo } from './fake-camera';
import { enrollProbe, households, type Probe } from './probe';

interface CentreVisit {
	id: string;
	deleted: boolean;
	data: { cardCode: string | null; method: string; householdId: string | null; adults: number; checkedInAt: string; checkedOutAt: string | null };
}

/** A second device at the same site: reads what reached the centre through the device API. */
/** When this suite began: the site's tablets also get the demo's visits of yesterday and today. */
const SUITE_STARTED = Date.now();

/** The visits checked in by this suite (not the demo's, which the pull's ±1 day also sends). */
async function centreVisits(server: RunningServer, probe: Probe): Promise<CentreVisit[]> {
	return (await centreRows<CentreVisit>(server, probe, 'visits')).filter((v) => Date.parse(v.data.checkedInAt) >= SUITE_STARTED - 1000);
}

async function centreRows<T>(server: RunningServer, probe: Probe, table: string): Promise<T[]> {
	const all = new Map<string, T>();
	let since = '0';
	for (;;) {
		const r = await fetch(`${server.url}/api/v1/sync/pull?since=${since}&limit=5000`, { headers: { authorization: `Bearer ${probe.token}` } });
		const body = (await r.json()) as { changes: Array<{ table: string; id: string; deleted: boolean; data: never }>; cursor: string; more: boolean };
		for (const c of body.changes) if (c.table === table) all.set(c.id, c as T);
		since = body.cursor;
		if (!body.more) break;
	}
	return [...all.values()];
}

async function confirmation(page: Page): Promise<string> {
	const box = page.getByTestId('confirmation');
	await box.waitFor({ timeout: 15_000 });
	const text = (await box.textContent()) ?? '';
	return text;
}

async function dismiss(page: Page) {
	await page.getByTestId('confirmation').getByRole('button').click();
	await page.getByTestId('confirmation').waitFor({ state: 'detached' });
}

async function unlockStaff(page: Page, name = '相談員 山田', pin = '482193') {
	await page.getByRole('button', { name }).click();
	for (const d of pin) await page.getByRole('button', { name: d, exact: true }).click();
	await page.getByRole('button', { name: 'OK' }).click();
}

const startedAt = Date.now();

describe('kiosk check-in on a tablet', () => {
	let place: Place;
	let server: RunningServer;
	let work: string;
	let profile: string;
	let tablet: BrowserContext;
	let page: Page;
	let probe: Probe;
	let cards: string[];
	/** A family of another site, not on this site's tablets: its card checks in, and is looked up. */
	let foreign: { id: string; cardCode: string };
	let siteName: string;

	beforeAll(async () => {
		place = await makePlace('pglite');
		server = await startServer({ dataDir: place.dataDir });
		work = mkdtempSync(join(tmpdir(), 'hiroba-kiosk-e2e-'));
		profile = join(work, 'profile');
		siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		const sites = (await runAdmin(['sites', '--json'], { dataDir: place.dataDir })).json<{ sites: Array<{ id: string; nameJa: string }> }>().sites;
		const siteId = sites.find((s) => s.nameJa === siteName)!.id;
		probe = await enrollProbe(server, place.dataDir, siteId);
		cards = (await households(server, probe)).map((h) => h.cardCode);
		// The site's share of the ward's 300 demo families, not all of them.
		expect(cards.length).toBeGreaterThanOrEqual(4);
		expect(cards.length).toBeLessThan(300);
		const elsewhere = await enrollProbe(server, place.dataDir, sites.find((s) => s.id !== siteId)!.id);
		foreign = (await households(server, elsewhere)).find((h) => !cards.includes(h.cardCode))!;
		expect(foreign).toBeDefined();
		const video = makeFakeCameraVideo(cardQrPayload(cards[0]!), { width: 1280, height: 720, size: 320, path: join(work, 'card0.y4m') });
		tablet = await launchTablet(profile, video);
		page = tablet.pages()[0] ?? (await tablet.newPage());
	});
	afterAll(async () => {
		await tablet?.close();
		await server?.stop();
		await place?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it('says check-in is not open until staff set the tablet up', async () => {
		await page.goto(`${server.url}/kiosk`);
		await page.getByRole('heading', { name: 'ただいま受付を停止しています' }).waitFor();
		await expectAccessible(page, expect);
	});

	it('staff enroll the tablet, unlock with a PIN, open today’s session and start the kiosk', async () => {
		// Not enrolled yet: the staff button leads straight to enrollment.
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await page.waitForURL(`${server.url}/staff`);
		await page.getByLabel('登録コード').fill(server.enrollmentCode!);
		await page.getByLabel('端末の名前').fill(`${siteName} 受付1`);
		await page.getByRole('button', { name: '登録する' }).click();
		await page.getByRole('button', { name: '相談員 山田' }).waitFor({ timeout: 20_000 });
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '相談員 山田' }).click();
		// A PIN has at least 6 digits: the pad does not submit fewer.
		for (const d of '99999') await page.getByRole('button', { name: d, exact: true }).click();
		expect(await page.getByRole('button', { name: 'OK' }).isDisabled()).toBe(true);
		await page.getByRole('button', { name: '9', exact: true }).click();
		await page.getByRole('button', { name: 'OK' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('PINが違います');
		for (const d of '482193') await page.getByRole('button', { name: d, exact: true }).click();
		await page.getByRole('button', { name: 'OK' }).click();
		await page.getByRole('heading', { name: '今日の開催' }).waitFor();
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '開始する' }).first().click();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await page.waitForURL(`${server.url}/kiosk`);
	});

	it('checks in the family whose card is shown to the camera, and the visit reaches the centre', async () => {
		const text = await confirmation(page);
		expect(text).toContain('受付しました');
		expect(text).toMatch(/ようこそ/);
		await expectAccessible(page, expect);
		await expect
			.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.cardCode === cards[0] && !v.deleted).length, { timeout: 20_000 })
			.toBe(1);
	});

	it('answers a card left in front of the camera once, and a second scan of it says it is already checked in', async () => {
		// The answer goes away by itself after a few seconds, back to scanning.
		await page.getByTestId('confirmation').waitFor({ state: 'detached', timeout: 8_000 });
		// The card is still in view: no second answer while it stays there.
		await page.waitForTimeout(2500);
		expect(await page.getByTestId('confirmation').count()).toBe(0);
		expect((await centreVisits(server, probe)).filter((v) => v.data.cardCode === cards[0]).length).toBe(1);
		// A card scanned again (by the barcode scanner, a little later) is already checked in.
		await scannerTypes(page, cardQrPayload(cards[3]!));
		expect(await confirmation(page)).toContain('受付しました');
		await dismiss(page);
		await page.waitForTimeout(2100);
		await scannerTypes(page, cardQrPayload(cards[3]!));
		expect(await confirmation(page)).toContain('すでに受付済みです');
		await expectAccessible(page, expect);
		await dismiss(page);
		await expect.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.cardCode === cards[3]).length, { timeout: 20_000 }).toBe(1);
	});

	it('refuses a mistyped code and a foreign code from the barcode scanner, recording nothing', async () => {
		const before = (await centreVisits(server, probe)).length;
		await page.getByRole('button', { name: 'カード番号を入力' }).click();
		const good = formatCardCode(cards[1]!);
		const typo = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
		expect(parseCardInput(typo).ok).toBe(false);
		await page.getByLabel('カード番号（17文字）').fill(typo);
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '受付する' }).click();
		expect(await confirmation(page)).toContain('カード番号が正しくありません');
		await dismiss(page);
		// A keyboard-wedge scanner "types" fast and ends with Enter.
		await scannerTypes(page, 'https://example.com/coupon?id=42');
		expect(await confirmation(page)).toContain('ひろばのカードではないようです');
		await dismiss(page);
		await page.waitForTimeout(1500);
		expect((await centreVisits(server, probe)).length).toBe(before);
	});

	it('checks in a card from the barcode scanner in the family’s language', async () => {
		await scannerTypes(page, cardQrPayload(cards[1]!));
		expect(await confirmation(page)).toMatch(/受付しました|checked in|签到成功|접수되었습니다|Đã tiếp nhận/);
		await dismiss(page);
	});

	it('checks in a card from another site, then names the family on the visit by looking the card up', async () => {
		await scannerTypes(page, cardQrPayload(foreign.cardCode));
		expect(await confirmation(page)).toMatch(/受付しました|checked in|签到成功|접수되었습니다|Đã tiếp nhận/);
		await dismiss(page);
		await expect
			.poll(async () => (await centreVisits(server, probe)).find((v) => v.data.cardCode === foreign.cardCode && !v.deleted)?.data.householdId, {
				timeout: 20_000
			})
			.toBe(foreign.id);
	});

	it('reloads with the network off and still checks families in; the visit syncs when the network returns', async () => {
		await tablet.setOffline(true);
		await page.reload();
		await page.getByRole('button', { name: 'はじめての方' }).waitFor({ timeout: 15_000 });
		await page.getByRole('button', { name: 'カード番号を入力' }).click();
		await page.getByLabel('カード番号（17文字）').fill(formatCardCode(cards[2]!));
		await page.getByRole('button', { name: '受付する' }).click();
		expect(await confirmation(page)).toContain('受付しました');
		await dismiss(page);
		await page.waitForTimeout(1000);
		expect((await centreVisits(server, probe)).some((v) => v.data.cardCode === cards[2])).toBe(false);
		await tablet.setOffline(false);
		await expect.poll(async () => (await centreVisits(server, probe)).some((v) => v.data.cardCode === cards[2]), { timeout: 30_000 }).toBe(true);
	});

	it('checks in a walk-in with two taps', async () => {
		await page.getByRole('button', { name: 'カードを忘れた方・登録しない方' }).click();
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '1歳', exact: true }).click();
		expect(await confirmation(page)).toContain('ようこそ');
		await dismiss(page);
		await expect.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.method === 'walkin').length, { timeout: 20_000 }).toBe(1);
	});

	let newCard = '';
	it('registers a first-time family in its language and shows its new card', async () => {
		await page.getByRole('button', { name: 'Tiếng Việt' }).click();
		await page.getByRole('button', { name: 'Lần đầu đến' }).click();
		await page.getByRole('button', { name: 'Đăng ký và tiếp nhận' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('Hãy chọn năm và tháng sinh của trẻ.');
		const year = String(new Date().getFullYear() - 1);
		await page.locator('select[name="child-year-0"]').selectOption(year);
		await page.locator('select[name="child-month-0"]').selectOption('4');
		await page.getByLabel('Trong quận Hiroba').check();
		// The town list came from the centre with readings: a family finds its town by romaji.
		await page.getByLabel('Tìm khu phố', { exact: false }).fill('honchou 2');
		expect(await page.getByLabel('Khu phố', { exact: true }).locator('option').allTextContents()).toEqual(['Hãy chọn khu phố', '本町2丁目 (Honcho 2-chome)']);
		await page.getByLabel('Khu phố', { exact: true }).selectOption({ label: '本町2丁目 (Honcho 2-chome)' });
		await page.getByLabel('Tôi đồng ý với nội dung trên').check();
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: 'Đăng ký và tiếp nhận' }).click();
		await page.getByRole('heading', { name: 'Thẻ của bạn đã sẵn sàng' }).waitFor();
		newCard = (await page.getByTestId('new-card-code').textContent())!.trim();
		const parsed = parseCardInput(newCard);
		expect(parsed.ok).toBe(true);
		await page.getByRole('img', { name: `QR: ${newCard}` }).waitFor();
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: 'Xong' }).click();
		await expect
			.poll(
				async () =>
					(await centreVisits(server, probe)).filter((v) => v.data.method === 'registration' && v.data.cardCode === (parsed.ok ? parsed.code : '')).length,
				{
					timeout: 20_000
				}
			)
			.toBe(1);
		const registered = (await centreRows<{ data: { cardCode: string; town: string | null } }>(server, probe, 'households')).filter(
			(h) => h.data.cardCode === (parsed.ok ? parsed.code : '')
		);
		expect(registered.map((h) => h.data.town)).toEqual(['本町2丁目']);
	});

	it('reads the new card from the camera: the family is recognised as already here today', async () => {
		await tablet.close();
		const video = makeFakeCameraVideo(cardQrPayload(parseCardInput(newCard).ok ? (parseCardInput(newCard) as { code: string }).code : ''), {
			size: 320,
			path: join(work, 'new.y4m')
		});
		tablet = await launchTablet(profile, video);
		page = tablet.pages()[0] ?? (await tablet.newPage());
		await page.goto(`${server.url}/kiosk`);
		const text = await confirmation(page);
		expect(text).toContain('Đã tiếp nhận rồi'); // in the family's language
	});

	it('shows staff today’s list with counts by age band; check-out and undo reach the centre', async () => {
		await dismiss(page);
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await unlockStaff(page);
		await page.waitForURL(`${server.url}/staff`);
		await page.getByRole('heading', { name: '本日の来場' }).waitFor();
		await expect.poll(() => page.getByTestId('count-visits').textContent()).toBe('7');
		expect(Number(await page.getByTestId('count-age1').textContent())).toBeGreaterThanOrEqual(1);
		await expectAccessible(page, expect);
		const walkIn = page.getByRole('row', { name: /カードなし/ });
		page.once('dialog', (d) => void d.accept());
		await walkIn.getByRole('button', { name: /^取消/ }).click();
		await expect.poll(() => page.getByTestId('count-visits').textContent()).toBe('6');
		await page.getByRole('button', { name: /^退出/ }).first().click();
		await expect
			.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.method === 'walkin' && v.deleted).length, { timeout: 20_000 })
			.toBe(1);
		await expect
			.poll(
				async () =>
					(await centreVisits(server, probe)).filter((v) => !v.deleted && v.data.checkedOutAt !== null && Date.parse(v.data.checkedInAt) >= startedAt).length,
				{ timeout: 20_000 }
			)
			.toBe(1);
	});

	it('locks out only the member whose PIN a stranger keeps getting wrong, across a reload', async () => {
		await page.getByRole('button', { name: 'ロック' }).click();
		await page.getByRole('button', { name: '相談員 川村' }).click();
		for (let i = 0; i < 5; i++) {
			for (const d of '000000') await page.getByRole('button', { name: d, exact: true }).click();
			await page.getByRole('button', { name: 'OK' }).click();
			await page.getByRole('alert').filter({ hasText: 'PINが違います' }).waitFor();
		}
		const wait = page.getByText(/あと\d+秒お待ちください/);
		await wait.waitFor();
		expect(await page.getByRole('button', { name: '0', exact: true }).isDisabled()).toBe(true);

		await page.reload();
		await page.getByRole('button', { name: '相談員 川村' }).click();
		await wait.waitFor();
		await page.getByRole('button', { name: '別の人を選ぶ' }).click();
		await page.getByRole('button', { name: '相談員 山田' }).click();
		expect(await wait.count()).toBe(0);
		for (const d of '482193') await page.getByRole('button', { name: d, exact: true }).click();
		await page.getByRole('button', { name: 'OK' }).click();
		await page.getByRole('heading', { name: '本日の来場' }).waitFor();
	});
});
