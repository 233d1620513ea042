import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsultationText } from '$lib/domain/seal';
import { getKeyring } from '../crypto/keyring';
import { ageBandAt } from '$lib/domain/age-band';
import { isCardCode } from '$lib/domain/card-code';
import { addDays, tokyoDate } from '$lib/domain/dates';
import { PIN_ITERATIONS, verifyPin } from '$lib/domain/pin';
import {
	DEFAULT_TOPICS,
	isReferral,
	type ChildData,
	type ConsultationData,
	type HouseholdData,
	type SessionData,
	type SiteData,
	type StaffData,
	type VisitData
} from '$lib/domain/schemas';
import { TABLE_SCHEMAS } from '$lib/sync/protocol';
import { verifyPassword } from '../auth/passwords';
import type { Store } from '../db/store';
import { testStores, truncateAll } from '../../../../tests/stores';
import { DEMO_TOWNS, DEMO_WARD_NAME, DemoStoreNotEmptyError, isStoreEmpty, seedDemo, type DemoSummary } from './demo';

// A Wednesday morning in Tokyo, and a Sunday (no weekday program runs) for the weekend path.
const NOW = Date.parse('2026-11-25T09:30:00+09:00');
const SUNDAY = Date.parse('2026-11-29T09:30:00+09:00');
const TODAY = tokyoDate(NOW);

type Row<T> = { id: string; data: T };

describe.each(testStores())('seedDemo on $name', (ts) => {
	let store: Store;
	let summary: DemoSummary;
	let emptyBefore: boolean;

	beforeAll(async () => {
		store = await ts.open();
		emptyBefore = await isStoreEmpty(store);
		const t0 = performance.now();
		summary = await seedDemo(store, { now: NOW, seed: 1 });
		const seedMs = performance.now() - t0;
		console.log(
			`[seed] seedDemo on ${ts.name}: ${seedMs.toFixed(0)} ms with 9 PIN hashes at ${PIN_ITERATIONS} iterations, ${summary.sessions} sessions, ${summary.households} households, ${summary.children} children, ${summary.visits} visits, ${summary.consultations} consultations`
		);
	});

	afterAll(async () => {
		await store?.close();
		await ts.dispose();
	});

	const rows = async <T>(table: string): Promise<Row<T>[]> =>
		(await store.query<Row<T>>(`select id::text as id, data from ${table} where not deleted order by seq`)).rows;

	it('knows an empty store from a seeded one', async () => {
		expect(emptyBefore).toBe(true);
		expect(await isStoreEmpty(store)).toBe(false);
	});

	it('refuses to seed a store that already has data, and writes nothing', async () => {
		const before = await store.query<{ n: number }>('select count(*)::int as n from households');
		await expect(seedDemo(store, { now: NOW, households: 5 })).rejects.toBeInstanceOf(DemoStoreNotEmptyError);
		const after = await store.query<{ n: number }>('select count(*)::int as n from households');
		expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
	});

	it('writes the three programs and 8 / 17 / 5 sites, 4 nikoniko sites with a consultant', async () => {
		const r = await store.query<{ code: string; n: number; consultants: number }>(
			`select p.data->>'code' as code, count(*)::int as n, count(*) filter (where (s.data->>'hasConsultant')::boolean)::int as consultants
			 from sites s join programs p on p.id = s.program_id group by 1 order by 1`
		);
		expect(r.rows).toEqual([
			{ code: 'nikoniko', n: 17, consultants: 4 },
			{ code: 'nobinobi', n: 5, consultants: 0 },
			{ code: 'ohisama', n: 8, consultants: 0 }
		]);
		expect(summary.programs).toBe(3);
		expect(summary.sites).toEqual({ ohisama: 8, nikoniko: 17, nobinobi: 5 });
		const programs = await rows<{ code: string; nameJa: string; outdoor: boolean }>('programs');
		expect(programs.map((p) => [p.data.code, p.data.nameJa, p.data.outdoor])).toEqual([
			['ohisama', 'おひさまぴよぴよ', true],
			['nikoniko', 'にこにこ', false],
			['nobinobi', 'のびのびひろば', false]
		]);
		const sites = await rows<SiteData>('sites');
		const names = sites.map((s) => s.data.nameJa);
		expect(new Set(names).size).toBe(30);
		const ohisamaId = programs.find((p) => p.data.code === 'ohisama')!.id;
		for (const s of sites) {
			expect(s.data.outdoor).toBe(s.data.programId === ohisamaId);
			if (s.data.programId === ohisamaId) expect(s.data.nameJa).toMatch(/公園|児童遊園/);
			else expect(s.data.place.startsWith(DEMO_WARD_NAME) || s.data.place.includes(DEMO_WARD_NAME)).toBe(true);
		}
		expect(names.filter((n) => n.endsWith('児童館')).length).toBe(11);
		expect(names.filter((n) => n.endsWith('学童クラブ室')).length).toBe(6);
		// 定員 for a few: the halls with a consultant and のびのびひろば's rooms; the parks have none.
		const capacities = sites.filter((s) => s.data.capacity != null);
		expect(capacities.length).toBe(4 + 5);
		expect(capacities.filter((s) => s.data.hasConsultant).map((s) => s.data.capacity)).toEqual([30, 30, 30, 30]);
		expect(sites.filter((s) => s.data.outdoor).every((s) => s.data.capacity === undefined)).toBe(true);
	});

	it('writes the 15 default topics', async () => {
		const topics = await rows<{ code: string; labelJa: string; active: boolean }>('topics');
		expect(topics.map((t) => t.data.code)).toEqual(DEFAULT_TOPICS.map((t) => t.code));
		expect(topics).toHaveLength(15);
	});

	it('schedules sessions from a month (31 days) before to 21 days after today, with today open at the first site', async () => {
		const sessions = await rows<SessionData>('sessions');
		const sites = new Map((await rows<SiteData>('sites')).map((s) => [s.id, s.data]));
		const programs = new Map((await rows<{ code: string }>('programs')).map((p) => [p.id, p.data.code]));
		expect(sessions).toHaveLength(summary.sessions);
		const dates = sessions.map((s) => s.data.date).sort();
		// TODAY − 31 is a Sunday, when no weekday program runs: the Monday after it is the first.
		expect(dates[0]).toBe(addDays(TODAY, -30));
		expect(dates[dates.length - 1]).toBe(addDays(TODAY, 21));
		const today = sessions.filter((s) => s.data.date === TODAY);
		expect(today.length).toBeGreaterThan(0);
		expect(today.map((s) => s.data.siteId)).toContain(summary.firstSiteIds[0]);
		const first = sites.get(summary.firstSiteIds[0]!)!;
		expect(programs.get(first.programId)).toBe('nikoniko');
		expect(first.hasConsultant).toBe(true);

		let cancelled = 0;
		for (const { data: s } of sessions) {
			const program = programs.get(sites.get(s.siteId)!.programId)!;
			if (s.date < TODAY) expect(['closed', 'cancelled']).toContain(s.status);
			else expect(s.status).toBe('scheduled');
			if (s.status === 'cancelled') {
				cancelled++;
				expect(program).toBe('ohisama');
				expect(s.cancelReason).toBe('rain');
			}
			const times = { ohisama: ['10:00', '11:30'], nikoniko: ['10:00', '12:00'], nobinobi: ['10:00', '11:30'] }[program];
			expect([s.startTime, s.endTime]).toEqual(times);
		}
		expect(cancelled).toBeGreaterThan(0);

		// Weekly programs: ohisama one day a week, nikoniko 2–3; nobinobi 1–2 a month.
		const perSite = new Map<string, SessionData[]>();
		for (const { data: s } of sessions) perSite.set(s.siteId, [...(perSite.get(s.siteId) ?? []), s]);
		for (const [siteId, list] of perSite) {
			const program = programs.get(sites.get(siteId)!.programId)!;
			const days = new Set(list.map((s) => new Date(`${s.date}T00:00:00Z`).getUTCDay()));
			if (program === 'ohisama') expect(days.size).toBe(1);
			if (program === 'nikoniko') {
				expect(days.size).toBeGreaterThanOrEqual(2);
				expect(days.size).toBeLessThanOrEqual(3);
			}
			if (program === 'nobinobi') {
				const perMonth = new Map<string, number>();
				for (const s of list) perMonth.set(s.date.slice(0, 7), (perMonth.get(s.date.slice(0, 7)) ?? 0) + 1);
				for (const n of perMonth.values()) expect(n).toBeLessThanOrEqual(2);
			}
		}
	});

	it('registers the requested households, each with 1–3 children and its own valid card code', async () => {
		const households = await rows<HouseholdData>('households');
		const children = await rows<ChildData>('children');
		expect(households).toHaveLength(300);
		expect(summary.households).toBe(300);
		expect(children).toHaveLength(summary.children);
		const codes = households.map((h) => h.data.cardCode);
		expect(new Set(codes).size).toBe(codes.length);
		expect(codes.every(isCardCode)).toBe(true);
		const perHousehold = new Map<string, number>();
		for (const c of children) perHousehold.set(c.data.householdId, (perHousehold.get(c.data.householdId) ?? 0) + 1);
		for (const h of households) {
			expect(perHousehold.get(h.id)).toBeGreaterThanOrEqual(1);
			expect(perHousehold.get(h.id)).toBeLessThanOrEqual(3);
			if (h.data.areaKind === 'ward') expect(DEMO_TOWNS).toContain(h.data.town);
			else expect(h.data.town).toBeNull();
			expect(h.data.consentVersion).toBe('2026-04');
			expect(h.data.consentDate <= TODAY).toBe(true);
		}
		const ward = households.filter((h) => h.data.areaKind === 'ward').length;
		expect(ward / households.length).toBeGreaterThan(0.75);
		expect(ward / households.length).toBeLessThan(0.95);
		expect(households.filter((h) => h.data.nickname !== null).length).toBeLessThan(60);
		expect(new Set(households.map((h) => h.data.language)).size).toBeGreaterThan(2);
		expect(new Set(households.map((h) => h.data.heardFrom)).size).toBeGreaterThan(4);
		// Birth months: 0–5 years before now, never after it.
		const month = TODAY.slice(0, 7);
		const oldest = `${Number(month.slice(0, 4)) - 6}-${month.slice(5)}`;
		for (const c of children) {
			expect(c.data.birthYm <= month).toBe(true);
			expect(c.data.birthYm > oldest).toBe(true);
		}
	});

	it('records visits only at closed sessions, naming the household’s own children', async () => {
		const visits = await rows<VisitData>('visits');
		expect(visits).toHaveLength(summary.visits);
		expect(visits.length).toBeGreaterThan(200);
		expect(visits.length).toBeLessThan(5000);
		const sessions = new Map((await rows<SessionData>('sessions')).map((s) => [s.id, s.data]));
		const children = new Map((await rows<ChildData>('children')).map((c) => [c.id, c.data]));
		const households = new Map((await rows<HouseholdData>('households')).map((h) => [h.id, h.data]));
		let walkIns = 0;
		for (const { data: v } of visits) {
			const s = sessions.get(v.sessionId)!;
			expect(s.status).toBe('closed');
			expect(v.checkedInAt.slice(0, 10) <= s.date).toBe(true);
			if (v.checkedOutAt) expect(v.checkedOutAt > v.checkedInAt).toBe(true);
			expect(v.adults).toBeGreaterThanOrEqual(1);
			expect(v.adults).toBeLessThanOrEqual(2);
			if (v.method === 'walkin') {
				walkIns++;
				expect(v.householdId).toBeNull();
				expect(v.cardCode).toBeNull();
				expect(v.childIds).toEqual([]);
				const n = Object.values(v.walkInChildren!).reduce((a, b) => a + b, 0);
				expect(n).toBeGreaterThanOrEqual(1);
			} else {
				const h = households.get(v.householdId!)!;
				expect(v.cardCode).toBe(h.cardCode);
				expect(h.consentDate <= s.date).toBe(true);
				expect(v.childIds.length).toBeGreaterThan(0);
				for (const cid of v.childIds) {
					const c = children.get(cid)!;
					expect(c.householdId).toBe(v.householdId);
					expect(ageBandAt(c.birthYm, s.date)).not.toBeNull();
				}
			}
		}
		expect(walkIns).toBeGreaterThan(0);
		expect(visits.filter((v) => v.data.method === 'camera').length / visits.length).toBeGreaterThan(0.6);
		// Nothing at today's or later sessions, nothing at cancelled ones.
		const r = await store.query<{ n: number }>(`select count(*)::int as n from visits v join sessions s on s.id = v.session_id where s.status <> 'closed'`);
		expect(r.rows[0]!.n).toBe(0);
	});

	it('records a month of consultations by the consultants at their halls, notes sealed, referrals as cases', async () => {
		const consultations = await rows<ConsultationData>('consultations');
		expect(consultations).toHaveLength(summary.consultations);
		expect(consultations.length).toBeGreaterThan(40);
		const sessions = new Map((await rows<SessionData>('sessions')).map((s) => [s.id, s.data]));
		const sites = new Map((await rows<SiteData>('sites')).map((s) => [s.id, s.data]));
		const consultants = new Set(summary.staff.filter((m) => m.role === 'consultant').map((m) => m.id));
		const keyring = await getKeyring();
		for (const c of consultations) {
			const session = sessions.get(c.data.sessionId)!;
			expect(session.status).toBe('closed');
			expect(sites.get(session.siteId)!.hasConsultant).toBe(true);
			expect(consultants.has(c.data.staffId)).toBe(true);
			expect(session.date >= addDays(TODAY, -31)).toBe(true);
		}
		// Every note opens with the centre's key, and none is in the database in clear.
		const opened = await Promise.all(consultations.map((c) => openConsultationText(c.data.sealed!, keyring.privateKeyFor, c.id)));
		expect(opened.every((t) => t.note.length > 0)).toBe(true);
		const dump = (await store.query<{ t: string }>(`select string_agg(data::text, ' ') as t from consultations`)).rows[0]!.t;
		for (const t of opened) expect(dump).not.toContain(t.note.slice(0, 8));
		// Referrals became cases; some are still open, some in progress, some closed.
		const referrals = consultations.filter((c) => isReferral(c.data.followUp)).length;
		const cases = await store.query<{ status: string; n: number }>(`select status, count(*)::int as n from followup_cases group by status`);
		const byStatus = Object.fromEntries(cases.rows.map((r) => [r.status, r.n]));
		expect(Object.values(byStatus).reduce((a: number, b) => a + (b as number), 0)).toBe(referrals);
		expect(byStatus.open).toBeGreaterThan(0);
		expect(byStatus.closed).toBeGreaterThan(0);
	});

	it('every stored row passes its schema', async () => {
		for (const table of ['programs', 'sites', 'sessions', 'topics', 'staff', 'households', 'children', 'visits'] as const) {
			for (const row of await rows<unknown>(table)) expect(() => TABLE_SCHEMAS[table].parse(row.data)).not.toThrow();
		}
	});

	it('creates 6 consultants, 2 coordinators and an admin whose demo PINs and passwords verify', async () => {
		const r = await store.query<{ id: string; data: StaffData; login_name: string | null; password_hash: string | null }>(
			'select id::text as id, data, login_name, password_hash from staff order by seq'
		);
		expect(r.rows).toHaveLength(9);
		expect(summary.staff.map((s) => s.role)).toEqual([...Array(6).fill('consultant'), 'coordinator', 'coordinator', 'admin']);
		const consultantSites = (await rows<SiteData>('sites'))
			.filter((s) => s.data.hasConsultant)
			.map((s) => s.id)
			.sort();
		const byId = new Map(r.rows.map((row) => [row.id, row]));
		const checks: Promise<void>[] = [];
		for (const s of summary.staff) {
			const row = byId.get(s.id)!;
			expect(row.data.displayName).toBe(s.displayName);
			expect(row.data.role).toBe(s.role);
			expect([...row.data.siteIds].sort()).toEqual([...s.siteIds].sort());
			if (s.role === 'consultant') expect([...s.siteIds].sort()).toEqual(consultantSites);
			// One consultant signs in at the centre too (their sites' cases); the others use tablets only.
			if (s.role === 'consultant' && s.displayName !== '相談員 山田') {
				expect(row.login_name).toBeNull();
				expect(row.password_hash).toBeNull();
			} else {
				expect(row.login_name).toBe(s.loginName);
				expect(s.password).not.toBeNull();
				checks.push(verifyPassword(s.password!, row.password_hash!).then((ok) => expect(ok).toBe(true)));
				checks.push(verifyPassword('wrong-password', row.password_hash!).then((ok) => expect(ok).toBe(false)));
			}
			expect(s.pin).toMatch(/^\d{6}$/);
			expect(row.data.pinHash!.split('$').slice(0, 2)).toEqual(['pbkdf2-sha256', String(PIN_ITERATIONS)]);
			checks.push(verifyPin(s.pin, row.data.pinHash!).then((ok) => expect(ok).toBe(true)));
		}
		checks.push(verifyPin('000000', r.rows[0]!.data.pinHash!).then((ok) => expect(ok).toBe(false)));
		await Promise.all(checks);
		expect(new Set(summary.staff.map((s) => s.pin)).size).toBe(9);
	});

	it('seeds the calendar and the families in a few seconds', async () => {
		// Timed with cheap PIN hashes: at PIN_ITERATIONS the nine hashes are seconds of CPU of their
		// own (see the log line above), a fixed cost that says nothing about the data's.
		await truncateAll(store);
		const t0 = performance.now();
		await seedDemo(store, { now: NOW, seed: 1, pinIterations: 1000 });
		expect(performance.now() - t0).toBeLessThan(ts.name === 'pglite' ? 6000 : 10_000);
	});

	it('is deterministic: the same seed gives the same sites and cards; the weekend still has a session today', async () => {
		// These seeds are compared only for their calendar: cheap PIN hashes will do.
		const pinIterations = 1000;
		const names = async () => (await rows<SiteData>('sites')).map((s) => s.data.nameJa);
		const cards = async () => (await rows<HouseholdData>('households')).map((h) => h.data.cardCode);
		const firstNames = await names();
		const firstCards = await cards();

		await truncateAll(store);
		expect(await isStoreEmpty(store)).toBe(true);
		const again = await seedDemo(store, { now: NOW, seed: 1, pinIterations });
		expect(await names()).toEqual(firstNames);
		expect(await cards()).toEqual(firstCards);
		expect(again.visits).toBe(summary.visits);
		expect(again.sessions).toBe(summary.sessions);

		await truncateAll(store);
		const other = await seedDemo(store, { now: SUNDAY, seed: 2, households: 40, pinIterations });
		expect(other.households).toBe(40);
		expect((await cards()).length).toBe(40);
		expect((await cards()).some((c) => firstCards.includes(c))).toBe(false);
		const sunday = tokyoDate(SUNDAY);
		const today = await store.query<{ site_id: string }>('select site_id::text as site_id from sessions where session_date = $1', [sunday]);
		expect(today.rows.map((r) => r.site_id)).toContain(other.firstSiteIds[0]);
	});
});
