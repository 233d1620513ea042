import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../db/store';
import type { StaffUser } from '../auth/staff-sessions';
import { consultationFilter, listConsultations } from '../consultations/queries';
import { siteScope } from '../consultations/scope';
import { consultationFiscalYears, consultationMonth, consultationStats } from './consultations';
import { openForSuite, testStores } from '../../../../tests/stores';
import { seedConsultationLog, type ConsultationLog } from '../../../../tests/consultation-log';

describe.each(testStores())('consultation queries and counts on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let coordinator: StaffUser;

	openForSuite(ts, (s) => (store = s));
	beforeAll(async () => {
		log = await seedConsultationLog(store);
		coordinator = { id: log.staff.coordinator, displayName: 'コーディネーター 高橋', role: 'coordinator', loginName: 'takahashi' };
	});

	const ids = async (query: Record<string, string>, user = coordinator) =>
		(await listConsultations(store, user, consultationFilter.parse(query))).rows.map((r) => Object.entries(log.c).find(([, id]) => id === r.id)![0]);

	it('filters by site, session, session date, topic, urgency and staff member, newest first, never a deleted one', async () => {
		// c1 and c2 share a session and a time: the later-made id comes first.
		expect(await ids({})).toEqual(['c6', 'c5', 'c4', 'c3', 'c2', 'c1']);
		expect(await ids({ site: log.sites.sakura })).toEqual(['c3']);
		expect(await ids({ session: log.sessions.apr })).toHaveLength(2);
		expect(await ids({ from: '2026-05-01', to: '2027-03-31' })).toEqual(['c5', 'c4', 'c3']);
		expect(await ids({ topic: 'sleep' })).toHaveLength(4);
		expect(await ids({ urgency: 'watch' })).toEqual(['c5', 'c3']);
		expect(await ids({ staff: log.staff.b })).toEqual(['c4', 'c3']);
		const page = await listConsultations(store, coordinator, consultationFilter.parse({ page: '2' }));
		expect(page).toMatchObject({ rows: [], total: 6, page: 2, pages: 1 });
	});

	it('gives each row its labels, case status and revision count', async () => {
		const rows = (await listConsultations(store, coordinator, consultationFilter.parse({ session: log.sessions.apr }))).rows;
		const c1 = rows.find((r) => r.id === log.c.c1)!;
		const c2 = rows.find((r) => r.id === log.c.c2)!;
		expect(c1).toMatchObject({
			siteName: '若葉児童館',
			programName: 'にこにこ',
			staffName: '相談員 青木',
			topics: ['睡眠', '授乳・食事'],
			revisions: 2,
			caseStatus: null
		});
		expect(c2).toMatchObject({ urgency: 'urgent', followUp: 'refer_centre', caseStatus: 'open', caseId: log.cases.c2, revisions: 1 });
	});

	it('counts 年度 2026 by month, topic, urgency and program as counted by hand', async () => {
		const s = await consultationStats(store, { siteIds: null }, 2026);
		expect(s.months[0]).toBe('2026-04');
		expect(s.months[11]).toBe('2027-03');
		const m = (apr: number, may: number, mar: number) => [apr, may, 0, 0, 0, 0, 0, 0, 0, 0, 0, mar];
		expect(s.total).toMatchObject({ months: m(2, 2, 1), total: 5 });
		const rows = (list: typeof s.byTopic) => Object.fromEntries(list.filter((r) => r.total > 0).map((r) => [r.label, r.months]));
		expect(rows(s.byUrgency)).toEqual({ 通常: m(1, 1, 0), 要注意: m(0, 1, 1), 緊急: m(1, 0, 0) });
		expect(rows(s.byTopic)).toEqual({ 睡眠: m(2, 1, 0), 授乳・食事: m(1, 0, 0), ことば: m(0, 1, 0), 遊び: m(0, 1, 0), '発育・発達': m(0, 0, 1) });
		expect(rows(s.byProgram)).toEqual({ にこにこ: m(2, 1, 1), おひさまぴよぴよ: m(0, 1, 0) });
		// Every urgency and program has a row, counted or not.
		expect(s.byUrgency.map((r) => r.key)).toEqual(['normal', 'watch', 'urgent']);

		const next = await consultationStats(store, { siteIds: null }, 2027);
		expect(next.total.total).toBe(1);
		const scoped = await consultationStats(store, await siteScope(store, { ...coordinator, id: log.staff.b, role: 'consultant' }), 2026);
		expect(scoped.total).toMatchObject({ months: m(0, 1, 0), total: 1 });
		expect(await consultationFiscalYears(store, { siteIds: null }, 2026)).toEqual([2027, 2026]);
	});

	it('counts one month of one program by topic and by follow-up, as counted by hand', async () => {
		const programId = async (code: string) => (await store.query<{ id: string }>(`select id::text from programs where data->>'code' = $1`, [code])).rows[0]!.id;
		const niko = await programId('nikoniko');
		const month = async (m: string, program: string, siteIds: string[] | null = null) => {
			const r = await consultationMonth(store, { siteIds }, { month: m, programId: program });
			const counted = (list: typeof r.byTopic) => Object.fromEntries(list.filter((x) => x.n > 0).map((x) => [x.label, x.n]));
			return { total: r.total, topics: counted(r.byTopic), followUps: counted(r.byFollowUp), referrals: r.referrals };
		};
		// April, にこにこ: c1 (sleep + feeding, none) and c2 (sleep, to こども家庭センター), both at 若葉.
		expect(await month('2026-04', niko)).toEqual({
			total: 2,
			topics: { 睡眠: 2, 授乳・食事: 1 },
			followUps: { なし: 1, こども家庭センターへつなぐ: 1 },
			referrals: 1
		});
		// May, にこにこ: c3 only (c7 is deleted, c4 is おひさま's).
		expect(await month('2026-05', niko)).toEqual({ total: 1, topics: { ことば: 1 }, followUps: { 保健相談所へつなぐ: 1 }, referrals: 1 });
		expect(await month('2026-05', await programId('ohisama'))).toEqual({
			total: 1,
			topics: { 遊び: 1, 睡眠: 1 },
			followUps: { 次回確認: 1 },
			referrals: 0
		});
		// 31 March 2027 is in March; nothing in June.
		expect((await month('2027-03', niko)).total).toBe(1);
		expect(await month('2026-06', niko)).toEqual({ total: 0, topics: {}, followUps: {}, referrals: 0 });
		// A consultant of 桜台 sees 桜台's c3 in May and nothing of 若葉's April.
		expect((await month('2026-05', niko, [log.sites.sakura])).total).toBe(1);
		expect((await month('2026-04', niko, [log.sites.sakura])).total).toBe(0);
		// Every listed topic and every follow-up has a line, counted or not, in the form's order.
		const r = await consultationMonth(store, { siteIds: null }, { month: '2026-04', programId: niko });
		expect(r.byTopic.map((t) => t.label).slice(0, 4)).toEqual(['発育・発達', 'ことば', '授乳・食事', '睡眠']);
		expect(r.byTopic).toHaveLength(15);
		expect(r.byFollowUp.map((t) => t.key)).toEqual(['none', 'next_time', 'refer_centre', 'refer_health', 'refer_support', 'other']);
	});
});
