/**
 * A day on the staff face of a site tablet, end to end on the built server with demo data: the PIN
 * pad lists consultants first; a family that forgot its card is found by nickname and a child's
 * birth month, shown its QR card and checked in; staff correct that visit (children, adults,
 * check-out time; a check-out before the check-in is refused at its field) and undo its check-out,
 * on the tablet and at the centre; a new build waits: staff apply it from the device panel (not
 * while a consultation is open), and the kiosk applies it only once it is back on the bare scanner;
 * the closed session's list stays, with a warning and one tap to check everyone out at the close;
 * after a reload with the network off, the sync panel keeps the last success and says why in
 * Japanese. Every new panel passes axe and the 44 px rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCardCode } from '../../src/lib/domain/card-code';
import { formatYearMonthJa, tokyoDate } from '../../src/lib/domain/dates';
import { tokyoInstant } from '../../src/lib/client/state/visit-edit';
import { syncErrorJa } from '../../src/lib/client/sync/error-text';
import { makePlace, privateBuild, runAdmin, startServer, type Place, type RunningServer } from '../server-process';
import { enrollOnStaffFace, expectAccessible, launchTablet } from './browser';
import { makeEmptyCameraVideo } from './fake-camera';
import { enrollProbe, type Probe } from './probe';
import { changedServiceWorker, readServiceWorker, writeServiceWorker, type ServiceWorkerFiles } from './sw-patch';

interface Change<T> {
	id: string;
	/** `…:centre` when the centre wrote it (the demo's rows), the device's id when a tablet did. */
	hlc: string;
	deleted: boolean;
	data: T;
}
interface VisitData {
	householdId: string | null;
	cardCode: string | null;
	childIds: string[];
	adults: number;
	method: string;
	checkedInAt: string;
	checkedOutAt: string | null;
}

async function centreRows<T>(server: RunningServer, probe: Probe, table: string): Promise<Change<T>[]> {
	const all = new Map<string, Change<T>>();
	let since = '0';
	for (;;) {
		const r = await fetch(`${server.url}/api/v1/sync/pull?since=${since}&limit=5000`, { headers: { authorization: `Bearer ${probe.token}` } });
		const body = (await r.json()) as { changes: Array<Change<T> & { table: string }>; cursor: string; more: boolean };
		for (const c of body.changes) if (c.table === table) all.set(c.id, c);
		since = body.cursor;
		if (!body.more) break;
	}
	return [...all.values()];
}

/** A visit as the tablet's IndexedDB holds it, read with the raw API. */
function tabletVisit(page: Page, id: string): Promise<VisitData | undefined> {
	return page.evaluate(
		(id) =>
			new Promise<VisitData | undefined>((resolve, reject) => {
				const open = indexedDB.open('hiroba');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const get = open.result.transaction('visits').objectStore('visits').get(id);
					get.onsuccess = () => {
						resolve(get.result as VisitData | undefined);
						open.result.close();
					};
					get.onerror = () => reject(get.error);
				};
			}),
		id
	);
}

async function unlock(page: Page, name = '相談員 山田', pin = '482193') {
	await page.getByRole('button', { name }).click();
	for (const d of pin) await page.getByRole('button', { name: d, exact: true }).click();
	await page.getByRole('button', { name: 'OK' }).click();
	await page.getByRole('heading', { name: '今日の開催' }).waitFor();
}

/** Ask the browser to look for a new service worker now, past its HTTP cache (the server would answer 304). */
async function checkForUpdate(page: Page): Promise<void> {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Network.clearBrowserCache');
	await cdp.detach();
	await page.evaluate(async () => {
		const reg = await navigator.serviceWorker.getRegistration();
		await reg?.update();
	});
	await expect.poll(() => page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting), { timeout: 20_000 }).toBe(true);
}

const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __before?: boolean }).__before = true));
const marked = (page: Page) => page.evaluate(() => (window as unknown as { __before?: boolean }).__before === true);
const waiting = (page: Page) => page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting);

describe('a day on the staff face', () => {
	let place: Place;
	let server: RunningServer;
	let work: string;
	let tablet: BrowserContext;
	let page: Page;
	let probe: Probe;
	let original: ServiceWorkerFiles;
	/** A family of the site with no nickname and children born in different months: found by a birth month. */
	let family: { id: string; cardCode: string; children: Array<{ id: string; birthYm: string }> };
	/** A family with a nickname: found by it in katakana. */
	let named: { cardCode: string; nickname: string };
	let visitId = '';
	/** This journey plays updates by rewriting the service worker: on a build of its own. */
	let build: ReturnType<typeof privateBuild>;
	let CLIENT_DIR: string;

	beforeAll(async () => {
		build = privateBuild();
		CLIENT_DIR = join(build.root, 'build', 'client');
		original = readServiceWorker(CLIENT_DIR);
		place = await makePlace('pglite', { from: 'demo' });
		server = await startServer({ dataDir: place.dataDir, root: build.root });
		work = mkdtempSync(join(tmpdir(), 'hiroba-staff-e2e-'));
		const siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		const sites = (await runAdmin(['sites', '--json'], { dataDir: place.dataDir })).json<{ sites: Array<{ id: string; nameJa: string }> }>().sites;
		const siteId = sites.find((s) => s.nameJa === siteName)!.id;
		probe = await enrollProbe(server, place.dataDir, siteId);
		// A coordinator of this site: by name (katakana before kanji) it would come before the consultants.
		const added = await runAdmin(['staff', 'add', '--name', 'コーディネーター 青木', '--role', 'coordinator', '--pin', '246813', '--site', siteId], {
			dataDir: place.dataDir
		});
		expect(added.code, added.stderr).toBe(0);
		const households = await centreRows<{ cardCode: string; nickname: string | null }>(server, probe, 'households');
		const children = await centreRows<{ householdId: string; birthYm: string }>(server, probe, 'children');
		const recent = new Set(
			(await centreRows<VisitData>(server, probe, 'visits'))
				.filter((v) => Date.now() - Date.parse(v.data.checkedInAt) < 86_400_000)
				.map((v) => v.data.householdId)
		);
		const kidsOf = (id: string) => children.filter((c) => c.data.householdId === id && !c.deleted).map((c) => ({ id: c.id, birthYm: c.data.birthYm }));
		const pick = households.find((h) => {
			const kids = kidsOf(h.id);
			return !h.data.nickname && !recent.has(h.id) && kids.length >= 2 && new Set(kids.map((k) => k.birthYm)).size === kids.length;
		})!;
		expect(pick).toBeDefined();
		family = { id: pick.id, cardCode: pick.data.cardCode, children: kidsOf(pick.id) };
		const n = households.find((h) => h.data.nickname)!;
		expect(n).toBeDefined();
		named = { cardCode: n.data.cardCode, nickname: n.data.nickname! };
		tablet = await launchTablet(join(work, 'profile'), makeEmptyCameraVideo(work));
		page = tablet.pages()[0] ?? (await tablet.newPage());
	});
	afterAll(async () => {
		await tablet?.close();
		await server?.stop();
		await place?.dispose();
		build?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it('lists consultants first on the PIN pad, then the others, each by name', async () => {
		await page.goto(`${server.url}/staff`);
		await enrollOnStaffFace(page, server.enrollmentCode!, '受付2');
		const names = (await page.locator('.names button').allTextContents()).map((s) => s.trim());
		const firstOther = names.findIndex((n) => !n.startsWith('相談員'));
		expect(firstOther).toBeGreaterThan(0);
		expect(names.slice(firstOther).some((n) => n.startsWith('相談員'))).toBe(false);
		expect(names).toContain('コーディネーター 青木');
	});

	it('finds a family that forgot its card by nickname and birth month, shows its QR card, and checks it in', async () => {
		await unlock(page);
		await page.getByRole('button', { name: '開始する' }).first().click();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).waitFor();
		const finder = page.getByRole('region', { name: 'カードを忘れたご家族' });

		// Nothing asked: said at the field, and nobody listed.
		await finder.getByRole('button', { name: 'さがす' }).click();
		await expect.poll(() => finder.getByRole('alert').textContent()).toBe('ニックネームか、お子さんの生まれた年月を入れてください。');
		expect(await finder.getByLabel('ニックネーム').getAttribute('aria-invalid')).toBe('true');
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('finder-nickname');

		// A nickname typed in katakana finds the family written in hiragana.
		const katakana = named.nickname.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
		await finder.getByLabel('ニックネーム').fill(katakana.slice(0, 2));
		await finder.getByRole('button', { name: 'さがす' }).click();
		await finder.getByText(`カード …${formatCardCode(named.cardCode).slice(-6)}`).waitFor();

		// The family without a nickname: by a child's birth month, its children's months shown.
		await finder.getByLabel('ニックネーム').fill('');
		await finder.getByLabel('お子さんの生まれた年月').fill(family.children[0]!.birthYm);
		await finder.getByRole('button', { name: 'さがす' }).click();
		const tail = formatCardCode(family.cardCode).slice(-6);
		const row = finder.getByRole('listitem').filter({ hasText: `カード …${tail}` });
		for (const c of family.children) expect(await row.textContent()).toContain(`${formatYearMonthJa(c.birthYm)}生まれ`);
		await row.getByRole('button', { name: `カードを表示（カード …${tail}）` }).click();
		await finder.getByRole('img', { name: `QR: ${formatCardCode(family.cardCode)}` }).waitFor();
		await expectAccessible(page, expect);

		await finder.getByRole('button', { name: '受付する' }).click();
		await expect.poll(() => finder.getByRole('status').last().textContent()).toBe(`カード …${tail} を受付しました。`);
		// The family's visit made here (the demo gave it visits on other days).
		const made = async () =>
			(await centreRows<VisitData>(server, probe, 'visits')).find((v) => v.data.householdId === family.id && !v.deleted && !v.hlc.endsWith(':centre'));
		await expect.poll(async () => (await made())?.data.method, { timeout: 20_000 }).toBe('typed');
		visitId = (await made())!.id;
		expect((await tabletVisit(page, visitId))?.childIds.sort()).toEqual(family.children.map((c) => c.id).sort());
		// Checked in once: a second tap says so and records nothing.
		await finder.getByRole('button', { name: '受付する' }).click();
		await expect.poll(() => finder.getByRole('status').last().textContent()).toBe(`カード …${tail} はこの回ですでに受付済みです。`);
	});

	it('corrects the visit’s children, adults and check-out time, refusing a check-out before the check-in, and undoes the check-out', async () => {
		const who = `カード …${formatCardCode(family.cardCode).slice(-6)}`;
		await page.getByRole('button', { name: `直す（${who}）` }).click();
		const editor = page.getByRole('form', { name: new RegExp(`受付を直す：${who}`) });
		const first = family.children[0]!;
		await editor.getByRole('checkbox', { name: new RegExp(formatYearMonthJa(first.birthYm)) }).uncheck();
		await editor.getByLabel('おとな（人）').fill('2');
		const out = editor.getByLabel('退出の時刻（空欄：まだ退出していない）');
		await out.fill('00:00');
		await editor.getByRole('button', { name: '保存する' }).click();
		await expect.poll(() => editor.getByRole('alert').textContent()).toBe('退出の時刻が受付の時刻より前になっています。');
		expect(await out.getAttribute('aria-invalid')).toBe('true');
		expect(await out.evaluate((el) => el === document.activeElement)).toBe(true);
		await expectAccessible(page, expect);
		// Refused: nothing was written.
		expect((await tabletVisit(page, visitId))?.adults).toBe(1);

		await out.fill('23:59');
		await editor.getByRole('button', { name: '保存する' }).click();
		await editor.waitFor({ state: 'detached' });
		const outAt = tokyoInstant(tokyoDate(), '23:59');
		const rest = family.children
			.slice(1)
			.map((c) => c.id)
			.sort();
		const tabletNow = await tabletVisit(page, visitId);
		expect({ adults: tabletNow?.adults, childIds: tabletNow?.childIds.sort(), checkedOutAt: tabletNow?.checkedOutAt }).toEqual({
			adults: 2,
			childIds: rest,
			checkedOutAt: outAt
		});
		const atCentre = async () => (await centreRows<VisitData>(server, probe, 'visits')).find((v) => v.id === visitId)!.data;
		await expect
			.poll(async () => ({ ...(await atCentre()), childIds: (await atCentre()).childIds.sort() }), { timeout: 20_000 })
			.toMatchObject({
				adults: 2,
				childIds: rest,
				checkedOutAt: outAt
			});

		await page.getByRole('button', { name: `退出を取消（${who}）` }).click();
		await page.getByRole('button', { name: `退出（${who}）`, exact: true }).waitFor();
		expect((await tabletVisit(page, visitId))?.checkedOutAt).toBeNull();
		await expect.poll(async () => (await atCentre()).checkedOutAt, { timeout: 20_000 }).toBeNull();
	});

	it('shows the version and the storage, and applies a waiting update on the button, not while a consultation is open', async () => {
		const panel = page.getByRole('region', { name: 'この端末' });
		expect(await panel.getByTestId('app-version').textContent()).toMatch(/^\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2} 版$/);
		await expect.poll(() => panel.getByTestId('storage-persisted').textContent()).toMatch(/^\s*(保護されています|ブラウザが消去する可能性があります)\s*$/);
		expect(await panel.getByTestId('storage-usage').textContent()).toMatch(/^\s*\d+\.\d MB（上限の目安 \d+\.\d MB）\s*$/);

		writeServiceWorker(CLIENT_DIR, await changedServiceWorker(original));
		await checkForUpdate(page);
		await panel.getByText('更新があります').waitFor();
		await expectAccessible(page, expect);
		await mark(page);

		// A consultation being written: the update waits, and says why.
		await page.getByRole('button', { name: '相談を記録（匿名）' }).click();
		await page.getByRole('button', { name: '今すぐ更新' }).click();
		await expect.poll(() => page.getByRole('alert').filter({ hasText: '相談記録の入力中は更新できません' }).count()).toBe(1);
		await page.waitForTimeout(1000);
		expect(await marked(page)).toBe(true);
		expect(await waiting(page)).toBe(true);
		await page.getByRole('button', { name: '閉じる' }).click();

		await page.getByRole('region', { name: 'この端末' }).getByRole('button', { name: '今すぐ更新' }).click();
		await page.getByRole('button', { name: '相談員 山田' }).waitFor({ timeout: 20_000 });
		expect(await marked(page)).toBe(false);
		expect(await waiting(page)).toBe(false);
		await unlock(page);
		expect(await page.getByText('更新があります').count()).toBe(0);
	});

	it('keeps the closed session’s list with a warning about families not checked out, and checks them all out at the close', async () => {
		page.once('dialog', (d) => void d.accept());
		await page.getByRole('button', { name: '終了する' }).click();
		await page.getByRole('button', { name: '再開する' }).first().waitFor();
		const warning = page.getByTestId('still-in');
		await expect.poll(() => warning.textContent()).toMatch(/退出が記録されていないご家族が \d+ 組います/);
		expect(await page.getByRole('heading', { name: '本日の来場' }).count()).toBe(1);
		await expectAccessible(page, expect);
		await warning.getByRole('button', { name: /で全員を退出にする$/ }).click();
		await warning.waitFor({ state: 'detached' });
		const out = (await tabletVisit(page, visitId))?.checkedOutAt;
		expect(out).not.toBeNull();
		expect(Date.parse(out!)).toBeLessThanOrEqual(Date.now());
		await expect
			.poll(async () => (await centreRows<VisitData>(server, probe, 'visits')).find((v) => v.id === visitId)!.data.checkedOutAt, { timeout: 20_000 })
			.toBe(out);
	});

	it('does not reload the kiosk for an update while a registration is half filled; back on the scanner it does', async () => {
		await page.getByRole('button', { name: '再開する' }).first().click();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await page.waitForURL(`${server.url}/kiosk`);
		await page.getByRole('button', { name: 'はじめての方' }).click();
		await page.locator('#nickname').fill('とちゅう');
		await mark(page);

		// The build as it was at the start is, to this tablet, the next one.
		writeServiceWorker(CLIENT_DIR, original);
		await checkForUpdate(page);
		await page.waitForTimeout(2000);
		expect(await marked(page)).toBe(true);
		expect(await page.locator('#nickname').inputValue()).toBe('とちゅう');

		// Back on the scanner the kiosk asks the waiting build to take over and reloads onto it: wait
		// for that reload itself (on a busy machine the new worker's activation can take a while).
		const reloaded = page.waitForEvent('load', { timeout: 60_000 });
		await page.getByRole('button', { name: 'もどる' }).click();
		await reloaded;
		expect(await marked(page)).toBe(false);
		await page.getByRole('button', { name: 'はじめての方' }).waitFor();
		expect(await waiting(page)).toBe(false);
	});

	it('after a reload with the network off, keeps the last success time and says why in Japanese', async () => {
		await page.goto(`${server.url}/staff`);
		const sync = page.getByRole('region', { name: 'センターとの同期' });
		await expect.poll(() => sync.getByTestId('sync-last-success').textContent(), { timeout: 20_000 }).toMatch(/^\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2}$/);
		await tablet.setOffline(true);
		try {
			await page.reload();
			await page.getByRole('button', { name: '相談員 山田' }).waitFor({ timeout: 20_000 });
			await expect.poll(() => sync.getByTestId('sync-error').textContent(), { timeout: 20_000 }).toBe(syncErrorJa('network'));
			expect(await sync.getByTestId('sync-last-success').textContent()).toMatch(/^\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2}$/);
			expect(await page.locator('body').textContent()).not.toMatch(/Failed to fetch|TypeError|まだありません/);
			await expectAccessible(page, expect);
		} finally {
			await tablet.setOffline(false);
		}
	});
});
