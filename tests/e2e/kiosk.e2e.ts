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
import { enrollOnStaffFace, expectAccessible, launchTablet, scannerTypes } from './browser';
import { makeFakeCameraVideo } from './fake-camera';
import { enrollProbe, households, type Probe } from './probe';

interface CentreVisit {
	id: string;
	deleted: boolean;
	data: {
		cardCode: string | null;
		method: string;
		householdId: string | null;
		adults: number;
		childIds: string[];
		walkInChildren: Record<string, number> | null;
		checkedInAt: string;
		checkedOutAt: string | null;
	};
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

/** The answer's close button, in whichever language the answer is in. */
const CLOSE = /^(とじる|Close|关闭|닫기|Đóng)$/;

async function dismiss(page: Page) {
	await page.getByTestId('confirmation').getByRole('button', { name: CLOSE }).click();
	await page.getByTestId('confirmation').waitFor({ state: 'detached' });
}

/** A visit as the tablet's IndexedDB holds it now. */
async function tabletVisit(page: Page, cardCode: string): Promise<{ adults: number; childIds: string[]; deleted: boolean } | undefined> {
	return page.evaluate(async (code) => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const req = indexedDB.open('hiroba');
			req.onsuccess = () => resolve(req.result);
			req.onerror = () => reject(req.error);
		});
		try {
			const all = await new Promise<Array<{ cardCode: string | null; adults: number; childIds: string[]; deleted: boolean; checkedInAt: string }>>(
				(resolve, reject) => {
					const req = db.transaction('visits', 'readonly').objectStore('visits').getAll();
					req.onsuccess = () => resolve(req.result);
					req.onerror = () => reject(req.error);
				}
			);
			const v = all
				.filter((x) => x.cardCode === code)
				.sort((a, b) => a.checkedInAt.localeCompare(b.checkedInAt))
				.at(-1);
			return v && { adults: v.adults, childIds: v.childIds, deleted: v.deleted };
		} finally {
			db.close();
		}
	}, cardCode);
}

/** Today's year and month in Tokyo, as the kiosk's session date has them. */
function tokyoMonth(): { year: number; month: number } {
	const [year, month] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit' }).format(new Date()).split('-');
	return { year: Number(year), month: Number(month) };
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
	/** A family of this site with two children, and another one, neither checked in by the demo. */
	let family: { id: string; cardCode: string; kids: Array<{ id: string; data: { birthYm: string; nickname: string | null } }> };
	let undoCard: string;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
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
		const kids = await centreRows<{ id: string; deleted: boolean; data: { householdId: string; birthYm: string; nickname: string | null } }>(
			server,
			probe,
			'children'
		);
		const homes = await centreRows<{ id: string; data: { cardCode: string; language: string } }>(server, probe, 'households');
		const seen = new Set((await centreRows<CentreVisit>(server, probe, 'visits')).map((v) => v.data.householdId));
		const { year, month } = tokyoMonth();
		const thisMonth = `${year}-${String(month).padStart(2, '0')}`;
		const pool = homes
			.filter((h) => h.data.language === 'ja' && !cards.slice(0, 4).includes(h.data.cardCode) && !seen.has(h.id))
			.map((h) => ({
				id: h.id,
				cardCode: h.data.cardCode,
				kids: kids.filter((c) => !c.deleted && c.data.householdId === h.id).sort((a, b) => a.data.birthYm.localeCompare(b.data.birthYm))
			}));
		family = pool.find((h) => h.kids.length === 2 && h.kids.every((c) => c.data.birthYm <= thisMonth) && h.kids[0]!.data.birthYm !== h.kids[1]!.data.birthYm)!;
		expect(family).toBeDefined();
		undoCard = pool.find((h) => h.id !== family.id && h.kids.length > 0)!.cardCode;
		const video = makeFakeCameraVideo(cardQrPayload(cards[0]!), { width: 1280, height: 720, size: 320, path: join(work, 'card0.y4m') });
		tablet = await launchTablet(profile, video);
		// The notes the kiosk's chime plays, in order (src/lib/client/feedback.ts).
		await tablet.addInitScript(() => {
			const played: number[] = ((window as unknown as { chimes: number[] }).chimes = []);
			const start = OscillatorNode.prototype.start;
			OscillatorNode.prototype.start = function (this: OscillatorNode, ...args: Parameters<OscillatorNode['start']>) {
				played.push(this.frequency.value);
				return start.apply(this, args);
			};
		});
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
		await enrollOnStaffFace(page, server.enrollmentCode!, `${siteName} 受付1`);
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
		// …and sounds it, once, as a check-in (two rising notes).
		await expect.poll(() => page.evaluate(() => (window as unknown as { chimes: number[] }).chimes)).toEqual([880, 1318.5]);
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

	it('keeps a mistyped code on screen with the error marked, and もどる goes back in the family’s language', async () => {
		const before = (await centreVisits(server, probe)).length;
		await page.getByRole('button', { name: 'English' }).click();
		await page.getByRole('button', { name: 'Type card number' }).click();
		const good = formatCardCode(cards[1]!);
		const typo = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
		expect(parseCardInput(typo).ok).toBe(false);
		const field = page.getByLabel('Card number (17 characters)');
		await field.fill(typo);
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: 'Check in' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('The card number is not correct');
		expect(await field.inputValue()).toBe(typo);
		expect(await field.getAttribute('aria-invalid')).toBe('true');
		expect(await page.getByTestId('confirmation').count()).toBe(0);
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: 'Back' }).click();
		await page.getByRole('button', { name: 'First visit' }).waitFor();
		expect(await page.getByRole('button', { name: 'English' }).getAttribute('aria-pressed')).toBe('true');
		await page.getByRole('button', { name: '日本語' }).click();
		await page.waitForTimeout(1000);
		expect((await centreVisits(server, probe)).length).toBe(before);
	});

	it('answers a foreign code from the barcode scanner, and checks in a good card read while that answer shows at once, in the family’s language', async () => {
		const before = (await centreVisits(server, probe)).length;
		// A keyboard-wedge scanner "types" fast and ends with Enter.
		await scannerTypes(page, 'https://example.com/coupon?id=42');
		expect(await confirmation(page)).toContain('ひろばのカードではないようです');
		await expectAccessible(page, expect);
		const shownAt = Date.now();
		await scannerTypes(page, cardQrPayload(cards[1]!));
		await expect
			.poll(() => page.getByTestId('confirmation').textContent(), { timeout: 3000 })
			.toMatch(/受付しました|checked in|签到成功|접수되었습니다|Đã tiếp nhận|Bạn đã làm thủ tục/);
		// Well before the refusal would have closed by itself (4 s).
		expect(Date.now() - shownAt).toBeLessThan(3500);
		await dismiss(page);
		await expect.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.cardCode === cards[1]).length, { timeout: 20_000 }).toBe(1);
		// The refusal recorded nothing: the one new visit is the good card's.
		expect((await centreVisits(server, probe)).length).toBe(before + 1);
	});

	it('checks in a card from another site, then names the family on the visit by looking the card up', async () => {
		await scannerTypes(page, cardQrPayload(foreign.cardCode));
		expect(await confirmation(page)).toMatch(/受付しました|checked in|签到成功|접수되었습니다|Bạn đã làm thủ tục/);
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

	it('checks in a walk-in in two steps: each age tap counts a child, 受付する records it (two taps for one adult and one child)', async () => {
		await page.getByRole('button', { name: 'カードを忘れた方・登録しない方' }).click();
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '1歳', exact: true }).click();
		expect(await page.getByTestId('walkin-people').textContent()).toBe('おとな 1人・こども 1人');
		expect(await page.getByTestId('walkin-age1').textContent()).toBe('× 1');
		expect(await page.getByTestId('confirmation').count()).toBe(0);
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '受付する' }).click();
		expect(await confirmation(page)).toContain('ようこそ');
		await dismiss(page);
		await expect
			.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.method === 'walkin').map((v) => [v.data.adults, v.data.walkInChildren]), {
				timeout: 20_000
			})
			.toEqual([[1, { age0: 0, age1: 1, age2: 0, age3plus: 0, school: 0 }]]);
	});

	it('lets a family say who came (one of two children, two adults) and add a new baby; the visit says so on the tablet and at the centre', async () => {
		const [older, younger] = family.kids as [(typeof family.kids)[0], (typeof family.kids)[0]];
		const label = (c: typeof older) => c.data.nickname ?? `${Number(c.data.birthYm.slice(0, 4))}年${Number(c.data.birthYm.slice(5))}月生まれ`;
		await scannerTypes(page, cardQrPayload(family.cardCode));
		expect(await confirmation(page)).toContain('受付しました');
		const box = page.getByTestId('confirmation');
		// Only the younger child came today, with two adults.
		await box.getByRole('checkbox', { name: label(older) }).uncheck();
		await box.getByRole('button', { name: 'おとな ふやす' }).click();
		await expect.poll(() => box.getByTestId('confirm-people').textContent()).toBe('おとな 2人・こども 1人');
		expect(await box.getByRole('checkbox', { name: label(younger) }).isChecked()).toBe(true);
		await expectAccessible(page, expect);
		await expect.poll(() => tabletVisit(page, family.cardCode)).toEqual({ adults: 2, childIds: [younger.id], deleted: false });

		// And a baby born this month, not registered yet.
		const { year, month } = tokyoMonth();
		await box.getByRole('button', { name: '生まれたお子さんを追加' }).click();
		await page.getByRole('heading', { name: 'お子さんの追加' }).waitFor();
		await page.getByRole('button', { name: '追加する' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('お子さんの生まれた年と月を選んでください。');
		await expectAccessible(page, expect);
		await page.locator('select[name="baby-year"]').selectOption(String(year));
		await page.locator('select[name="baby-month"]').selectOption(String(month));
		await page.getByRole('button', { name: '追加する' }).click();
		expect(await confirmation(page)).toContain('お子さんを追加しました');
		expect(await box.getByRole('checkbox', { name: `${year}年${month}月生まれ（0か月）` }).isChecked()).toBe(true);
		expect(await box.getByRole('checkbox', { name: label(older) }).isChecked()).toBe(false);
		expect(await box.getByTestId('confirm-adults').textContent()).toBe('2');
		await dismiss(page);

		const ym = `${year}-${String(month).padStart(2, '0')}`;
		await expect
			.poll(
				async () =>
					(await centreRows<{ data: { householdId: string; birthYm: string } }>(server, probe, 'children')).filter(
						(c) => c.data.householdId === family.id && c.data.birthYm === ym
					).length,
				{ timeout: 20_000 }
			)
			.toBe(1);
		const babyId = (await centreRows<{ id: string; data: { householdId: string; birthYm: string } }>(server, probe, 'children')).find(
			(c) => c.data.householdId === family.id && c.data.birthYm === ym
		)!.id;
		await expect
			.poll(
				async () =>
					(await centreVisits(server, probe))
						.filter((v) => v.data.cardCode === family.cardCode && !v.deleted)
						.map((v) => ({ adults: v.data.adults, childIds: [...v.data.childIds].sort() })),
				{ timeout: 20_000 }
			)
			.toEqual([{ adults: 2, childIds: [younger.id, babyId].sort() }]);
	});

	it('takes a check-in back with まちがえた: the visit becomes a tombstone and nothing is counted at the centre', async () => {
		await scannerTypes(page, cardQrPayload(undoCard));
		expect(await confirmation(page)).toContain('受付しました');
		await page.getByTestId('confirmation').getByRole('button', { name: 'まちがえた' }).click();
		await expect.poll(() => page.getByTestId('confirmation').textContent()).toContain('受付を取り消しました');
		await expectAccessible(page, expect);
		await dismiss(page);
		// A tombstone, or gone altogether once the centre has it.
		await expect.poll(async () => (await tabletVisit(page, undoCard))?.deleted ?? 'gone').not.toBe(false);
		await expect
			.poll(async () => (await centreVisits(server, probe)).filter((v) => v.data.cardCode === undoCard).map((v) => v.deleted), { timeout: 20_000 })
			.toEqual([true]);
	});

	let newCard = '';
	it('registers a first-time family in its language and shows its new card', async () => {
		await page.getByRole('button', { name: 'Tiếng Việt' }).click();
		await page.getByRole('button', { name: 'Lần đầu đến đây' }).click();
		await page.getByRole('button', { name: 'Đăng ký và làm thủ tục' }).click();
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
		await page.getByRole('button', { name: 'Đăng ký và làm thủ tục' }).click();
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

	it('is back on the scanner in Japanese 60 s after the last touch, a half-filled form discarded, and the scanner still answers', async () => {
		// Playwright's clock, fast-forwarded instead of waiting; the next test relaunches the tablet.
		await page.clock.install();
		await page.getByRole('button', { name: 'English' }).click();
		await page.getByRole('button', { name: 'First visit' }).click();
		await page.getByLabel('In Hiroba ward').check();
		await page.clock.fastForward(40_000);
		expect(await page.getByLabel('In Hiroba ward').isChecked()).toBe(true);
		await page.clock.fastForward(21_000);
		await page.getByRole('button', { name: 'はじめての方' }).waitFor();
		expect(await page.getByRole('button', { name: '日本語' }).getAttribute('aria-pressed')).toBe('true');
		await page.getByRole('button', { name: 'はじめての方' }).click();
		expect(await page.getByLabel('ひろば区内').isChecked()).toBe(false);
		await page.getByRole('button', { name: 'もどる' }).click();
		await scannerTypes(page, cardQrPayload(cards[3]!));
		expect(await confirmation(page)).toContain('すでに受付済みです');
		await page.clock.fastForward(5_000);
		await page.getByTestId('confirmation').waitFor({ state: 'detached' });
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
		expect(text).toContain('Bạn đã làm thủ tục rồi'); // in the family's language
	});

	it('shows staff today’s list with counts by age band; check-out and undo reach the centre', async () => {
		await dismiss(page);
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await unlockStaff(page);
		await page.waitForURL(`${server.url}/staff`);
		await page.getByRole('heading', { name: '本日の来場' }).waitFor();
		await expect.poll(() => page.getByTestId('count-visits').textContent()).toBe('8');
		expect(Number(await page.getByTestId('count-age1').textContent())).toBeGreaterThanOrEqual(1);
		await expectAccessible(page, expect);
		const walkIn = page.getByRole('row', { name: /カードなし/ });
		page.once('dialog', (d) => void d.accept());
		await walkIn.getByRole('button', { name: /^取消/ }).click();
		await expect.poll(() => page.getByTestId('count-visits').textContent()).toBe('7');
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
