/**
 * 会場・開催回 at the centre through its real handlers: who may come in (a coordinator; not a
 * consultant, not a stranger), adding and editing a site, a season of sessions from a preview, and
 * moving, cancelling and restoring one session. Each change is audited, refused input changes
 * nothing and says why in Japanese, and what changes reaches the site's tablets by their pull.
 *
 * On top of the consultation log's sites (tests/consultation-log.ts): 若葉 and 桜台 (にこにこ,
 * indoors) and 中央公園 (おひさま, outdoors); the log's sessions have consultations.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { addDays, tokyoDate } from '$lib/domain/dates';
import type { SessionData, SiteData } from '$lib/domain/schemas';
import type { Change } from '$lib/sync/protocol';
import * as list from './(app)/sites/+page.server';
import * as create from './(app)/sites/new/+page.server';
import * as sitePage from './(app)/sites/[id]/+page.server';
import * as edit from './(app)/sites/[id]/edit/+page.server';
import * as sessionPage from './(app)/sites/[id]/sessions/[sessionId]/+page.server';
import * as overview from './(app)/+page.server';
import { loadOverview } from '$lib/server/centre/overview';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import { enrollDevice } from '../../../tests/centre';
import { BASE_URL, inProcessFetch } from '../../../tests/in-process';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

/** Next year's November: 文化の日 (11/3) is a holiday whatever the weekday, and it is in the future. */
const YEAR = Number(tokyoDate().slice(0, 4)) + 1;
const weekdayOf = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
const BUNKA = `${YEAR}-11-03`;
/** Every date of next November on 文化の日's weekday. */
const novemberOn = (weekday: number) =>
	Array.from({ length: 30 }, (_, i) => `${YEAR}-11-${String(i + 1).padStart(2, '0')}`).filter((d) => weekdayOf(d) === weekday);

describe.each(testStores())('sites and sessions at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { consultant: string; coordinator: string };
	let programs: { niko: string; ohisama: string };
	let coordinatorActor: string;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		tokens = { consultant: await signedIn(store, log.staff.a), coordinator: await signedIn(store, log.staff.coordinator) };
		coordinatorActor = `staff:${log.staff.coordinator}`;
		const p = await store.query<{ id: string; code: string }>(`select id::text, data->>'code' as code from programs`);
		programs = { niko: p.rows.find((r) => r.code === 'nikoniko')!.id, ohisama: p.rows.find((r) => r.code === 'ohisama')!.id };
	});

	const auditRows = async () =>
		(
			await store.query<{ actor: string; action: string; subject: string | null; detail: any }>(
				`select actor, action, subject, detail from audit_log where action like 'site.%' or action like 'session.%' order by id`
			)
		).rows;
	/** Everything a change could touch: the rows and their stamps, and the audit log. */
	const snapshot = async () => ({
		sites: (await store.query(`select id, hlc, data from sites order by id`)).rows,
		sessions: (await store.query(`select id, hlc, data from sessions order by id`)).rows,
		audit: await auditRows()
	});
	const site = async (id: string) => (await store.query<{ data: SiteData; hlc: string }>(`select data, hlc from sites where id = $1`, [id])).rows[0]!;
	const session = async (id: string) => (await store.query<{ data: SessionData; hlc: string }>(`select data, hlc from sessions where id = $1`, [id])).rows[0]!;
	const post = (fn: unknown, path: string, form: Record<string, string>, o: { token?: string; params?: Record<string, string> } = {}) =>
		call(fn, centreEvent(path, { token: 'token' in o ? o.token : tokens.coordinator, params: o.params, form }));
	/** A form with repeated names (the season's weekdays). */
	const postMulti = (fn: unknown, path: string, entries: [string, string][], params: Record<string, string>, token = tokens.coordinator) => {
		const event = centreEvent(path, { token, params });
		(event as { request: Request }).request = new Request(event.url, { method: 'POST', body: new URLSearchParams(entries) });
		return call(fn, event);
	};
	const seasonEntries = (o: { weekdays: number[]; startTime?: string; endTime?: string; from: string; to: string }): [string, string][] => [
		...o.weekdays.map((d): [string, string] => ['weekday', String(d)]),
		['startTime', o.startTime ?? '10:00'],
		['endTime', o.endTime ?? '12:00'],
		['from', o.from],
		['to', o.to]
	];
	const pulledSessions = async (siteIds: string[]) => {
		const dev = await enrollDevice(store, siteIds, 'テスト端末');
		const res = await inProcessFetch()(`${BASE_URL}/api/v1/sync/pull?since=0&limit=1000`, { headers: { authorization: `Bearer ${dev.token}` } });
		const body = (await res.json()) as { changes: Change[]; cursor: string };
		return { dev, changes: body.changes, cursor: body.cursor };
	};

	describe('who may come in', () => {
		it('sends a signed-out visitor of every page and every action to the sign-in page, changing nothing', async () => {
			const before = await snapshot();
			const ids = { id: log.sites.koen, sessionId: log.sessions.koen };
			const loads: [unknown, string, Record<string, string>][] = [
				[list.load, '/centre/sites', {}],
				[create.load, '/centre/sites/new', {}],
				[sitePage.load, `/centre/sites/${ids.id}`, { id: ids.id }],
				[edit.load, `/centre/sites/${ids.id}/edit`, { id: ids.id }],
				[sessionPage.load, `/centre/sites/${ids.id}/sessions/${ids.sessionId}`, ids]
			];
			for (const [fn, url, params] of loads) {
				const o = await call(fn, centreEvent(url, { params }));
				expect(o, url).toEqual({ kind: 'redirect', location: `/centre/login?next=${encodeURIComponent(url)}` });
			}
			const actions: [unknown, string, Record<string, string>, Record<string, string>][] = [
				[create.actions.create, '/centre/sites/new?/create', {}, { programId: programs.niko, nameJa: '新しい児童館', active: 'on' }],
				[edit.actions.update, `/centre/sites/${ids.id}/edit?/update`, { id: ids.id }, { programId: programs.ohisama, nameJa: 'x', version: 'v' }],
				[sitePage.actions.preview, `/centre/sites/${ids.id}?/preview`, { id: ids.id }, { weekday: '1', from: `${YEAR}-11-01`, to: `${YEAR}-11-30` }],
				[sitePage.actions.generate, `/centre/sites/${ids.id}?/generate`, { id: ids.id }, { weekday: '1', from: `${YEAR}-11-01`, to: `${YEAR}-11-30` }],
				[sessionPage.actions.update, `/centre/sites/${ids.id}/sessions/${ids.sessionId}?/update`, ids, { date: `${YEAR}-11-02` }],
				[sessionPage.actions.cancel, `/centre/sites/${ids.id}/sessions/${ids.sessionId}?/cancel`, ids, { reason: 'rain' }],
				[sessionPage.actions.restore, `/centre/sites/${ids.id}/sessions/${ids.sessionId}?/restore`, ids, {}]
			];
			for (const [fn, url, params, form] of actions) {
				const o = await post(fn, url, form, { token: undefined, params });
				expect(o.kind, url).toBe('redirect');
				expect((o as { location: string }).location, url).toMatch(/^\/centre\/login\?next=%2Fcentre%2Fsites/);
			}
			expect(await snapshot()).toEqual(before);
		});

		it('refuses a consultant every page and every action with 403, changing nothing', async () => {
			const before = await snapshot();
			const ids = { id: log.sites.koen, sessionId: log.sessions.koen };
			const version = (await session(ids.sessionId)).hlc;
			const o = await call(list.load, centreEvent('/centre/sites', { token: tokens.consultant }));
			expect(o).toEqual({ kind: 'error', status: 403, message: 'この操作を行う権限がありません' });
			for (const [fn, params] of [
				[create.load, {}],
				[sitePage.load, { id: ids.id }],
				[edit.load, { id: ids.id }],
				[sessionPage.load, ids]
			] as const)
				expect((await call(fn, centreEvent('/centre/sites/x', { token: tokens.consultant, params }))).kind).toBe('error');
			const forms: [unknown, Record<string, string>, Record<string, string>][] = [
				[create.actions.create, {}, { programId: programs.niko, nameJa: '新しい児童館', active: 'on' }],
				[edit.actions.update, { id: ids.id }, { programId: programs.ohisama, nameJa: '中央公園', active: 'on', version: (await site(ids.id)).hlc }],
				[sitePage.actions.preview, { id: ids.id }, { weekday: '1', startTime: '10:00', endTime: '12:00', from: `${YEAR}-11-01`, to: `${YEAR}-11-30` }],
				[sitePage.actions.generate, { id: ids.id }, { weekday: '1', startTime: '10:00', endTime: '12:00', from: `${YEAR}-11-01`, to: `${YEAR}-11-30` }],
				[sessionPage.actions.update, ids, { version, date: `${YEAR}-11-02`, startTime: '10:00', endTime: '12:00' }],
				[sessionPage.actions.cancel, ids, { version, reason: 'rain' }],
				[sessionPage.actions.restore, ids, { version }]
			];
			for (const [fn, params, form] of forms) {
				const r = await post(fn, '/centre/sites/x', form, { token: tokens.consultant, params });
				expect(r).toEqual({ kind: 'error', status: 403, message: 'この操作を行う権限がありません' });
			}
			expect(await snapshot()).toEqual(before);
		});
	});

	describe('sites', () => {
		it('lists every site by program, in the programs’ order, with place, capacity and the next session', async () => {
			const future = addDays(tokyoDate(), 10);
			await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [
					{ data: f.session(log.sites.wakaba, { date: future }) },
					{ data: f.session(log.sites.wakaba, { date: addDays(future, 1), status: 'cancelled', cancelReason: 'other' }) }
				])
			);
			const o = (await call(list.load, centreEvent('/centre/sites', { token: tokens.coordinator }))) as any;
			expect(o.kind).toBe('ok');
			expect(o.value.programs.map((p: any) => [p.nameJa, p.outdoor])).toEqual([
				['おひさまぴよぴよ', true],
				['にこにこ', false]
			]);
			expect(o.value.sites.map((s: any) => [s.programName, s.nameJa])).toEqual([
				['おひさまぴよぴよ', '中央公園'],
				['にこにこ', '桜台児童館'],
				['にこにこ', '若葉児童館']
			]);
			const wakaba = o.value.sites.find((s: any) => s.nameJa === '若葉児童館');
			// The log's own sessions at 若葉 (2027-03-31, 2027-04-01) count too while they are to come.
			const next = [future, '2027-03-31', '2027-04-01'].filter((d) => d >= tokyoDate()).sort()[0];
			expect(wakaba).toMatchObject({ place: 'テスト区本町1-1-1', capacity: null, hasConsultant: true, active: true, nextDate: next });
			expect(wakaba.upcoming).toBeGreaterThanOrEqual(2);
		});

		it('adds a site: outdoor follows the program, the change is audited and reaches the site’s tablets', async () => {
			const o = await post(create.actions.create, '/centre/sites/new?/create', {
				programId: programs.ohisama,
				nameJa: '  ひだまり公園  ',
				place: 'ひろば区本町3丁目 ひだまり公園 芝生広場',
				capacity: '40',
				active: 'on'
			});
			expect(o.kind).toBe('redirect');
			const id = (o as { location: string }).location.match(/^\/centre\/sites\/([0-9a-f-]{36})\?saved=created$/)![1]!;
			expect((await site(id)).data).toEqual({
				programId: programs.ohisama,
				nameJa: 'ひだまり公園',
				place: 'ひろば区本町3丁目 ひだまり公園 芝生広場',
				capacity: 40,
				outdoor: true,
				hasConsultant: false,
				active: true
			});
			expect(await auditRows()).toEqual([
				{ actor: coordinatorActor, action: 'site.create', subject: id, detail: { programId: programs.ohisama, nameJa: 'ひだまり公園' } }
			]);
			const { changes } = await pulledSessions([id]);
			expect(changes.find((c) => c.table === 'sites')).toMatchObject({ id, deleted: false, data: { nameJa: 'ひだまり公園', capacity: 40, outdoor: true } });
			// The site's page shows it, with the notice.
			const page = (await call(sitePage.load, centreEvent(`/centre/sites/${id}?saved=created`, { token: tokens.coordinator, params: { id } }))) as any;
			expect(page.value.site).toMatchObject({ nameJa: 'ひだまり公園', programName: 'おひさまぴよぴよ', capacity: 40, nextDate: null });
			expect(page.value.saved).toBe('created');
		});

		it('refuses a site with bad fields in Japanese at each field, adding nothing', async () => {
			const before = await snapshot();
			const refused = async (form: Record<string, string>) => {
				const o = (await post(create.actions.create, '/centre/sites/new?/create', form)) as any;
				expect(o.kind).toBe('fail');
				expect(o.status).toBe(400);
				return o.data.errors;
			};
			expect(await refused({ nameJa: ' ', capacity: '0' })).toEqual({
				programId: '事業を選んでください',
				nameJa: '会場名を入力してください',
				capacity: '定員は1〜500の数で入力してください'
			});
			expect(await refused({ programId: programs.niko, nameJa: 'あ'.repeat(81), capacity: 'たくさん', place: 'x'.repeat(121) })).toEqual({
				nameJa: '会場名は80文字以内で入力してください',
				capacity: '定員は数字で入力してください',
				place: '所在地は120文字以内で入力してください'
			});
			expect(await refused({ programId: programs.niko, nameJa: '若葉\u0000児童館', capacity: '12.5' })).toEqual({
				nameJa: '会場名に使えない文字が含まれています',
				capacity: '定員は整数で入力してください'
			});
			expect(await refused({ programId: f.id(), nameJa: '新しい児童館' })).toEqual({ programId: '事業を選んでください' });
			expect(await refused({ programId: programs.niko, nameJa: '若葉児童館' })).toEqual({ nameJa: 'この事業には同じ名前の会場がすでにあります' });
			expect(await snapshot()).toEqual(before);
		});

		it('edits a site from the version the form showed: audited with the fields changed; stale or unchanged edits are refused', async () => {
			const id = log.sites.wakaba;
			const version = (await site(id)).hlc;
			const form = { version, programId: programs.niko, nameJa: '若葉児童館', place: 'テスト区本町1-1-1', capacity: '25', hasConsultant: 'on', active: 'on' };
			const unchanged = (await post(edit.actions.update, `/centre/sites/${id}/edit?/update`, { ...form, capacity: '' }, { params: { id } })) as any;
			expect(unchanged.data.errors).toEqual({ form: '変更された項目がありません' });

			const o = await post(edit.actions.update, `/centre/sites/${id}/edit?/update`, form, { params: { id } });
			expect(o).toEqual({ kind: 'redirect', location: `/centre/sites/${id}?saved=updated` });
			expect((await site(id)).data).toMatchObject({ capacity: 25, hasConsultant: true, outdoor: false });
			expect(await auditRows()).toEqual([{ actor: coordinatorActor, action: 'site.update', subject: id, detail: { changed: ['capacity'] } }]);

			// The same form again, from the version before: someone else changed it since.
			const stale = (await post(edit.actions.update, `/centre/sites/${id}/edit?/update`, { ...form, active: '' }, { params: { id } })) as any;
			expect(stale.status).toBe(409);
			expect(stale.data.errors.form).toMatch(/先に更新しました/);
			expect((await site(id)).data.active).toBe(true);

			// Moved to the outdoor program and paused: outdoor follows, and the tablets hear of it.
			const moved = await post(
				edit.actions.update,
				`/centre/sites/${id}/edit?/update`,
				{ ...form, version: (await site(id)).hlc, programId: programs.ohisama, hasConsultant: '', active: '' },
				{ params: { id } }
			);
			expect(moved.kind).toBe('redirect');
			expect((await site(id)).data).toMatchObject({ programId: programs.ohisama, outdoor: true, hasConsultant: false, active: false });
			expect((await auditRows()).at(-1)!.detail).toEqual({ changed: ['programId', 'outdoor', 'hasConsultant', 'active'] });
			const { changes } = await pulledSessions([id]);
			expect(changes.find((c) => c.table === 'sites' && c.id === id)!.data).toMatchObject({ outdoor: true, active: false });

			const missing = await call(edit.load, centreEvent(`/centre/sites/${f.id()}/edit`, { token: tokens.coordinator, params: { id: f.id() } }));
			expect(missing).toEqual({ kind: 'error', status: 404, message: '会場が見つかりません' });
		});
	});

	describe('a season of sessions', () => {
		const params = () => ({ id: log.sites.wakaba });
		const weekday = weekdayOf(BUNKA);
		const rule = { weekdays: [weekday], from: `${YEAR}-11-01`, to: `${YEAR}-11-30` };

		it('previews the dates to create and those skipped with the reason, writing nothing; then creates them in one go', async () => {
			const before = await snapshot();
			const p = (await postMulti(sitePage.actions.preview, '/centre/sites/x?/preview', seasonEntries(rule), params())) as any;
			expect(p.kind).toBe('ok');
			const expected = novemberOn(weekday).filter((d) => d !== BUNKA);
			expect(p.value.preview.plan).toEqual({ create: expected, skipped: [{ date: BUNKA, reason: '祝日 文化の日' }] });
			expect(p.value.preview.values).toEqual({ weekdays: [String(weekday)], startTime: '10:00', endTime: '12:00', from: rule.from, to: rule.to });
			expect(await snapshot()).toEqual(before);

			const g = (await postMulti(sitePage.actions.generate, '/centre/sites/x?/generate', seasonEntries(rule), params())) as any;
			expect(g.value.generated).toEqual({ count: expected.length, skipped: 1, from: rule.from, to: rule.to, first: expected[0] });
			const made = await store.query<{ id: string; data: SessionData }>(
				`select id::text, data from sessions where site_id = $1 and session_date like $2 order by session_date`,
				[log.sites.wakaba, `${YEAR}-11-%`]
			);
			expect(made.rows.map((r) => r.data)).toEqual(
				expected.map((date) => ({ siteId: log.sites.wakaba, date, startTime: '10:00', endTime: '12:00', status: 'scheduled', cancelReason: null }))
			);
			expect(await auditRows()).toEqual([
				{
					actor: coordinatorActor,
					action: 'session.generate',
					subject: log.sites.wakaba,
					detail: { count: expected.length, from: rule.from, to: rule.to, weekdays: [weekday], startTime: '10:00', endTime: '12:00', skipped: 1 }
				}
			]);
			// They reach the site's tablet, and not another site's.
			const { changes } = await pulledSessions([log.sites.wakaba]);
			const pulled = new Set(changes.filter((c) => c.table === 'sessions').map((c) => c.id));
			for (const r of made.rows) expect(pulled.has(r.id)).toBe(true);
			const other = await pulledSessions([log.sites.sakura]);
			expect(other.changes.some((c) => c.table === 'sessions' && made.rows.some((r) => r.id === c.id))).toBe(false);

			// The month shows them; the same season again has nothing left to create.
			const page = (await call(sitePage.load, centreEvent(`/centre/sites/x?month=${YEAR}-11`, { token: tokens.coordinator, params: params() }))) as any;
			expect(page.value.sessions.map((s: any) => [s.date, s.statusLabel])).toEqual(expected.map((d) => [d, '予定']));
			expect(page.value.months.find((m: any) => m.month === `${YEAR}-11`)).toEqual({ month: `${YEAR}-11`, sessions: expected.length });
			const badMonth = (await call(sitePage.load, centreEvent(`/centre/sites/x?month=${YEAR}-13`, { token: tokens.coordinator, params: params() }))) as any;
			expect(badMonth.value.queryErrors).toEqual({ month: '月は 2026-04 の形で指定してください' });
			expect(badMonth.value.sessions).toEqual([]);
			const again = (await postMulti(sitePage.actions.preview, '/centre/sites/x?/preview', seasonEntries(rule), params())) as any;
			expect(again.value.preview.plan.create).toEqual([]);
			expect(again.value.preview.plan.skipped.filter((s: any) => s.reason === '既存の開催回').map((s: any) => s.date)).toEqual(expected);
			const twice = (await postMulti(sitePage.actions.generate, '/centre/sites/x?/generate', seasonEntries(rule), params())) as any;
			expect(twice).toMatchObject({ kind: 'fail', status: 400, data: { season: { errors: { form: 'この条件で作成できる開催回はありません' } } } });
			expect((await auditRows()).length).toBe(1);
		});

		it('refuses a bad rule in Japanese and creates nothing', async () => {
			const before = await snapshot();
			const refused = async (entries: [string, string][]) => {
				const o = (await postMulti(sitePage.actions.generate, '/centre/sites/x?/generate', entries, params())) as any;
				expect(o.kind).toBe('fail');
				return o.data.season.errors;
			};
			expect(await refused(seasonEntries({ ...rule, weekdays: [] }))).toEqual({ weekdays: '曜日を1つ以上選んでください' });
			expect(await refused(seasonEntries({ ...rule, startTime: '13:00', endTime: '12:00' }))).toEqual({ endTime: '終了時刻は開始時刻より後にしてください' });
			expect(await refused(seasonEntries({ ...rule, to: `${YEAR + 1}-11-02` }))).toEqual({ to: '期間は1年以内にしてください（終了日は開始日の365日後まで）' });
			expect(await refused(seasonEntries({ ...rule, from: addDays(tokyoDate(), -1) }))).toMatchObject({ from: '開始日は今日以降の日付にしてください' });
			expect(await refused(seasonEntries({ ...rule, from: `${YEAR}-02-30` }))).toEqual({ from: '開始日は 2026-04-01 の形の日付で入力してください' });
			// A paused site takes no new sessions.
			await store.transaction((tx) =>
				writeCentreRecords(tx, 'sites', [{ id: log.sites.wakaba, data: f.site(programs.niko, { nameJa: '若葉児童館', active: false }) }])
			);
			const paused = await snapshot();
			expect(await refused(seasonEntries(rule))).toEqual({ form: '休止中の会場には開催回を作成できません。先に会場を「実施中」にしてください' });
			expect(await snapshot()).toEqual(paused);
			expect(before.audit).toEqual(paused.audit);
		});
	});

	describe('one session', () => {
		let future: string[];
		beforeEach(async () => {
			const d = addDays(tokyoDate(), 7);
			future = await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [
					{ data: f.session(log.sites.koen, { date: d, startTime: '10:00', endTime: '11:30' }) },
					{ data: f.session(log.sites.koen, { date: d, startTime: '13:00', endTime: '14:00' }) },
					{ data: f.session(log.sites.wakaba, { date: d }) }
				])
			);
		});
		const ids = (sessionId: string, siteId = log.sites.koen) => ({ id: siteId, sessionId });
		const act = async (fn: unknown, p: { id: string; sessionId: string }, form: Record<string, string>) =>
			(await post(fn, `/centre/sites/${p.id}/sessions/${p.sessionId}`, { version: (await session(p.sessionId)).hlc, ...form }, { params: p })) as any;

		it('cancels an outdoor session for rain, which the site’s tablet pulls as 中止（雨天）, and restores it', async () => {
			const p = ids(future[0]!);
			const { dev, changes: first, cursor } = await pulledSessions([log.sites.koen]);
			expect(first.find((c) => c.id === p.sessionId)!.data).toMatchObject({ status: 'scheduled' });

			expect(await act(sessionPage.actions.cancel, p, { reason: 'rain' })).toEqual({ kind: 'ok', value: { done: 'cancel' } });
			expect((await session(p.sessionId)).data).toMatchObject({ status: 'cancelled', cancelReason: 'rain' });
			const page = (await call(sessionPage.load, centreEvent('/centre/sites/x', { token: tokens.coordinator, params: p }))) as any;
			expect(page.value.session.statusLabel).toBe('中止（雨天）');
			// The tablet's next pull carries the cancellation.
			const next = (await (
				await inProcessFetch()(`${BASE_URL}/api/v1/sync/pull?since=${cursor}&limit=1000`, { headers: { authorization: `Bearer ${dev.token}` } })
			).json()) as { changes: Change[] };
			expect(next.changes.filter((c) => c.table === 'sessions')).toMatchObject([{ id: p.sessionId, data: { status: 'cancelled', cancelReason: 'rain' } }]);

			expect(await act(sessionPage.actions.restore, p, {})).toEqual({ kind: 'ok', value: { done: 'restore' } });
			expect((await session(p.sessionId)).data).toMatchObject({ status: 'scheduled', cancelReason: null });
			const date = (await session(p.sessionId)).data.date;
			expect(await auditRows()).toEqual([
				{
					actor: coordinatorActor,
					action: 'session.cancel',
					subject: p.sessionId,
					detail: { siteId: log.sites.koen, date, reason: 'rain', from: 'scheduled' }
				},
				{ actor: coordinatorActor, action: 'session.restore', subject: p.sessionId, detail: { siteId: log.sites.koen, date, reason: 'rain' } }
			]);
		});

		it('refuses rain indoors, a second cancellation, cancelling a closed session, restoring one not cancelled, and a stale version', async () => {
			const indoor = ids(future[2]!, log.sites.wakaba);
			const before = await snapshot();
			expect((await act(sessionPage.actions.cancel, indoor, { reason: 'rain' })).data.errors).toEqual({ reason: '雨天中止は屋外の会場の開催回だけです' });
			expect((await act(sessionPage.actions.cancel, indoor, {})).data.errors).toEqual({ reason: '中止の理由を選んでください' });
			expect((await act(sessionPage.actions.cancel, indoor, { reason: 'typhoon' })).data.errors).toEqual({ reason: '中止の理由を選んでください' });
			expect((await act(sessionPage.actions.restore, indoor, {})).data.errors).toEqual({ form: 'この開催回は中止になっていません' });
			expect(await snapshot()).toEqual(before);

			expect((await act(sessionPage.actions.cancel, indoor, { reason: 'weather' })).kind).toBe('ok');
			const cancelled = await snapshot();
			expect((await act(sessionPage.actions.cancel, indoor, { reason: 'other' })).data.errors).toEqual({ form: 'この開催回はすでに中止になっています' });
			const stale = (await post(
				sessionPage.actions.restore,
				'/centre/sites/x',
				{ version: before.sessions.find((s: any) => s.id === indoor.sessionId)!.hlc as string },
				{ params: indoor }
			)) as any;
			expect(stale.status).toBe(409);
			expect(stale.data.errors.form).toMatch(/先に更新しました/);
			expect(await snapshot()).toEqual(cancelled);

			const closed = ids(log.sessions.apr, log.sites.wakaba);
			await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [{ id: closed.sessionId, data: f.session(log.sites.wakaba, { date: '2026-04-10', status: 'closed' }) }])
			);
			expect((await act(sessionPage.actions.cancel, closed, { reason: 'other' })).data.errors).toEqual({ form: '終了した開催回は中止にできません' });
			const missing = await call(sessionPage.load, centreEvent('/centre/sites/x', { token: tokens.coordinator, params: ids(future[2]!) }));
			expect(missing).toEqual({ kind: 'error', status: 404, message: '開催回が見つかりません' });
		});

		it('moves a session to another date or time, audited; refuses to move the date of one with records, or onto another session', async () => {
			const p = ids(future[0]!);
			const was = (await session(p.sessionId)).data;
			const to = addDays(was.date, 1);
			expect(await act(sessionPage.actions.update, p, { date: to, startTime: '09:30', endTime: '11:00' })).toEqual({ kind: 'ok', value: { done: 'update' } });
			expect((await session(p.sessionId)).data).toEqual({ ...was, date: to, startTime: '09:30', endTime: '11:00' });
			expect(await auditRows()).toEqual([
				{
					actor: coordinatorActor,
					action: 'session.update',
					subject: p.sessionId,
					detail: {
						siteId: log.sites.koen,
						from: { date: was.date, startTime: '10:00', endTime: '11:30' },
						to: { date: to, startTime: '09:30', endTime: '11:00' }
					}
				}
			]);

			const before = await snapshot();
			const refused = async (q: { id: string; sessionId: string }, form: Record<string, string>) => {
				const o = await act(sessionPage.actions.update, q, form);
				expect(o.kind).toBe('fail');
				return o.data.errors;
			};
			// The log's April session has two consultations (and one deleted): its date stays.
			const apr = ids(log.sessions.apr, log.sites.wakaba);
			expect(await refused(apr, { date: addDays(tokyoDate(), 3), startTime: '10:00', endTime: '12:00' })).toEqual({
				date: 'この開催回には相談記録2件があるため、日付は変更できません（時間は変更できます）'
			});
			await store.transaction((tx) => writeCentreRecords(tx, 'visits', [{ data: f.visit(future[1]!) }]));
			const withVisit = await snapshot();
			expect(await refused(ids(future[1]!), { date: to, startTime: '13:00', endTime: '14:00' })).toEqual({
				date: 'この開催回には来場記録1件があるため、日付は変更できません（時間は変更できます）'
			});
			// The afternoon session stays on the first date: the moved one may not come back onto it.
			expect(await refused(p, { date: was.date, startTime: '13:30', endTime: '14:30' })).toEqual({
				startTime: 'この会場のその日時には別の開催回があります'
			});
			expect(await refused(p, { date: to, startTime: '12:00', endTime: '11:00' })).toEqual({ endTime: '終了時刻は開始時刻より後にしてください' });
			expect(await refused(p, { date: '2026-02-30', startTime: '09:30', endTime: '11:00' })).toEqual({ date: '日付は 2026-04-01 の形で入力してください' });
			expect(await refused(p, { date: addDays(tokyoDate(), -1), startTime: '09:30', endTime: '11:00' })).toEqual({ date: '過去の日付には移せません' });
			expect(await refused(p, { date: to, startTime: '09:30', endTime: '11:00' })).toEqual({ form: '変更された項目がありません' });
			expect(await snapshot()).toEqual(withVisit);
			expect(withVisit.audit).toEqual(before.audit);

			// Times of a session with visits may change.
			expect((await act(sessionPage.actions.update, ids(future[1]!), { date: was.date, startTime: '13:00', endTime: '15:00' })).kind).toBe('ok');
		});
	});

	describe('sessions past their end time that never opened', () => {
		const UNOPENED = '未開催（受付されませんでした）';
		const load = async (siteId: string, month: string) =>
			((await call(sitePage.load, centreEvent(`/centre/sites/x?month=${month}`, { token: tokens.coordinator, params: { id: siteId } }))) as any).value;

		it('flags a session still 予定 after its end time on the site’s list and its own page, and not one that opened, was cancelled or is still to come', async () => {
			const yesterday = addDays(tokyoDate(), -1);
			const tomorrow = addDays(tokyoDate(), 1);
			const [missed, held, cancelled, coming] = await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [
					{ data: f.session(log.sites.koen, { date: yesterday, startTime: '09:00', endTime: '10:00' }) },
					{ data: f.session(log.sites.koen, { date: yesterday, startTime: '10:30', endTime: '11:30', status: 'closed' }) },
					{ data: f.session(log.sites.koen, { date: yesterday, startTime: '13:00', endTime: '14:00', status: 'cancelled', cancelReason: 'rain' }) },
					{ data: f.session(log.sites.koen, { date: tomorrow, startTime: '10:00', endTime: '12:00' }) }
				])
			);
			const rows = [...(await load(log.sites.koen, yesterday.slice(0, 7))).sessions, ...(await load(log.sites.koen, tomorrow.slice(0, 7))).sessions];
			const shown = (id: string) => rows.find((r: any) => r.id === id);
			expect(shown(missed!)).toMatchObject({ statusLabel: UNOPENED, unopened: true });
			expect(shown(held!)).toMatchObject({ statusLabel: '終了', unopened: false });
			expect(shown(cancelled!)).toMatchObject({ statusLabel: '中止（雨天）', unopened: false });
			expect(shown(coming!)).toMatchObject({ statusLabel: '予定', unopened: false });

			const one = (await call(
				sessionPage.load,
				centreEvent('/centre/sites/x', { token: tokens.coordinator, params: { id: log.sites.koen, sessionId: missed! } })
			)) as any;
			expect(one.value.session).toMatchObject({ status: 'scheduled', statusLabel: UNOPENED, unopened: true });
			// Once the tablet's news arrives (opened, then closed), the flag goes.
			await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [
					{ id: missed!, data: f.session(log.sites.koen, { date: yesterday, startTime: '09:00', endTime: '10:00', status: 'closed' }) }
				])
			);
			expect((await load(log.sites.koen, yesterday.slice(0, 7))).sessions.find((r: any) => r.id === missed)).toMatchObject({
				statusLabel: '終了',
				unopened: false
			});
		});

		it('counts this 年度’s on the overview as of Tokyo time, newest first, and flags today’s that has ended', async () => {
			// A 年度 of its own, years ahead, so the fixture's sessions are not in it; 12:30 in Tokyo is 03:30 UTC.
			const fy = Number(tokyoDate().slice(0, 4)) + 3;
			const today = `${fy}-06-10`;
			const now = Date.parse(`${today}T03:30:00Z`);
			const [earlier, endedToday, laterToday, held, rained, lastYear] = await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [
					{ data: f.session(log.sites.koen, { date: `${fy}-06-09` }) },
					{ data: f.session(log.sites.wakaba, { date: today, startTime: '10:00', endTime: '12:30' }) },
					{ data: f.session(log.sites.sakura, { date: today, startTime: '12:00', endTime: '12:31' }) },
					{ data: f.session(log.sites.sakura, { date: `${fy}-06-09`, status: 'closed' }) },
					{ data: f.session(log.sites.koen, { date: `${fy}-06-08`, status: 'cancelled', cancelReason: 'rain' }) },
					{ data: f.session(log.sites.wakaba, { date: `${fy}-03-31` }) }
				])
			);
			const o = await loadOverview(store, now);
			expect(o.date).toBe(today);
			expect(o.unopened.count).toBe(2);
			expect(o.unopened.latest).toEqual([
				{ id: endedToday, siteId: log.sites.wakaba, siteName: '若葉児童館', programName: 'にこにこ', date: today, startTime: '10:00', endTime: '12:30' },
				{
					id: earlier,
					siteId: log.sites.koen,
					siteName: '中央公園',
					programName: 'おひさまぴよぴよ',
					date: `${fy}-06-09`,
					startTime: '10:00',
					endTime: '12:00'
				}
			]);
			expect(o.today.map((s) => [s.id, s.unopened])).toEqual(
				expect.arrayContaining([
					[endedToday, true],
					[laterToday, false]
				])
			);
			for (const id of [held, rained, lastYear]) expect(o.unopened.latest.some((u) => u.id === id)).toBe(false);
			// A minute later the afternoon session has ended too.
			expect((await loadOverview(store, now + 60_000)).unopened.count).toBe(3);
			// Tokyo's next day (15:00 UTC) is still the same 年度: yesterday's count stays.
			expect((await loadOverview(store, Date.parse(`${today}T15:00:00Z`))).unopened.count).toBe(3);

			// The page shows the overview of the server's own now, to consultants too.
			const page = (await call(overview.load, centreEvent('/centre', { token: tokens.consultant }))) as any;
			expect(page.value.overview.unopened).toEqual((await loadOverview(store)).unopened);
		});
	});
});
