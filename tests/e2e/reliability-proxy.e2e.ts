/**
 * A hostile network between a kiosk tablet and the centre: the built server with demo data behind
 * a proxy (tests/e2e/fault-proxy.ts) through which the tablet loads the app and syncs. Staff enroll
 * the tablet and open today's session; then, while the proxy drops, cuts after the centre acted,
 * duplicates, delays, delivers late, or answers 500 to every sync request (a seeded shuffle of
 * those, and passes, in every run of eight), families keep checking in at the kiosk with their
 * card numbers (typed at the kiosk), some say a second adult came, some take the check-in back
 * with まちがえた. Then the network heals, staff press 今すぐ同期, and:
 *
 * - the tablet has nothing left to send and nothing refused;
 * - the centre holds exactly what the tablet holds: the same visits (and the session) by id, each at
 *   the same version (stamp, deletion, data); nothing missing, nothing twice;
 * - staff's count of today's visits is what happened at the kiosk.
 *
 * HIROBA_SEED picks the faults; HIROBA_SOAK=1 (npm run soak) runs five seeds instead of one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCardCode } from '../../src/lib/domain/card-code';
import { mulberry32 } from '../../src/lib/domain/prng';
import { makePlace, startServer, type Place, type RunningServer } from '../server-process';
import { enrollOnStaffFace, launchTablet } from './browser';
import { makeEmptyCameraVideo } from './fake-camera';
import { answerJson, FAULTS, startFaultProxy, type Fault, type FaultProxy } from './fault-proxy';
import { centreRowsOf, pushedCount, sortRows, type StampedRow } from './reliability';

const SOAK = !!process.env.HIROBA_SOAK;
const CHECK_INS = 16;
const FIRST_SEED = Number(process.env.HIROBA_SEED ?? 20261201);
/** One seed; five in a soak, each on a server and tablet of its own. */
const SEEDS = Array.from({ length: SOAK ? 5 : 1 }, (_, k) => FIRST_SEED + k);

/** What the tablet's IndexedDB holds: its device, the rows it stamped, and its outbox. */
async function tabletState(page: Page): Promise<{ deviceId: string; rows: StampedRow[]; outbox: number }> {
	return page.evaluate(async () => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const req = indexedDB.open('hiroba');
			req.onsuccess = () => resolve(req.result);
			req.onerror = () => reject(req.error);
		});
		const all = <T>(store: string) =>
			new Promise<T[]>((resolve, reject) => {
				const req = db.transaction(store, 'readonly').objectStore(store).getAll();
				req.onsuccess = () => resolve(req.result as T[]);
				req.onerror = () => reject(req.error);
			});
		try {
			const meta = await all<{ key: string; value: unknown }>('meta');
			const deviceId = (meta.find((m) => m.key === 'device')!.value as { deviceId: string }).deviceId;
			const node = `:${deviceId.replace(/-/g, '')}`;
			const rows: StampedRow[] = [];
			for (const table of ['sessions', 'visits'] as const) {
				for (const { id, hlc, deleted, ...data } of await all<{ id: string; hlc: string; deleted: boolean }>(table)) {
					if (hlc.endsWith(node)) rows.push({ table, id, hlc, deleted, data });
				}
			}
			return { deviceId, rows, outbox: (await all('outbox')).length };
		} finally {
			db.close();
		}
	});
}

async function unlockStaff(page: Page) {
	await page.getByRole('button', { name: '相談員 山田' }).click();
	for (const d of '482193') await page.getByRole('button', { name: d, exact: true }).click();
	await page.getByRole('button', { name: 'OK' }).click();
}

/** Every run of eight sync requests meets each fault once, and passes twice, in a seeded order. */
function faultPlan(random: () => number): () => Fault {
	let run: Fault[] = [];
	return () => {
		if (run.length === 0) {
			run = ['pass', ...FAULTS];
			for (let i = run.length - 1; i > 0; i--) {
				const j = Math.floor(random() * (i + 1));
				[run[i], run[j]] = [run[j]!, run[i]!];
			}
		}
		return run.pop()!;
	};
}

describe.each(SEEDS)('a kiosk tablet checking families in through a network that drops, cuts, repeats and delays (seed %i)', (SEED) => {
	let place: Place;
	let server: RunningServer;
	let proxy: FaultProxy;
	let work: string;
	let tablet: BrowserContext;
	let page: Page;
	let cards: string[] = [];
	/** What happened at the kiosk: the cards of the families checked in, and of each check-in taken back. */
	const checkedIn: string[] = [];
	const takenBack: string[] = [];
	const pageErrors: string[] = [];
	/** How many times the centre answered `applied` to each version (id and stamp) pushed to it. */
	const applied = new Map<string, number>();

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		work = mkdtempSync(join(tmpdir(), 'hiroba-proxy-e2e-'));
		[server, tablet] = await Promise.all([
			startServer({ dataDir: place.dataDir, timeoutMs: 180_000 }),
			launchTablet(join(work, 'profile'), makeEmptyCameraVideo(work))
		]);
		proxy = await startFaultProxy(server.url, { random: mulberry32(SEED + 7) });
		// Every version the centre said it applied, from every push that reached it, answered or not.
		proxy.onExchange = (r, a) => {
			if (r.kind !== 'push' || a.status !== 200) return;
			const sent = (JSON.parse(r.body.toString()) as { changes: Array<{ id: string; hlc: string }> }).changes;
			const results = answerJson<{ results: Array<{ status: string }> }>(a).results;
			results.forEach((x, k) => {
				if (x.status !== 'applied') return;
				const key = `${sent[k]!.id} ${sent[k]!.hlc}`;
				applied.set(key, (applied.get(key) ?? 0) + 1);
			});
		};
		page = tablet.pages()[0] ?? (await tablet.newPage());
		page.on('pageerror', (e) => pageErrors.push(e.message));
	}, 240_000);
	afterAll(async () => {
		await tablet?.close();
		await proxy?.close();
		await server?.stop();
		await place?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it('staff enroll the tablet through the proxy, open today’s session and start the kiosk', async () => {
		await page.goto(`${proxy.url}/kiosk`);
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await page.waitForURL(`${proxy.url}/staff`);
		await enrollOnStaffFace(page, server.enrollmentCode!, '受付 (試験)');
		// The site's families, as the first pull brought them: those whose kiosk speaks Japanese.
		cards = await page.evaluate(async () => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const req = indexedDB.open('hiroba');
				req.onsuccess = () => resolve(req.result);
				req.onerror = () => reject(req.error);
			});
			try {
				const rows = await new Promise<Array<{ cardCode: string; language: string; deleted: boolean }>>((resolve, reject) => {
					const req = db.transaction('households', 'readonly').objectStore('households').getAll();
					req.onsuccess = () => resolve(req.result);
					req.onerror = () => reject(req.error);
				});
				return rows.filter((h) => !h.deleted && h.language === 'ja').map((h) => h.cardCode);
			} finally {
				db.close();
			}
		});
		console.log(`[reliability-proxy] ${cards.length} families at the site`);
		// Enough for every check-in that stays (a family taken back comes round again).
		expect(cards.length).toBeGreaterThanOrEqual(CHECK_INS - Math.floor(CHECK_INS / 4));

		// From here on, every sync request meets the faults.
		const plan = faultPlan(mulberry32(SEED));
		proxy.decide = () => plan();
		await unlockStaff(page);
		await page.getByRole('heading', { name: '今日の開催' }).waitFor();
		await page.getByRole('button', { name: '開始する' }).first().click();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await page.waitForURL(`${proxy.url}/kiosk`);
	});

	it(`checks families in ${CHECK_INS} times meanwhile, with second adults and take-backs`, async () => {
		const box = page.getByTestId('confirmation');
		// A family whose check-in was taken back may check in again, later.
		const queue = [...cards];
		for (let i = 0; i < CHECK_INS; i++) {
			const card = queue.shift()!;
			await page.getByRole('button', { name: 'カード番号を入力' }).click();
			await page.getByLabel('カード番号（17文字）').fill(formatCardCode(card));
			await page.getByRole('button', { name: '受付する' }).click();
			await expect.poll(() => box.textContent(), { timeout: 15_000 }).toContain('受付しました');
			if (i % 4 === 1) {
				const people = await box.getByTestId('confirm-people').textContent();
				await box.getByRole('button', { name: 'おとな ふやす' }).click();
				await expect.poll(() => box.getByTestId('confirm-people').textContent()).not.toBe(people);
				checkedIn.push(card);
			} else if (i % 4 === 3) {
				await box.getByRole('button', { name: 'まちがえた' }).click();
				await expect.poll(() => box.textContent()).toContain('受付を取り消しました');
				takenBack.push(card);
				queue.push(card);
			} else {
				checkedIn.push(card);
			}
			await box.getByRole('button', { name: 'とじる' }).click();
			await box.waitFor({ state: 'detached' });
		}
		// The network did misbehave for the pushes that carried these.
		const pushFaults = new Set(proxy.log.filter((l) => l.kind === 'push').map((l) => l.fault));
		expect(proxy.log.filter((l) => l.fault !== 'pass').length).toBeGreaterThan(0);
		console.log(`[reliability-proxy] seed ${SEED}: ${proxy.log.length} sync requests, faults on pushes: ${[...pushFaults].join(', ')}`);
	});

	it('once the network heals and staff sync, the centre has exactly what the tablet recorded', async () => {
		proxy.decide = null;
		// Late deliveries still on their way land first.
		await proxy.idle();
		await page.getByRole('button', { name: 'スタッフ' }).click();
		await unlockStaff(page);
		await page.waitForURL(`${proxy.url}/staff`);
		await page.getByRole('heading', { name: '本日の来場' }).waitFor();
		await page.getByRole('button', { name: '今すぐ同期' }).first().click();
		await expect.poll(() => page.getByTestId('sync-pending').first().textContent(), { timeout: 60_000 }).toBe('0件');
		expect(await page.getByText(/スタッフが確認してください/).count()).toBe(0);
		await expect.poll(() => page.getByTestId('count-visits').textContent()).toBe(String(checkedIn.length));

		const mine = await tabletState(page);
		expect(mine.outbox).toBe(0);
		const visits = mine.rows.filter((r) => r.table === 'visits');
		expect(
			visits
				.filter((v) => !v.deleted)
				.map((v) => v.data.cardCode as string)
				.sort()
		).toEqual([...checkedIn].sort());
		expect(
			visits
				.filter((v) => v.deleted)
				.map((v) => v.data.cardCode as string)
				.sort()
		).toEqual([...takenBack].sort());

		expect(await server.stop()).toBe(0);
		const store = await place.open();
		try {
			const atCentre = await centreRowsOf(store, mine.deviceId);
			const tabletRows = sortRows(mine.rows);
			expect(atCentre.map((r) => `${r.table}:${r.id}`)).toEqual(tabletRows.map((r) => `${r.table}:${r.id}`));
			expect(atCentre).toEqual(tabletRows);
			// Nothing twice: one visit per family at the session at the centre, whoever stamped it.
			const sessionId = visits[0]!.data.sessionId as string;
			const r = await store.query<{ card: string; n: number }>(
				'select card_code as card, count(*)::int as n from visits where session_id = $1 and not deleted group by card_code having count(*) > 1',
				[sessionId]
			);
			expect(r.rows).toEqual([]);
			// Nothing taken twice: however often a push reached the centre, each version was applied once,
			// and the centre's count of what this device pushed is exactly that.
			expect([...applied].filter(([, n]) => n > 1)).toEqual([]);
			expect(await pushedCount(store, mine.deviceId)).toBe(applied.size);
			// The final version of each record is among them (the tablet's last write was taken as sent).
			for (const row of tabletRows) expect(applied.has(`${row.id} ${row.hlc}`), `${row.table} ${row.id}`).toBe(true);
		} finally {
			await store.close();
		}
		expect(pageErrors).toEqual([]);
		const counts: Record<string, number> = {};
		for (const l of proxy.log) counts[`${l.kind} ${l.fault}`] = (counts[`${l.kind} ${l.fault}`] ?? 0) + 1;
		console.log(`[reliability-proxy] seed ${SEED}: ${JSON.stringify(counts)}`);
	});
});
