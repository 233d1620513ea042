/**
 * The monthly 事業実績 report's page and its exports through their real handlers: who may reach
 * them, which sites each reader's report counts, what a bad choice answers, and what each export
 * holds and leaves in the audit log. The counts themselves are tested in reports/monthly.spec.ts;
 * here, the consultation log (tests/consultation-log.ts) with one registration in April at 若葉
 * and one walk-in in May at 桜台.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import ExcelJS from 'exceljs';
import { addMonths, tokyoDate } from '$lib/domain/dates';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import * as monthly from './(app)/reports/monthly/+page.server';
import * as exporter from './(app)/reports/monthly/export/+server';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

describe.each(testStores())('the monthly report at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { a: string; coordinator: string };
	let programs: { niko: string; ohisama: string };

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		await store.transaction(async (tx) => {
			// April's session at 若葉 and May's at 桜台 were held.
			await writeCentreRecords(tx, 'sessions', [
				{ id: log.sessions.apr, data: f.session(log.sites.wakaba, { date: '2026-04-10', status: 'closed' }) },
				{ id: log.sessions.may, data: f.session(log.sites.sakura, { date: '2026-05-15', status: 'closed' }) }
			]);
			const h = f.household({ registeredSiteId: log.sites.wakaba, consentDate: '2026-04-10' });
			const [H] = await writeCentreRecords(tx, 'households', [{ data: h }]);
			const [K] = await writeCentreRecords(tx, 'children', [{ data: f.child(H!, { birthYm: '2025-06' }) }]); // 0歳 in April 2026
			await writeCentreRecords(tx, 'visits', [
				{ data: f.visit(log.sessions.apr, { householdId: H!, cardCode: h.cardCode, childIds: [K!], adults: 2, method: 'registration' }) },
				{
					data: f.visit(log.sessions.may, {
						householdId: null,
						cardCode: null,
						childIds: [],
						walkInChildren: { age0: 0, age1: 0, age2: 1, age3plus: 0, school: 0 },
						adults: 1,
						method: 'walkin'
					})
				}
			]);
		});
		const p = await store.query<{ code: string; id: string }>(`select data->>'code' as code, id::text from programs`);
		programs = { niko: p.rows.find((r) => r.code === 'nikoniko')!.id, ohisama: p.rows.find((r) => r.code === 'ohisama')!.id };
		tokens = { a: await signedIn(store, log.staff.a), coordinator: await signedIn(store, log.staff.coordinator) };
	});

	const page = async (query: string, token: string) => ((await call(monthly.load, centreEvent(`/centre/reports/monthly${query}`, { token }))) as any).value;
	const download = (query: string, token?: string) => call(exporter.GET, centreEvent(`/centre/reports/monthly/export${query}`, { token }));
	const audits = async () =>
		(await store.query<{ actor: string; detail: any }>(`select actor, detail from audit_log where action = 'report.export' order by id`)).rows;
	const rowsOf = (report: any) =>
		Object.fromEntries([...report.sites, report.total].map((r: any) => [r.label, [r.daysHeld, r.adults, r.children, r.households, r.newHouseholds]]));

	it('sends a signed-out visitor of the page and the export to the sign-in page, with no data', async () => {
		for (const o of [
			await call(monthly.load, centreEvent(`/centre/reports/monthly?program=${programs.niko}&month=2026-04`)),
			await download(`?program=${programs.niko}&month=2026-04&format=csv`)
		]) {
			expect(o.kind).toBe('redirect');
			expect((o as { location: string }).location).toMatch(/^\/centre\/login\?next=%2Fcentre%2Freports%2Fmonthly/);
		}
		expect(await audits()).toEqual([]);
	});

	it('shows a coordinator every site of the program, and the previous month of the first program by default', async () => {
		const d = await page('', tokens.coordinator);
		expect(d.error).toBeNull();
		expect(d.programs.map((p: any) => p.name)).toEqual(['おひさまぴよぴよ', 'にこにこ']);
		expect(d.selected).toEqual({ program: programs.ohisama, month: addMonths(tokyoDate(), -1).slice(0, 7) });
		expect(d.report.program.name).toBe('おひさまぴよぴよ');

		const apr = await page(`?program=${programs.niko}&month=2026-04`, tokens.coordinator);
		expect(apr.title).toBe('令和8年4月分 事業実績報告書');
		// 若葉: held once; the registering family (2 adults, a 0歳 child), new that month.
		// Columns: days held, 延べ adults, 延べ children, 実 households, new registrations.
		expect(rowsOf(apr.report)).toEqual({ 若葉児童館: [1, 2, 1, 1, 1], 桜台児童館: [0, 0, 0, 0, 0], 合計: [1, 2, 1, 1, 1] });
		expect(apr.report.total.byBand).toMatchObject({ age0: 1 });
		// c1 and c2 at 若葉, c2 referred on.
		expect(apr.report.consultations).toMatchObject({ total: 2, referrals: 1 });
		const may = await page(`?program=${programs.niko}&month=2026-05`, tokens.coordinator);
		// 桜台: the walk-in group (one adult, a 2歳 child) counts as one household.
		expect(rowsOf(may.report)).toEqual({ 若葉児童館: [0, 0, 0, 0, 0], 桜台児童館: [1, 1, 1, 1, 0], 合計: [1, 1, 1, 1, 0] });
		expect(may.report.consultations.total).toBe(1);
	});

	it('shows a consultant only the sites on their roster, in the rows and the 合計, and no other program', async () => {
		const may = await page(`?program=${programs.niko}&month=2026-05`, tokens.a);
		expect(may.programs.map((p: any) => p.name)).toEqual(['にこにこ']);
		expect(rowsOf(may.report)).toEqual({ 若葉児童館: [0, 0, 0, 0, 0], 合計: [0, 0, 0, 0, 0] });
		expect(may.report.consultations.total).toBe(0);
		expect(may.report.scoped).toBe(true);
		const other = await page(`?program=${programs.ohisama}&month=2026-05`, tokens.a);
		expect(other).toMatchObject({ error: '事業の指定が正しくありません', report: null, title: null });
	});

	it('answers a bad program or month in Japanese, never with an error page, and shows no data', async () => {
		const cases: Array<[string, string]> = [
			['?month=2026-13', '対象月は 2026-11 の形で指定してください'],
			['?month=abc&program=x', '事業の指定が正しくありません。対象月は 2026-11 の形で指定してください'],
			[`?program=${f.id()}`, '事業の指定が正しくありません'],
			['?month=2100-01', `対象月は2000年1月から今月（${tokyoDate().slice(0, 4)}年${Number(tokyoDate().slice(5, 7))}月）までで指定してください`],
			['?month=1999-12', `対象月は2000年1月から今月（${tokyoDate().slice(0, 4)}年${Number(tokyoDate().slice(5, 7))}月）までで指定してください`]
		];
		for (const [query, message] of cases) {
			const o = await call(monthly.load, centreEvent(`/centre/reports/monthly${query}`, { token: tokens.coordinator }));
			expect(o.kind, query).toBe('ok');
			expect((o as any).value, query).toMatchObject({ error: message, report: null });
		}
	});

	it('exports the site table and the consultation counts as CSV and .xlsx, within the reader’s sites, and audits each', async () => {
		const q = `?program=${programs.niko}&month=2026-04`;
		const csv = (await download(`${q}&table=sites&format=csv`, tokens.coordinator)) as any;
		const res = csv.value as Response;
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(res.headers.get('content-disposition')).toContain(encodeURIComponent('事業実績報告書-にこにこ-2026-04-会場別実績.csv'));
		const bytes = new Uint8Array(await res.arrayBuffer());
		expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const lines = new TextDecoder().decode(bytes.slice(3)).trimEnd().split('\r\n');
		expect(lines[0]).toMatch(/^"会場","開催日数","中止日数","延べ 保護者","延べ 子ども","実 世帯","実 子ども","子ども（延べ） 0歳",/);
		expect(lines.slice(1).sort()).toEqual(
			[
				'"若葉児童館","1","0","2","1","1","1","1","0","0","0","0","1"',
				'"桜台児童館","0","0","0","0","0","0","0","0","0","0","0","0"',
				'"合計","1","0","2","1","1","1","1","0","0","0","0","1"'
			].sort()
		);

		const xlsx = (await download(`${q}&table=consultations&format=xlsx`, tokens.coordinator)) as any;
		const book = new ExcelJS.Workbook();
		await book.xlsx.load(await (xlsx.value as Response).arrayBuffer());
		const sheet = book.worksheets[0]!;
		expect(sheet.name).toBe('相談件数');
		expect(sheet.getCell(1, 1).value).toBe('令和8年4月分 事業実績報告書（にこにこ） 相談件数');
		expect([1, 2, 3].map((c) => sheet.getRow(3).getCell(c).value)).toEqual(['区分', '項目', '件数']);
		expect([1, 2, 3].map((c) => sheet.getRow(4).getCell(c).value)).toEqual(['相談件数', '合計', 2]);
		const referred = sheet.getRows(4, sheet.rowCount - 3)!.find((r) => r.getCell(2).value === 'つなぎ 計')!;
		expect(referred.getCell(3).value).toBe(1);

		// A consultant's export holds their own site only.
		const mine = (await download(`?program=${programs.niko}&month=2026-05&table=sites&format=csv`, tokens.a)) as any;
		expect(
			(await (mine.value as Response).text())
				.trimEnd()
				.split('\r\n')
				.map((l) => l.split(',')[0])
		).toEqual(['"会場"', '"若葉児童館"', '"合計"']);

		expect(await audits()).toEqual([
			{
				actor: `staff:${log.staff.coordinator}`,
				detail: { report: 'monthly', program: programs.niko, month: '2026-04', table: 'sites', format: 'csv', rows: 3, scoped: false }
			},
			{
				actor: `staff:${log.staff.coordinator}`,
				detail: { report: 'monthly', program: programs.niko, month: '2026-04', table: 'consultations', format: 'xlsx', rows: 23, scoped: false }
			},
			{
				actor: `staff:${log.staff.a}`,
				detail: { report: 'monthly', program: programs.niko, month: '2026-05', table: 'sites', format: 'csv', rows: 2, scoped: true }
			}
		]);
	});

	it('refuses a bad export in Japanese with 400, exporting and auditing nothing', async () => {
		const cases: Array<[string, string]> = [
			['?format=pdf', '書き出しの形式は csv か xlsx で指定してください'],
			['?table=visits', '書き出す表の指定が正しくありません'],
			['?month=2026-13', '対象月は 2026-11 の形で指定してください'],
			[`?program=${programs.ohisama}`, '事業の指定が正しくありません']
		];
		for (const [query, message] of cases) {
			const o = (await download(query, tokens.a)) as any;
			expect(o.kind, query).toBe('ok');
			expect((o.value as Response).status, query).toBe(400);
			expect(await (o.value as Response).text(), query).toBe(message);
		}
		expect(await audits()).toEqual([]);
	});
});
