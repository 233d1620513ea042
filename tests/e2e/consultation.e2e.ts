/**
 * The consultation log on the staff face, end to end, on the built server with demo data: a
 * 相談員 unlocks, records a consultation from a family on today's list, reloads mid-draft and
 * resumes it, is told what is missing (and nothing is saved), saves with the network off and sees
 * 未送信 (an urgent one first), and 送信済み once the network returns; a record is corrected with its
 * note left as it was. The form and the list pass axe and the 44 px rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCardCode } from '../../src/lib/domain/card-code';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from '../server-process';
import { expectAccessible, launchTablet } from './browser';

/** The card codes of the families a device at this site holds. */
async function siteCards(server: RunningServer, dataDir: string, siteId: string): Promise<string[]> {
	const code = (await runAdmin(['enroll-code', siteId, '--json'], { dataDir })).json<{ code: string }>().code;
	const { token } = (await (
		await fetch(`${server.url}/api/v1/devices/enroll`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ code, name: 'probe' })
		})
	).json()) as { token: string };
	const r = await fetch(`${server.url}/api/v1/sync/pull?since=0&limit=5000`, { headers: { authorization: `Bearer ${token}` } });
	const body = (await r.json()) as { changes: Array<{ table: string; data: { cardCode: string } }> };
	return body.changes.filter((c) => c.table === 'households').map((c) => c.data.cardCode);
}

async function enterPin(page: Page, name = '相談員 山田', pin = '482193') {
	await page.getByRole('button', { name }).click();
	for (const d of pin) await page.getByRole('button', { name: d, exact: true }).click();
	await page.getByRole('button', { name: 'OK' }).click();
}

async function unlock(page: Page) {
	await enterPin(page);
	await page.getByRole('heading', { name: '相談記録', exact: true }).waitFor();
}

async function checkIn(page: Page, card: string) {
	await page.getByRole('button', { name: 'カード番号を入力' }).click();
	await page.getByLabel('カード番号（17文字）').fill(formatCardCode(card));
	await page.getByRole('button', { name: '受付する' }).click();
	const box = page.getByTestId('confirmation');
	await box.waitFor({ timeout: 15_000 });
	expect(await box.textContent()).toMatch(/受付しました|checked in|签到成功|접수되었습니다|Đã tiếp nhận/);
	await box.getByRole('button').click();
	await box.waitFor({ state: 'detached' });
}

const rows = (page: Page) => page.getByTestId('consultation-row');

/** Tap a chip (a checkbox or radio whose face is its label), as a finger does, and see it take. */
async function tapChip(page: Page, role: 'checkbox' | 'radio', name: string) {
	await page.locator('label', { hasText: new RegExp(`^\\s*${name}\\s*$`) }).click();
	expect(await page.getByRole(role, { name }).isChecked()).toBe(true);
}

describe('the consultation log on the staff face', () => {
	let place: Place;
	let server: RunningServer;
	let work: string;
	let tablet: BrowserContext;
	let page: Page;
	let cards: string[];
	let siteName: string;

	beforeAll(async () => {
		place = await makePlace('pglite');
		server = await startServer({ dataDir: place.dataDir });
		work = mkdtempSync(join(tmpdir(), 'hiroba-consult-e2e-'));
		siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		const sites = (await runAdmin(['sites', '--json'], { dataDir: place.dataDir })).json<{ sites: Array<{ id: string; nameJa: string }> }>().sites;
		cards = await siteCards(server, place.dataDir, sites.find((s) => s.nameJa === siteName)!.id);
		expect(cards.length).toBeGreaterThanOrEqual(2);
		tablet = await launchTablet(join(work, 'profile'), null);
		page = tablet.pages()[0] ?? (await tablet.newPage());
	});
	afterAll(async () => {
		await tablet?.close();
		await server?.stop();
		await place?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it('enrolls, opens today’s session and checks two families in at the kiosk', async () => {
		await page.goto(`${server.url}/staff`);
		await page.getByLabel('登録コード').fill(server.enrollmentCode!);
		await page.getByLabel('端末の名前').fill(`${siteName} 相談`);
		await page.getByRole('button', { name: '登録する' }).click();
		await page.getByRole('button', { name: '相談員 山田' }).waitFor({ timeout: 20_000 });
		await unlock(page);
		// No session open yet: the log says where consultations are recorded.
		await page.getByText('相談は開催中の回に記録します').waitFor();
		await page.getByRole('button', { name: '開始する' }).first().click();
		await page.getByRole('button', { name: '相談を記録（匿名）' }).waitFor();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await page.waitForURL(`${server.url}/kiosk`);
		await checkIn(page, cards[0]!);
		await checkIn(page, cards[1]!);
		// Leaving the kiosk takes a staff PIN.
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await enterPin(page);
		await page.waitForURL(`${server.url}/staff`);
		await page.getByRole('heading', { name: '相談記録', exact: true }).waitFor();
		await expect.poll(() => page.getByRole('button', { name: /^相談を記録（(?!匿名)/ }).count()).toBe(2);
		await expectAccessible(page, expect);
	});

	it('keeps a draft through a reload and the staff lock, and resumes it', async () => {
		await page
			.getByRole('button', { name: /^相談を記録（(?!匿名)/ })
			.first()
			.click();
		await page.getByRole('heading', { name: '相談を記録' }).waitFor();
		await expect.poll(() => page.getByText(/^ご家族：/).textContent()).not.toMatch(/^ご家族：…/);
		await expectAccessible(page, expect);
		await page.getByRole('textbox', { name: /^メモ/ }).fill('夜泣きが続いている。');
		await page.getByText('下書きを保存しました').waitFor();
		expect(await page.getByText('残り 990 文字').count()).toBe(1);
		await page.reload();
		await unlock(page);
		await page.getByTestId('draft-count').getByText('下書き 1件').waitFor();
		expect(await rows(page).count()).toBe(0);
		await page.getByRole('button', { name: /^続きを書く/ }).click();
		await page.getByRole('heading', { name: '相談を記録' }).waitFor();
		expect(await page.getByRole('textbox', { name: /^メモ/ }).inputValue()).toBe('夜泣きが続いている。');
		// Locking with the form open keeps what was just typed.
		await page.getByRole('textbox', { name: /^メモ/ }).press('End');
		await page.keyboard.type('母が眠れていない。');
		await page.getByRole('button', { name: 'ロック' }).click();
		await unlock(page);
		await page.getByTestId('draft-count').getByText('下書き 1件').waitFor();
		await page.getByRole('button', { name: /^続きを書く/ }).click();
		expect(await page.getByRole('textbox', { name: /^メモ/ }).inputValue()).toBe('夜泣きが続いている。母が眠れていない。');
	});

	it('says at each field what is missing, and saves nothing', async () => {
		await page.getByRole('button', { name: '保存する' }).click();
		const alert = page.getByTestId('form-errors');
		await alert.waitFor();
		expect(await alert.getAttribute('role')).toBe('alert');
		expect(await alert.textContent()).toContain('相談内容を1つ以上選んでください');
		expect(await alert.textContent()).toContain('相談時間を分で入力してください');
		expect(await page.getByRole('checkbox', { name: '睡眠' }).getAttribute('aria-invalid')).toBe('true');
		const duration = page.getByLabel('相談時間（分）');
		expect(await duration.getAttribute('aria-invalid')).toBe('true');
		const describedBy = (await duration.getAttribute('aria-describedby'))!;
		expect(await page.locator(`#${describedBy}`).textContent()).toContain('相談時間を分で入力してください');
		await expectAccessible(page, expect);
		await page.getByRole('button', { name: '閉じる' }).click();
		await page.getByTestId('draft-count').waitFor();
		expect(await rows(page).count()).toBe(0);
	});

	it('saves with the network off (未送信, urgent first) and shows 送信済み once it returns', async () => {
		await page.getByRole('button', { name: /^続きを書く/ }).click();
		await tapChip(page, 'checkbox', '睡眠');
		await page.getByRole('button', { name: '10分' }).click();
		expect(await page.getByLabel('相談時間（分）').inputValue()).toBe('10');
		await tablet.setOffline(true);
		await page.getByRole('button', { name: '保存する' }).click();
		await page.getByText('相談記録を保存しました。').waitFor();
		expect(await page.getByTestId('draft-count').count()).toBe(0);
		await expect.poll(() => rows(page).count()).toBe(1);
		expect(await rows(page).first().getByTestId('delivery').textContent()).toBe('未送信');

		// An urgent anonymous one: listed first among those not sent.
		await page.getByRole('button', { name: '相談を記録（匿名）' }).click();
		await tapChip(page, 'checkbox', 'ことば');
		await tapChip(page, 'radio', '緊急');
		await page.getByLabel('相談時間（分）').fill('25');
		await page.getByRole('radio', { name: 'こども家庭センターへつなぐ' }).check();
		await page.getByLabel('つなぎ先のメモ').fill('今週中に連絡');
		await page.getByRole('button', { name: '保存する' }).click();
		await page.getByText('緊急の相談記録を保存しました').waitFor();
		await expect.poll(() => rows(page).count()).toBe(2);
		expect(await rows(page).first().textContent()).toContain('匿名');
		expect(await rows(page).first().textContent()).toContain('緊急');
		expect(await rows(page).nth(1).getByTestId('delivery').textContent()).toBe('未送信');
		await expectAccessible(page, expect);

		await tablet.setOffline(false);
		await expect.poll(async () => (await rows(page).getByTestId('delivery').allTextContents()).join(','), { timeout: 30_000 }).toBe('送信済み,送信済み');
		await expectAccessible(page, expect);
	});

	it('corrects a record: its fields come back, the note stays unless rewritten', async () => {
		const normal = rows(page).filter({ hasText: '睡眠' });
		await normal.getByRole('button', { name: /^訂正/ }).click();
		await page.getByRole('heading', { name: '相談記録の訂正' }).waitFor();
		await page.getByText('送信済みのメモは端末では表示できません', { exact: false }).waitFor();
		expect(await page.getByRole('textbox', { name: /^メモ/ }).inputValue()).toBe('');
		expect(await page.getByRole('checkbox', { name: '睡眠' }).isChecked()).toBe(true);
		expect(await page.getByLabel('相談時間（分）').inputValue()).toBe('10');
		await page.getByRole('button', { name: '15分' }).click();
		await page.getByRole('button', { name: '訂正を保存' }).click();
		await page.getByText('相談記録を保存しました。').waitFor();
		await expect.poll(() => normal.textContent()).toContain('15分');
		expect(await rows(page).count()).toBe(2);
		await expect.poll(async () => (await rows(page).getByTestId('delivery').allTextContents()).join(','), { timeout: 30_000 }).toBe('送信済み,送信済み');
	});
});
