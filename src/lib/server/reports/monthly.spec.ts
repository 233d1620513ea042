/**
 * The monthly 事業実績 report against a small ward whose every number is counted by hand below:
 * a site with two sessions on one day, a rained-off day and a session never opened, a family that
 * comes to both sites of the program, a family from the other program, a walk-in, a deleted visit,
 * a deleted household, registrations in the month before and the month after, and consultations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import type { StaffUser } from '../auth/staff-sessions';
import { testStores } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import { tableToCsv } from './export';
import {
	chooseMonthly,
	consultationExportTable,
	exportMonthlyReport,
	monthlyReport,
	monthlyTitle,
	reportPrograms,
	siteExportTable,
	type ReportProgram
} from './monthly';

const TODAY = '2026-12-01';
const bands = (age0: number, age1: number, age2: number, age3plus: number, school: number, unknown = 0) => ({ age0, age1, age2, age3plus, school, unknown });

describe.each(testStores())('the monthly report on $name', (ts) => {
	let store: Store;
	const id = {
		niko: uuidv7(),
		ohisama: uuidv7(),
		A: uuidv7(),
		B: uuidv7(),
		C: uuidv7(),
		staffB: uuidv7(),
		coordinator: uuidv7(),
		s: {} as Record<string, string>
	};
	const niko: ReportProgram = { id: id.niko, name: 'にこにこ' };
	const ohisama: ReportProgram = { id: id.ohisama, name: 'おひさまぴよぴよ' };

	beforeAll(async () => {
		store = await ts.open();
		await store.transaction(async (tx) => {
			await writeCentreRecords(tx, 'programs', [
				{ id: id.niko, data: f.program({ code: 'nikoniko', nameJa: 'にこにこ', sort: 2 }) },
				{ id: id.ohisama, data: f.program({ code: 'ohisama', nameJa: 'おひさまぴよぴよ', outdoor: true, sort: 1 }) }
			]);
			await writeCentreRecords(tx, 'sites', [
				{ id: id.A, data: f.site(id.niko, { nameJa: 'A児童館' }) },
				{ id: id.B, data: f.site(id.niko, { nameJa: 'B児童館' }) },
				{ id: id.C, data: f.site(id.ohisama, { nameJa: 'C公園', outdoor: true }) }
			]);
			await writeCentreRecords(tx, 'staff', [
				{ id: id.staffB, data: f.staffMember({ displayName: '相談員 B', siteIds: [id.B] }) },
				{ id: id.coordinator, data: f.staffMember({ displayName: 'コーディネーター', role: 'coordinator' }) }
			]);
			const sessions: Array<[string, string, string, 'closed' | 'cancelled' | 'scheduled', string?]> = [
				['A0', id.A, '2026-10-28', 'closed'],
				['A1', id.A, '2026-11-04', 'closed'],
				['A2', id.A, '2026-11-11', 'closed'],
				['A3', id.A, '2026-11-18', 'cancelled'],
				['A4am', id.A, '2026-11-25', 'closed'],
				['A4pm', id.A, '2026-11-25', 'closed', '13:00'], // the same day: one 開催日
				['B1', id.B, '2026-11-05', 'closed'],
				['B2', id.B, '2026-11-12', 'cancelled'],
				['B3', id.B, '2026-11-19', 'scheduled'], // never opened
				['B4', id.B, '2026-12-03', 'scheduled'],
				['C1', id.C, '2026-11-10', 'closed']
			];
			for (const [name] of sessions) id.s[name] = uuidv7();
			await writeCentreRecords(
				tx,
				'sessions',
				sessions.map(([name, site, date, status, start]) => ({
					id: id.s[name],
					data: f.session(site, {
						date,
						status,
						startTime: start ?? '10:00',
						endTime: start ? '15:00' : '12:00',
						cancelReason: status === 'cancelled' ? 'rain' : null
					})
				}))
			);
			const reg = (site: string, date: string) => f.household({ registeredSiteId: site, consentDate: date });
			const h1 = reg(id.A, '2026-10-28');
			const h2 = reg(id.A, '2026-11-04');
			const h3 = reg(id.B, '2026-11-05');
			const h4 = reg(id.C, '2026-11-10');
			const [H1, H2, H3, H4] = await writeCentreRecords(tx, 'households', [
				{ data: h1 },
				{ data: h2 },
				{ data: h3 },
				{ data: h4 },
				{ data: reg(id.A, '2026-11-25'), deleted: true }, // removed: not a registration
				{ data: reg(id.B, '2026-12-01') } // next month
			]);
			const [K1, K2a, K2b, K3, K4] = await writeCentreRecords(tx, 'children', [
				{ data: f.child(H1!, { birthYm: '2024-03' }) }, // 2歳 in November 2026
				{ data: f.child(H2!, { birthYm: '2026-02' }) }, // 0歳
				{ data: f.child(H2!, { birthYm: '2019-05' }) }, // 就学児 since April 2026
				{ data: f.child(H3!, { birthYm: '2025-08' }) }, // 1歳
				{ data: f.child(H4!, { birthYm: '2022-01' }) } // 3歳以上・未就学
			]);
			const fam = (session: string, hid: string | null, card: string, childIds: string[], adults = 1, method: 'camera' | 'registration' = 'camera') => ({
				data: f.visit(id.s[session]!, { householdId: hid, cardCode: card, childIds, adults, method })
			});
			await writeCentreRecords(tx, 'visits', [
				// October: H1, with a child the centre has no record of (年齢不明).
				fam('A0', H1!, h1.cardCode, [K1!, uuidv7()]),
				fam('A1', H2!, h2.cardCode, [K2a!, K2b!], 2, 'registration'),
				fam('A2', H1!, h1.cardCode, [K1!]),
				{
					data: f.visit(id.s.A2!, {
						householdId: null,
						cardCode: null,
						childIds: [],
						walkInChildren: { age0: 0, age1: 1, age2: 0, age3plus: 0, school: 0 },
						adults: 1,
						method: 'walkin'
					})
				},
				fam('A4am', H1!, h1.cardCode, [K1!]),
				fam('A4am', H4!, h4.cardCode, [K4!]), // H4 registered at おひさま's C公園
				fam('A4pm', H2!, h2.cardCode, [K2a!]),
				fam('B1', H3!, h3.cardCode, [K3!], 1, 'registration'),
				fam('B1', null, h1.cardCode, [K1!]), // H1 at B too, known to that tablet by its card only
				{ ...fam('B1', H2!, h2.cardCode, [K2a!], 2), deleted: true },
				fam('C1', H4!, h4.cardCode, [K4!], 2, 'registration')
			]);
			const c = (session: string, staff: string, topics: string[], followUp: 'none' | 'next_time' | 'refer_health') =>
				f.consultation(id.s[session]!, staff, { topics, followUp, urgency: 'normal' });
			await writeCentreRecords(tx, 'consultations', [
				{ data: c('A0', id.coordinator, ['growth'], 'none') }, // October
				{ data: c('A2', id.coordinator, ['sleep', 'language'], 'refer_health') },
				{ data: c('B1', id.staffB, ['sleep'], 'none') },
				{ data: c('A4am', id.coordinator, ['feeding'], 'none'), deleted: true },
				{ data: c('C1', id.coordinator, ['play'], 'next_time') }
			]);
		});
	});
	afterAll(async () => {
		await store?.close();
		await ts.dispose();
	});

	const report = (program: ReportProgram, month: string, siteIds: string[] | null = null) => monthlyReport(store, { siteIds }, program, month, TODAY);

	it('counts November at にこにこ site by site, as counted by hand', async () => {
		const r = await report(niko, '2026-11');
		expect(r.from).toBe('2026-11-01');
		expect(r.to).toBe('2026-11-30');
		expect(r.sites.map((s) => s.label)).toEqual(['A児童館', 'B児童館']);
		const [a, b] = r.sites;
		// A: held 4, 11 and 25 November (two sessions on the 25th: one day); rained off on the 18th.
		// 延べ adults: A1 2, A2 1 + the walk-in's 1, A4am 1 + 1, A4pm 1 = 7. Children: A1 K2a (0歳) and
		// K2b (就学児); A2 K1 (2歳) and the walk-in's 1歳; A4am K1 and K4 (3歳以上); A4pm K2a = 7.
		// 実: H2, H1, H4 and the walk-in group = 4; K2a, K2b, K1, K4 and the walk-in child = 5.
		// Registered at A in November: H2 (H1 in October; the deleted household not at all).
		expect(a).toEqual({
			key: id.A,
			label: 'A児童館',
			daysHeld: 3,
			daysCancelled: 1,
			notOpened: 0,
			adults: 7,
			children: 7,
			byBand: bands(2, 1, 2, 1, 1),
			households: 4,
			distinctChildren: 5,
			newHouseholds: 1
		});
		// B: held the 5th, rained off the 12th, the 19th never opened (the 3 December is next month).
		// H3 (registered here) with K3 (1歳) and H1 by card with K1 (2歳); H2's visit was undone.
		expect(b).toEqual({
			key: id.B,
			label: 'B児童館',
			daysHeld: 1,
			daysCancelled: 1,
			notOpened: 1,
			adults: 2,
			children: 2,
			byBand: bands(0, 1, 1, 0, 0),
			households: 2,
			distinctChildren: 2,
			newHouseholds: 1
		});
		// 合計: days, 延べ and registrations add up; 実 does not: H1 came to both sites and counts once
		// (H1, H2, H3, H4 and the walk-in group = 5, not 6; K1 once: 6 children, not 7).
		expect(r.total).toEqual({
			key: 'total',
			label: '合計',
			daysHeld: 4,
			daysCancelled: 2,
			notOpened: 1,
			adults: 9,
			children: 9,
			byBand: bands(2, 2, 3, 1, 1),
			households: 5,
			distinctChildren: 6,
			newHouseholds: 2
		});
		expect(r.unknownBand).toBe(false);
		expect(r.scoped).toBe(false);
		// Consultations at A and B in November: sleep + language (referred to 保健相談所) and sleep;
		// October's and the deleted one are not counted, nor C公園's.
		const counted = (list: Array<{ label: string; n: number }>) => Object.fromEntries(list.filter((x) => x.n > 0).map((x) => [x.label, x.n]));
		expect(r.consultations.total).toBe(2);
		expect(counted(r.consultations.byTopic)).toEqual({ 睡眠: 2, ことば: 1 });
		expect(counted(r.consultations.byFollowUp)).toEqual({ なし: 1, 保健相談所へつなぐ: 1 });
		expect(r.consultations.referrals).toBe(1);
	});

	it('counts the other program and another month on their own', async () => {
		const o = await report(ohisama, '2026-11');
		expect(o.sites.map((s) => [s.label, s.daysHeld, s.adults, s.children, s.households, s.newHouseholds])).toEqual([['C公園', 1, 2, 1, 1, 1]]);
		expect(o.total.byBand).toEqual(bands(0, 0, 0, 1, 0));
		expect(o.consultations.total).toBe(1);
		// October at にこにこ: H1 with K1 and a child the centre does not know (年齢不明).
		const oct = await report(niko, '2026-10');
		expect(oct.sites.map((s) => [s.label, s.daysHeld, s.children, s.newHouseholds])).toEqual([
			['A児童館', 1, 2, 1],
			['B児童館', 0, 0, 0]
		]);
		expect(oct.total.byBand).toEqual(bands(0, 0, 1, 0, 0, 1));
		expect(oct.unknownBand).toBe(true);
		expect(siteExportTable(oct).columns.map((c) => c.header)).toContain('子ども（延べ） 年齢不明');
		expect(siteExportTable(await report(niko, '2026-11')).columns.map((c) => c.header)).not.toContain('子ども（延べ） 年齢不明');
	});

	it('counts only a consultant’s own sites, in the rows and in the 合計', async () => {
		const r = await report(niko, '2026-11', [id.B]);
		expect(r.sites.map((s) => s.label)).toEqual(['B児童館']);
		expect(r.total).toMatchObject({ daysHeld: 1, daysCancelled: 1, adults: 2, children: 2, households: 2, distinctChildren: 2, newHouseholds: 1 });
		expect(r.consultations.total).toBe(1);
		expect(r.scoped).toBe(true);
		expect(await reportPrograms(store, { siteIds: [id.B] })).toEqual([niko]);
	});

	it('chooses the previous month and the first program by default, and answers a bad choice in Japanese', async () => {
		const choose = (query: string, siteIds: string[] | null = null) => chooseMonthly(store, { siteIds }, new URLSearchParams(query), TODAY);
		expect(await choose('')).toEqual({ ok: true, programs: [ohisama, niko], program: ohisama, month: '2026-11' });
		expect(await choose(`program=${id.niko}&month=2026-10`)).toMatchObject({ ok: true, program: niko, month: '2026-10' });
		expect(await choose('', [id.B])).toMatchObject({ ok: true, programs: [niko], program: niko });
		expect(await choose('month=2026-13')).toMatchObject({ ok: false, error: '対象月は 2026-11 の形で指定してください' });
		expect(await choose('month=2027-01')).toMatchObject({ ok: false, error: '対象月は2000年1月から今月（2026年12月）までで指定してください' });
		expect(await choose('program=abc')).toMatchObject({ ok: false, error: '事業の指定が正しくありません', month: null });
		expect(await choose(`program=${uuidv7()}&month=2026-10`)).toMatchObject({ ok: false, error: '事業の指定が正しくありません', month: '2026-10' });
		// A consultant of B asking for おひさま's report: not theirs to see.
		expect(await choose(`program=${id.ohisama}`, [id.B])).toMatchObject({ ok: false, error: '事業の指定が正しくありません' });
		expect(await choose('', [])).toMatchObject({ ok: false, programs: [], error: '報告書を作れる事業がありません（担当の会場がありません）' });
	});

	it('exports the same tables, and audits each export', async () => {
		const r = await report(niko, '2026-11');
		expect(monthlyTitle('2026-11')).toBe('令和8年11月分 事業実績報告書');
		const sites = tableToCsv(siteExportTable(r))
			.replace(/^\uFEFF/, '')
			.trimEnd()
			.split('\r\n');
		expect(sites[0]).toBe(
			'"会場","開催日数","中止日数","延べ 保護者","延べ 子ども","実 世帯","実 子ども","子ども（延べ） 0歳","子ども（延べ） 1歳","子ども（延べ） 2歳","子ども（延べ） 3歳以上・未就学","子ども（延べ） 就学児","新規登録世帯数"'
		);
		expect(sites.slice(1)).toEqual([
			'"A児童館","3","1","7","7","4","5","2","1","2","1","1","1"',
			'"B児童館","1","1","2","2","2","2","0","1","1","0","0","1"',
			'"合計","4","2","9","9","5","6","2","2","3","1","1","2"'
		]);
		const lines = consultationExportTable(r).rows.filter((l) => l.n > 0 || l.label.includes('計'));
		expect(lines).toEqual([
			{ group: '相談件数', label: '合計', n: 2 },
			{ group: '相談内容別', label: 'ことば', n: 1 },
			{ group: '相談内容別', label: '睡眠', n: 2 },
			{ group: 'フォローアップ・つなぎ別', label: 'なし', n: 1 },
			{ group: 'フォローアップ・つなぎ別', label: '保健相談所へつなぐ', n: 1 },
			{ group: 'フォローアップ・つなぎ別', label: 'つなぎ 計', n: 1 }
		]);
		const user: StaffUser = { id: id.coordinator, displayName: 'コーディネーター', role: 'coordinator', loginName: 'c' };
		const out = await exportMonthlyReport(store, user, r, 'consultations', 'csv');
		expect(out.fileName).toBe('事業実績報告書-にこにこ-2026-11-相談件数');
		const audit = await store.query<{ actor: string; action: string; detail: unknown }>(
			`select actor, action, detail from audit_log where action = 'report.export'`
		);
		expect(audit.rows).toEqual([
			{
				actor: `staff:${id.coordinator}`,
				action: 'report.export',
				detail: { report: 'monthly', program: id.niko, month: '2026-11', table: 'consultations', format: 'csv', rows: 15 + 6 + 2, scoped: false }
			}
		]);
	});
});
