/**
 * Families at the centre, end to end on the built server with demo data: a coordinator finds a
 * family by its card and reissues it; a kiosk tablet at the family's site, enrolled before, syncs
 * and then refuses the old card (saying so, in the kiosk's language) and records no visit, while
 * the new card checks the family in. Two registrations are merged through the preview. Every new
 * screen passes axe and the 44 px rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCardCode } from '../../src/lib/domain/card-code';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from '../server-process';
import { enrollOnStaffFace, expectAccessible, launch, launchTablet, newContext, signInAtCentre } from './browser';
import { makeEmptyCameraVideo } from './fake-camera';
import { enrollProbe, households, type Probe } from './probe';

interface CentreVisit {
	id: string;
	deleted: boolean;
	data: { cardCode: string | null; householdId: string | null; checkedInAt: string };
}

/** The site's visits within a day of today that reached the centre, as another tablet there reads them. */
/** When this suite began: the site's tablets also get the demo's visits of yesterday and today. */
const SUITE_STARTED = Date.now();

/** The visits checked in by this suite (not the demo's, which the pull's ±1 day also sends). */
async function centreVisits(server: RunningServer, probe: Probe): Promise<CentreVisit[]> {
	const r = await fetch(`${server.url}/api/v1/sync/pull?since=0&limit=5000`, { headers: { authorization: `Bearer ${probe.token}` } });
	const body = (await r.json()) as { changes: Array<CentreVisit & { table: string }> };
	return body.changes.filter((c) => c.table === 'visits' && Date.parse(c.data.checkedInAt) >= SUITE_STARTED - 1000);
}

/** What the tablet's IndexedDB holds now: the retired card codes, and the card of one household. */
async function tabletHolds(page: Page, householdId: string): Promise<{ retired: string[]; card: string | null }> {
	return page.evaluate(async (id) => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const req = indexedDB.open('hiroba');
			req.onsuccess = () => resolve(req.result);
			req.onerror = () => reject(req.error);
		});
		const get = <T>(store: string, op: (s: IDBObjectStore) => IDBRequest) =>
			new Promise<T>((resolve, reject) => {
				const req = op(db.transaction(store, 'readonly').objectStore(store));
				req.onsuccess = () => resolve(req.result as T);
				req.onerror = () => reject(req.error);
			});
		try {
			const retired = await get<Array<{ cardCode: string }>>('card_retirements', (s) => s.getAll());
			const household = await get<{ cardCode: string } | undefined>('households', (s) => s.get(id));
			return { retired: retired.map((r) => r.cardCode), card: household?.cardCode ?? null };
		} finally {
			db.close();
		}
	}, householdId);
}

async function confirmation(page: Page): Promise<string> {
	const box = page.getByTestId('confirmation');
	await box.waitFor({ timeout: 15_000 });
	return (await box.textContent()) ?? '';
}

async function dismiss(page: Page) {
	await page.getByTestId('confirmation').locator('button.close').click();
	await page.getByTestId('confirmation').waitFor({ state: 'detached' });
}

async function typeCode(page: Page, code: string, label = 'カード番号（17文字）', open = 'カード番号を入力', submit = '受付する') {
	await page.getByRole('button', { name: open }).click();
	await page.getByLabel(label).fill(code);
	await page.getByRole('button', { name: submit }).click();
}

describe('families at the centre, and a reissued card at the kiosk', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;
	let work: string;
	let tablet: BrowserContext;
	let kiosk: Page;
	let centre: Page;
	let probe: Probe;
	let families: Array<{ id: string; cardCode: string }>;
	let siteName: string;
	let oldCard: string;
	let newCard: string;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		server = await startServer({ dataDir: place.dataDir });
		work = mkdtempSync(join(tmpdir(), 'hiroba-families-e2e-'));
		siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		const sites = (await runAdmin(['sites', '--json'], { dataDir: place.dataDir })).json<{ sites: Array<{ id: string; nameJa: string }> }>().sites;
		probe = await enrollProbe(server, place.dataDir, sites.find((s) => s.nameJa === siteName)!.id);
		families = await households(server, probe);
		expect(families.length).toBeGreaterThanOrEqual(3);
		oldCard = families[0]!.cardCode;
		browser = await launch();
		tablet = await launchTablet(join(work, 'profile'), makeEmptyCameraVideo(work));
		kiosk = tablet.pages()[0] ?? (await tablet.newPage());
	});
	afterAll(async () => {
		await tablet?.close();
		await browser?.close();
		await server?.stop();
		await place?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it('a tablet at the family’s site is enrolled and its kiosk opened, holding the family with its card', async () => {
		await kiosk.goto(`${server.url}/staff`);
		await (await enrollOnStaffFace(kiosk, server.enrollmentCode!, `${siteName} 受付`)).click();
		for (const d of '482193') await kiosk.getByRole('button', { name: d, exact: true }).click();
		await kiosk.getByRole('button', { name: 'OK' }).click();
		await kiosk.getByRole('button', { name: '開始する' }).first().click();
		await kiosk.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await kiosk.waitForURL(`${server.url}/kiosk`);
		await kiosk.getByRole('button', { name: 'カード番号を入力' }).waitFor();
		expect(await tabletHolds(kiosk, families[0]!.id)).toEqual({ retired: [], card: oldCard });
	});

	it('a coordinator finds the family by its card and reissues it', async () => {
		centre = await (await newContext(browser)).newPage();
		await signInAtCentre(centre, server);
		await centre.getByRole('link', { name: '世帯' }).click();
		await centre.waitForURL(`${server.url}/centre/families`);
		await expectAccessible(centre, expect);

		// A search that cannot run says why, at the field and in the summary.
		await centre.getByLabel('お子さんの生まれた年月', { exact: true }).fill('2025-06');
		await centre.getByRole('button', { name: '生まれた年月と会場で探す' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('生まれた年月で探すときは会場も選んでください');
		await expectAccessible(centre, expect);

		await centre.getByLabel('カード番号（17文字）').fill(formatCardCode(oldCard).toLowerCase());
		await centre.getByRole('button', { name: 'カード番号で探す' }).click();
		const link = centre.getByRole('link', { name: formatCardCode(oldCard) });
		await link.waitFor();
		expect(await centre.getByRole('status').first().textContent()).toBe('1件');
		await expectAccessible(centre, expect);
		await link.click();
		await centre.waitForURL(`${server.url}/centre/families/${families[0]!.id}`);
		await centre.getByRole('heading', { name: /お子さん（\d人）/ }).waitFor();
		expect(await centre.getByTestId('card-code').textContent()).toBe(formatCardCode(oldCard));
		await expectAccessible(centre, expect);

		// Not without the confirmation.
		await centre.getByRole('button', { name: 'カードを再発行する' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('確認のチェックを入れてください');
		await expectAccessible(centre, expect);
		await centre.getByLabel('今のカードが使えなくなることを確認しました').check();
		await centre.getByRole('button', { name: 'カードを再発行する' }).click();
		await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('印刷待ちにしました');
		await expect.poll(() => centre.getByTestId('card-code').textContent()).not.toBe(formatCardCode(oldCard));
		newCard = (await centre.getByTestId('card-code').textContent())!.replace(/-/g, '');
		expect(await centre.getByText('印刷待ち', { exact: true }).isVisible()).toBe(true);
		expect(await centre.getByText(formatCardCode(oldCard)).first().textContent()).toBe(formatCardCode(oldCard));
		await expectAccessible(centre, expect);
	});

	it('the tablet syncs; at the kiosk the old card says it was replaced and records nothing, in the kiosk’s language, and the new card checks in', async () => {
		// Reloading the kiosk starts a sync (as the minute's interval would).
		await kiosk.reload();
		await kiosk.getByRole('button', { name: 'カード番号を入力' }).waitFor({ timeout: 15_000 });
		await expect.poll(() => tabletHolds(kiosk, families[0]!.id), { timeout: 30_000 }).toEqual({ retired: [oldCard], card: newCard });

		await typeCode(kiosk, formatCardCode(oldCard));
		const said = await confirmation(kiosk);
		expect(said).toContain('このカードは新しいカードに切り替わりました');
		expect(said).toContain('スタッフにお声がけください');
		await expectAccessible(kiosk, expect);
		await dismiss(kiosk);

		await kiosk.getByRole('button', { name: 'English' }).click();
		await typeCode(kiosk, oldCard.toLowerCase(), 'Card number (17 characters)', 'Type card number', 'Check in');
		expect(await confirmation(kiosk)).toContain('This card has been replaced');
		await dismiss(kiosk);
		await kiosk.getByRole('button', { name: '日本語' }).click();

		await typeCode(kiosk, formatCardCode(newCard));
		expect(await confirmation(kiosk)).toContain('受付しました');
		await dismiss(kiosk);
		await expect
			.poll(async () => (await centreVisits(server, probe)).filter((v) => !v.deleted && v.data.householdId === families[0]!.id).map((v) => v.data.cardCode), {
				timeout: 30_000
			})
			.toEqual([newCard]);
		expect((await centreVisits(server, probe)).some((v) => v.data.cardCode === oldCard)).toBe(false);
	});

	it('merges a family registered twice after showing what moves', async () => {
		const [keep, duplicate] = [families[1]!, families[2]!];
		await centre.goto(`${server.url}/centre/families`);
		await centre.getByRole('link', { name: '二重に登録された世帯をまとめる' }).click();
		await centre.waitForURL(`${server.url}/centre/families/merge`);
		await expectAccessible(centre, expect);
		await centre.getByLabel('残す世帯のカード番号').fill(formatCardCode(keep.cardCode));
		await centre.getByLabel('まとめる世帯（なくなる方）のカード番号').fill(oldCard);
		await centre.getByRole('button', { name: 'まとめる内容を確かめる' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('使われなくなった古い番号です');
		await expectAccessible(centre, expect);

		await centre.getByLabel('まとめる世帯（なくなる方）のカード番号').fill(formatCardCode(duplicate.cardCode));
		await centre.getByRole('button', { name: 'まとめる内容を確かめる' }).click();
		await centre.getByRole('heading', { name: 'まとめる内容' }).waitFor();
		await expectAccessible(centre, expect);
		await centre.getByRole('button', { name: 'この内容でまとめる' }).click();
		await expect.poll(() => centre.getByRole('alert').textContent()).toContain('確認のチェックを入れてください');
		await centre.getByLabel('同じ家族であることを確かめました（元に戻せません）').check();
		await centre.getByRole('button', { name: 'この内容でまとめる' }).click();
		await expect.poll(() => centre.getByRole('status').first().textContent()).toContain('世帯をまとめました');
		expect(await centre.getByRole('alert').count()).toBe(0);
		await expectAccessible(centre, expect);
		await centre.getByRole('link', { name: '残した世帯を見る' }).click();
		await centre.waitForURL(`${server.url}/centre/families/${keep.id}`);
		await expect.poll(() => centre.getByText(formatCardCode(duplicate.cardCode)).count()).toBe(1);
		expect(await centre.getByText('世帯の統合', { exact: false }).count()).toBeGreaterThan(0);
	});
});
