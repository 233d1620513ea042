/**
 * What the reliability journeys (reliability-*.e2e.ts) compare: the rows a tablet stamped, as the
 * centre's store holds them, and the count of visits the centre's overview shows for a session.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { deviceNode } from '../../src/lib/domain/hlc';
import type { Store } from '../../src/lib/server/db/store';

export interface StampedRow {
	table: 'sessions' | 'visits';
	id: string;
	hlc: string;
	deleted: boolean;
	data: Record<string, unknown>;
}

const byKey = (a: StampedRow, b: StampedRow) => `${a.table}:${a.id}`.localeCompare(`${b.table}:${b.id}`);

/** Every session and visit at the centre whose current version this device stamped, in a stable order. */
export async function centreRowsOf(store: Store, deviceId: string): Promise<StampedRow[]> {
	const out: StampedRow[] = [];
	for (const table of ['sessions', 'visits'] as const) {
		const r = await store.query<{ id: string; hlc: string; deleted: boolean; data: Record<string, unknown> }>(
			`select id::text, hlc, deleted, data from ${table} where hlc like $1`,
			[`%:${deviceNode(deviceId)}`]
		);
		out.push(...r.rows.map((row) => ({ table, ...row })));
	}
	return out.sort(byKey);
}

export function sortRows(rows: StampedRow[]): StampedRow[] {
	return [...rows].sort(byKey);
}

/** Visits at the centre in a session, counted by id and by what they record (family and check-in time). */
export async function centreVisitCounts(store: Store, sessionId: string): Promise<{ rows: number; ids: number; distinctCheckIns: number }> {
	const r = await store.query<{ rows: number; ids: number; distinct: number }>(
		`select count(*)::int as rows, count(distinct id)::int as ids,
		        count(distinct coalesce(household_id::text, '') || '|' || (data->>'checkedInAt'))::int as distinct
		 from visits where session_id = $1 and not deleted`,
		[sessionId]
	);
	const row = r.rows[0]!;
	return { rows: row.rows, ids: row.ids, distinctCheckIns: row.distinct };
}

/** How many times the centre counts pushed changes as applied for this device (its devices page shows it). */
export async function pushedCount(store: Store, deviceId: string): Promise<number> {
	const r = await store.query<{ n: number }>('select pushed_count::int as n from devices where id = $1', [deviceId]);
	return r.rows[0]!.n;
}

/**
 * The 来場 count a coordinator sees for the site's session today on the centre's overview (signed
 * in as the demo's coordinator, in a context of its own).
 */
export async function overviewVisits(browser: Browser | BrowserContext, centreUrl: string, siteName: string): Promise<number> {
	const context = 'newContext' in browser ? await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' }) : browser;
	const page = await context.newPage();
	try {
		await page.goto(`${centreUrl}/centre`);
		// Cookies do not tell ports apart: a sign-in at an earlier server on this host may still hold.
		if (new URL(page.url()).pathname === '/centre/login') {
			await page.getByLabel('ログインID').fill('coordinator1');
			await page.getByLabel('パスワード').fill('hiroba-demo-1');
			await page.getByRole('button', { name: 'ログイン' }).click();
			await page.waitForURL(`${centreUrl}/centre`);
		}
		const today = page.locator('section[aria-labelledby="today"]');
		const rows = today.getByRole('row').filter({ hasText: siteName });
		const count = await rows.count();
		if (count !== 1) throw new Error(`${count} rows for ${siteName} in today's sessions`);
		return Number(await rows.getByRole('cell').nth(4).textContent());
	} finally {
		await page.close();
		if (context !== browser) await context.close();
	}
}
