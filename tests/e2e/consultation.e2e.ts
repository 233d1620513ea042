/**
 * The consultation log on the staff face, end to end, on the built server with demo data: a
 * 相談員 unlocks, records a consultation from a family on today's list, reloads mid-draft and
 * resumes it, is told what is missing (and nothing is saved), saves with the network off and sees
 * 未送信 (an urgent one first), and 送信済み once the network returns; a record is corrected with its
 * note left as it was. The form and the list pass axe and the 44 px rule. Then at the centre a
 * coordinator finds the consultations, opens one (the opening is audited) with its revisions, and
 * works the urgent referral's case to closed; and neither the tablet's IndexedDB (read raw, and its
 * files on disk) nor the centre's database holds a note in clear.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCardCode } from '../../src/lib/domain/card-code';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from '../server-process';
import { enrollOnStaffFace, expectAccessible, launch, launchTablet, newContext, signInAtCentre } from './browser';
import { makeEmptyCameraVideo } from './fake-camera';
import { enrollProbe, households } from './probe';

const NOTE = '夜泣きが続いている。母が眠れていない。';
const FOLLOW_UP_NOTE = '今週中に連絡';

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Whether any of these files holds `text` in UTF-8 or UTF-16 (how V8 serialises a two-byte string). */
function filesHold(files: string[], text: string): string[] {
	const forms = [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')];
	return files.filter((f) => statSync(f).isFile() && forms.some((b) => readFileSync(f).includes(b)));
}

/** The card codes of the families a device at this site holds. */
async function siteCards(server: RunningServer, dataDir: string, siteId: string): Promise<string[]> {
	return (await households(server, await enrollProbe(server, dataDir, siteId))).map((h) => h.cardCode);
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
	expect(await box.textContent()).toMatch(/受付しました|checked in|签到成功|접수되었습니다|Đã tiếp nhận|Bạn đã làm thủ tục/);
	await box.locator('button.close').click();
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
		place = await makePlace('pglite', { from: 'demo' });
		server = await startServer({ dataDir: place.dataDir });
		work = mkdtempSync(join(tmpdir(), 'hiroba-consult-e2e-'));
		siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)![1]!;
		const sites = (await runAdmin(['sites', '--json'], { dataDir: place.dataDir })).json<{ sites: Array<{ id: string; nameJa: string }> }>().sites;
		cards = await siteCards(server, place.dataDir, sites.find((s) => s.nameJa === siteName)!.id);
		expect(cards.length).toBeGreaterThanOrEqual(2);
		tablet = await launchTablet(join(work, 'profile'), makeEmptyCameraVideo(work));
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
		await enrollOnStaffFace(page, server.enrollmentCode!, `${siteName} 相談`);
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

	it('holds no note in clear in the tablet’s IndexedDB, read raw and on disk', async () => {
		const dump = await page.evaluate(async () => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const req = indexedDB.open('hiroba');
				req.onsuccess = () => resolve(req.result);
				req.onerror = () => reject(req.error);
			});
			const out: string[] = [];
			const walk = (v: unknown): void => {
				if (typeof v === 'string') out.push(v);
				else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
					const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
					out.push(new TextDecoder().decode(bytes));
				} else if (Array.isArray(v)) v.forEach(walk);
				else if (v && typeof v === 'object' && !(v instanceof CryptoKey)) Object.entries(v).forEach(walk);
			};
			const stores = Array.from(db.objectStoreNames);
			for (const name of stores) {
				walk(
					await new Promise((resolve, reject) => {
						const req = db.transaction(name, 'readonly').objectStore(name).getAll();
						req.onsuccess = () => resolve(req.result);
						req.onerror = () => reject(req.error);
					})
				);
			}
			db.close();
			return { text: out.join('\n'), stores };
		});
		expect(dump.stores).toEqual(expect.arrayContaining(['consultations', 'drafts', 'outbox']));
		// The records are there (topics and all), their text is not.
		expect(dump.text).toContain('sleep');
		for (const secret of [NOTE, '夜泣き', FOLLOW_UP_NOTE]) expect(dump.text).not.toContain(secret);
		// Nor in the files Chromium keeps the database in.
		const idbFiles = filesUnder(join(work, 'profile', 'Default', 'IndexedDB'));
		expect(idbFiles.length).toBeGreaterThan(0);
		for (const secret of [NOTE, '夜泣き', FOLLOW_UP_NOTE]) expect(filesHold(idbFiles, secret)).toEqual([]);
	});

	it('at the centre: a coordinator finds both, opens one with its revisions, and closes the urgent case', async () => {
		const browser = await launch();
		try {
			const ctx = await newContext(browser);
			const centre = await ctx.newPage();
			await signInAtCentre(centre, server);

			const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(new Date());
			await centre.goto(`${server.url}/centre/consultations?from=${today}&to=${today}`);
			const table = centre.getByRole('table');
			await table.waitFor();
			await expectAccessible(centre, expect);
			// Today's two from this tablet (the demo's own are from earlier days).
			expect(await table.locator('tbody tr').count()).toBe(2);
			// Both as an Excel workbook: two rows below the header, today's date as a date cell, no note.
			const [download] = await Promise.all([centre.waitForEvent('download'), centre.getByRole('link', { name: 'Excelで書き出す' }).click()]);
			expect(download.suggestedFilename()).toBe(`相談記録-${today}.xlsx`);
			const book = new ExcelJS.Workbook();
			await book.xlsx.readFile((await download.path())!);
			const sheet = book.worksheets[0]!;
			expect(sheet.getRow(3).getCell(2).value).toBe('開催日');
			expect([sheet.getRow(4).getCell(2).value, sheet.getRow(5).getCell(2).value]).toEqual([new Date(`${today}T00:00:00Z`), new Date(`${today}T00:00:00Z`)]);
			expect(sheet.rowCount).toBe(5);
			const cells = JSON.stringify(sheet.getSheetValues());
			for (const secret of [NOTE, FOLLOW_UP_NOTE]) expect(cells).not.toContain(secret);

			// The corrected one: its note opens, with both revisions.
			await table.locator('tbody tr', { hasText: '睡眠' }).getByRole('link').first().click();
			await centre.getByText(NOTE).first().waitFor();
			expect(await centre.getByText('メモの変更なし').count()).toBe(1);
			await expectAccessible(centre, expect);

			// Urgent cases are on top of the follow-up queue.
			await centre.goto(`${server.url}/centre/followups`);
			expect(await centre.locator('tbody tr').first().textContent()).toContain('緊急');
			await expectAccessible(centre, expect);
			// The tablet's urgent referral, from today's list, is worked to closed.
			await centre.goto(`${server.url}/centre/consultations?from=${today}&to=${today}&urgency=urgent`);
			await centre.locator('tbody tr a[href^="/centre/consultations/"]').click();
			// Its follow-up note opens on the consultation's page, which leads to the case.
			await centre.getByText(FOLLOW_UP_NOTE).first().waitFor();
			await centre.locator('a[href^="/centre/followups/"]').first().click();
			await centre.getByRole('heading', { name: /フォローアップのケース/ }).waitFor();
			await centre.getByLabel('状態').selectOption('in_progress');
			await centre.getByRole('button', { name: '更新する' }).click();
			await expect.poll(() => centre.getByRole('heading', { level: 1 }).textContent()).toContain('対応中');
			await centre.getByLabel('状態').selectOption('closed');
			await centre.getByLabel('コメント（任意・500文字まで）').fill('保護者に電話し、来週の面談を約束した。');
			await centre.getByRole('button', { name: '更新する' }).click();
			await expect.poll(() => centre.getByRole('heading', { level: 1 }).textContent()).toContain('完了');
			await centre.getByText('保護者に電話し、来週の面談を約束した。').waitFor();
			await expectAccessible(centre, expect);
			await ctx.close();
		} finally {
			await browser.close();
		}
	});

	it('the centre’s database holds no note in clear, and audited each opening', async () => {
		expect(await server.stop()).toBe(0);
		const store = await place.open();
		try {
			const tables = (await store.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = current_schema()`)).rows.map((r) => r.t);
			expect(tables).toEqual(expect.arrayContaining(['consultations', 'consultation_revisions', 'followup_events', 'audit_log']));
			for (const t of tables) {
				const dump = (await store.query<{ x: string | null }>(`select string_agg(to_jsonb(r)::text, ' ') as x from "${t}" r`)).rows[0]!.x ?? '';
				for (const secret of [NOTE, '夜泣きが続いている', FOLLOW_UP_NOTE, '来週の面談を約束']) expect(dump, `${t} holds "${secret}"`).not.toContain(secret);
			}
			const opened = await store.query<{ actor: string; subject: string }>(
				`select a.actor, a.subject from audit_log a where a.action = 'consultation.open' and a.subject in (select id::text from consultations where data->>'topics' like '%sleep%' and (data->>'durationMin')::int = 15)`
			);
			expect(opened.rows.length).toBeGreaterThanOrEqual(1);
			const coordinator = await store.query<{ id: string }>(`select id::text from staff where login_name = 'coordinator1'`);
			expect(opened.rows[0]!.actor).toBe(`staff:${coordinator.rows[0]!.id}`);
			const caseOpened = await store.query(`select 1 from audit_log where action = 'followup.open' and actor = $1`, [`staff:${coordinator.rows[0]!.id}`]);
			expect(caseOpened.rows.length).toBeGreaterThanOrEqual(1);
			const closed = await store.query<{ status: string }>(
				`select f.status from followup_cases f join consultations c on c.id = f.consultation_id where c.urgency = 'urgent' and c.origin_device is not null`
			);
			expect(closed.rows).toEqual([{ status: 'closed' }]);
		} finally {
			await store.close();
		}
	});
});
