import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../db/store';
import type { StaffUser } from '../auth/staff-sessions';
import { consultationFilter, listConsultations } from '../consultations/queries';
import { siteScope } from '../consultations/scope';
import { consultationFiscalYears, consultationStats } from './consultations';
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
});
