/**
 * Sites (会場) and their sessions (開催回) as coordinators run them from the centre: list, create
 * and edit sites; generate a season of sessions; move, cancel and restore one session.
 *
 * Sites and sessions are synced tables, so every change goes through `writeCentreRecords` (schema,
 * a stamp after the stored one, `seq`) and reaches the site's tablets at their next pull; each is
 * audited in the same transaction. Each change is checked against the version (stamp) the
 * coordinator's screen showed, under the sync write lock: a tablet that opened or cancelled the
 * session in the meantime is not overwritten unseen (the coordinator gets the newer state to look at).
 */
import { z } from 'zod';
import { CANCEL_REASON_LABEL_JA } from '$lib/domain/attendance-labels';
import { addDays, isValidIsoDate, type IsoDate } from '$lib/domain/dates';
import { HLC_RE } from '$lib/domain/hlc';
import { UUID_RE } from '$lib/domain/ids';
import { CANCEL_REASONS, SITE_CAPACITY_MAX, type SessionData, type SiteData } from '$lib/domain/schemas';
import { isUnopened, UNOPENED_LABEL_JA } from '$lib/domain/session-state';
import { cleanText } from '$lib/server/clean-text';
import { audit } from '../auth/devices';
import type { Queryable, Store } from '../db/store';
import { takeWriteLock, writeCentreRecords } from '../sync/records';
import { overlaps, planSeason, type SeasonPlan, type SeasonRule } from './season';

export const SITE_MANAGERS = ['coordinator', 'admin'] as const;
export const STALE_MESSAGE = '他の人または端末が先に更新しました。ページを再読み込みして、最新の内容を確認してください';

export const SESSION_STATUS_JA: Record<SessionData['status'], string> = { scheduled: '予定', open: '開催中', closed: '終了', cancelled: '中止' };

/** `予定`, `開催中`, `終了`, `中止（雨天）`. */
export function sessionStatusJa(status: SessionData['status'], cancelReason: SessionData['cancelReason']): string {
	const label = SESSION_STATUS_JA[status] ?? status;
	return status === 'cancelled' && cancelReason ? `${label}（${CANCEL_REASON_LABEL_JA[cancelReason] ?? cancelReason}）` : label;
}

// ---------------------------------------------------------------------------------------------
// Sites

export interface ProgramOption {
	id: string;
	code: string;
	nameJa: string;
	outdoor: boolean;
}

export async function listPrograms(db: Queryable): Promise<ProgramOption[]> {
	const r = await db.query<ProgramOption>(
		`select id::text, data->>'code' as code, data->>'nameJa' as "nameJa", (data->>'outdoor')::boolean as outdoor
		 from programs where not deleted order by (data->>'sort')::int, data->>'nameJa'`
	);
	return r.rows;
}

export interface SiteRow {
	id: string;
	programId: string;
	programCode: string;
	programName: string;
	nameJa: string;
	place: string;
	capacity: number | null;
	outdoor: boolean;
	hasConsultant: boolean;
	active: boolean;
	/** The next session from today that is not cancelled, if any. */
	nextDate: IsoDate | null;
	/** Sessions from today on, cancelled ones too. */
	upcoming: number;
}

export interface SiteDetail extends SiteRow {
	/** The stored stamp: what an edit of this screen says it started from. */
	version: string;
}

const SITE_SELECT = `select st.id::text, st.program_id::text as "programId", p.data->>'code' as "programCode", p.data->>'nameJa' as "programName",
	        st.data->>'nameJa' as "nameJa", st.data->>'place' as place, (st.data->>'capacity')::int as capacity,
	        (st.data->>'outdoor')::boolean as outdoor, (st.data->>'hasConsultant')::boolean as "hasConsultant",
	        (st.data->>'active')::boolean as active, st.hlc as version,
	        (select min(s.session_date) from sessions s where s.site_id = st.id and not s.deleted and s.status <> 'cancelled' and s.session_date >= $1) as "nextDate",
	        (select count(*)::int from sessions s where s.site_id = st.id and not s.deleted and s.session_date >= $1) as upcoming
	 from sites st left join programs p on p.id = st.program_id`;

/** Every site that is not deleted, active or not, by program (in the programs' order) and name. */
export async function listSites(db: Queryable, today: IsoDate): Promise<SiteRow[]> {
	const r = await db.query<SiteDetail>(`${SITE_SELECT} where not st.deleted order by (p.data->>'sort')::int, st.data->>'nameJa', st.id`, [today]);
	return r.rows.map(({ version: _, ...row }) => row);
}

export async function loadSite(db: Queryable, id: string, today: IsoDate): Promise<SiteDetail | null> {
	if (!UUID_RE.test(id)) return null;
	const r = await db.query<SiteDetail>(`${SITE_SELECT} where not st.deleted and st.id = $2::uuid`, [today, id]);
	return r.rows[0] ?? null;
}

const checkbox = (label: string) =>
	z
		.literal('on', { error: `${label}の指定が正しくありません` })
		.optional()
		.transform((v) => v === 'on');

export const siteForm = z.object({
	programId: z.string({ error: '事業を選んでください' }).regex(UUID_RE, '事業を選んでください'),
	nameJa: cleanText({ message: '会場名に使えない文字が含まれています' })
		.trim()
		.min(1, '会場名を入力してください')
		.max(80, '会場名は80文字以内で入力してください')
		.prefault(''),
	place: cleanText({ message: '所在地に使えない文字が含まれています' }).trim().max(120, '所在地は120文字以内で入力してください').prefault(''),
	capacity: z.coerce
		.number({ error: '定員は数字で入力してください' })
		.int('定員は整数で入力してください')
		.min(1, `定員は1〜${SITE_CAPACITY_MAX}の数で入力してください`)
		.max(SITE_CAPACITY_MAX, `定員は1〜${SITE_CAPACITY_MAX}の数で入力してください`)
		.optional()
		.transform((v) => v ?? null),
	hasConsultant: checkbox('相談員あり'),
	active: checkbox('実施中')
});
export type SiteForm = z.infer<typeof siteForm>;

/** An edit also says which version of the site the form was filled from. */
export const siteEditForm = siteForm.extend({ version: z.string({ error: '画面を読み込み直してください' }).regex(HLC_RE, '画面を読み込み直してください') });

export type WriteResult<T = object> =
	({ status: 'ok' } & T) | { status: 'not_found' } | { status: 'stale' } | { status: 'invalid'; errors: Record<string, string> };

/** The form's values as the site's record: `outdoor` follows the program (parks are outdoors). */
async function siteRecord(tx: Queryable, form: SiteForm, id: string | null): Promise<{ data: SiteData } | { errors: Record<string, string> }> {
	const program = await tx.query<{ outdoor: boolean }>(`select (data->>'outdoor')::boolean as outdoor from programs where id = $1::uuid and not deleted`, [
		form.programId
	]);
	if (!program.rows[0]) return { errors: { programId: '事業を選んでください' } };
	const twin = await tx.query(
		`select 1 from sites where not deleted and program_id = $1::uuid and data->>'nameJa' = $2 and ($3::uuid is null or id <> $3::uuid)`,
		[form.programId, form.nameJa, id]
	);
	if (twin.rows.length > 0) return { errors: { nameJa: 'この事業には同じ名前の会場がすでにあります' } };
	return {
		data: {
			programId: form.programId,
			nameJa: form.nameJa,
			place: form.place,
			capacity: form.capacity,
			outdoor: program.rows[0].outdoor,
			hasConsultant: form.hasConsultant,
			active: form.active
		}
	};
}

export async function createSite(store: Store, actor: string, form: SiteForm): Promise<WriteResult<{ id: string }>> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const rec = await siteRecord(tx, form, null);
		if ('errors' in rec) return { status: 'invalid', errors: rec.errors };
		const [id] = await writeCentreRecords(tx, 'sites', [{ data: rec.data }]);
		await audit(tx, actor, 'site.create', id!, { programId: rec.data.programId, nameJa: rec.data.nameJa });
		return { status: 'ok', id: id! };
	});
}

const SITE_FIELDS = ['programId', 'nameJa', 'place', 'capacity', 'outdoor', 'hasConsultant', 'active'] as const;

export async function updateSite(
	store: Store,
	actor: string,
	id: string,
	form: SiteForm & { version: string }
): Promise<WriteResult | { status: 'unchanged' }> {
	if (!UUID_RE.test(id)) return { status: 'not_found' };
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const stored = await tx.query<{ hlc: string; data: SiteData }>(`select hlc, data from sites where id = $1::uuid and not deleted`, [id]);
		const current = stored.rows[0];
		if (!current) return { status: 'not_found' };
		if (current.hlc !== form.version) return { status: 'stale' };
		const rec = await siteRecord(tx, form, id);
		if ('errors' in rec) return { status: 'invalid', errors: rec.errors };
		const changed = SITE_FIELDS.filter((k) => (current.data[k] ?? null) !== (rec.data[k] ?? null));
		if (changed.length === 0) return { status: 'unchanged' };
		await writeCentreRecords(tx, 'sites', [{ id, data: rec.data }]);
		await audit(tx, actor, 'site.update', id, { changed });
		return { status: 'ok' };
	});
}

// ---------------------------------------------------------------------------------------------
// Sessions

export interface SessionRow {
	id: string;
	date: IsoDate;
	startTime: string;
	endTime: string;
	status: SessionData['status'];
	cancelReason: SessionData['cancelReason'];
	/** `予定`, `開催中`, `終了`, `中止（雨天）`, `未開催（受付されませんでした）`… */
	statusLabel: string;
	/** Still 予定 after its end time (Tokyo): no tablet opened it, or it has not synced since. */
	unopened: boolean;
	visits: number;
}

export interface SessionDetail extends SessionRow {
	siteId: string;
	version: string;
	consultations: number;
}

export interface MonthCount {
	month: string;
	sessions: number;
}

/** The months that have sessions at the site, with how many (cancelled ones too). */
export async function sessionMonths(db: Queryable, siteId: string): Promise<MonthCount[]> {
	const r = await db.query<MonthCount>(
		`select substr(session_date, 1, 7) as month, count(*)::int as sessions from sessions
		 where site_id = $1::uuid and not deleted group by 1 order by 1`,
		[siteId]
	);
	return r.rows;
}

type StoredSession = Omit<SessionRow, 'statusLabel' | 'unopened'>;

/** The row as the pages show it, as of `now`: a session past its end time that never opened says so. */
const withLabel = <T extends StoredSession>(row: T, now: number): T & { statusLabel: string; unopened: boolean } => {
	const unopened = isUnopened(row, now);
	return { ...row, unopened, statusLabel: unopened ? UNOPENED_LABEL_JA : sessionStatusJa(row.status, row.cancelReason) };
};

const SESSION_COLS = `s.id::text, s.session_date as date, s.data->>'startTime' as "startTime", s.data->>'endTime' as "endTime", s.status,
	s.data->>'cancelReason' as "cancelReason",
	(select count(*)::int from visits v where v.session_id = s.id and not v.deleted) as visits`;

/** One month's sessions at the site, in date and time order. */
export async function listSessions(db: Queryable, siteId: string, month: string, now: number = Date.now()): Promise<SessionRow[]> {
	const r = await db.query<StoredSession>(
		`select ${SESSION_COLS} from sessions s
		 where s.site_id = $1::uuid and not s.deleted and s.session_date like $2
		 order by s.session_date, s.data->>'startTime', s.id`,
		[siteId, `${month}-%`]
	);
	return r.rows.map((row) => withLabel(row, now));
}

export async function loadSession(db: Queryable, siteId: string, sessionId: string, now: number = Date.now()): Promise<SessionDetail | null> {
	if (!UUID_RE.test(siteId) || !UUID_RE.test(sessionId)) return null;
	const r = await db.query<Omit<SessionDetail, 'statusLabel' | 'unopened'>>(
		`select ${SESSION_COLS}, s.site_id::text as "siteId", s.hlc as version,
		        (select count(*)::int from consultations c where c.session_id = s.id and not c.deleted) as consultations
		 from sessions s where s.id = $1::uuid and s.site_id = $2::uuid and not s.deleted`,
		[sessionId, siteId]
	);
	return r.rows[0] ? withLabel(r.rows[0], now) : null;
}

async function sessionsBetween(tx: Queryable, siteId: string, from: IsoDate, to: IsoDate, except: string | null = null) {
	const r = await tx.query<{ date: IsoDate; startTime: string; endTime: string }>(
		`select session_date as date, data->>'startTime' as "startTime", data->>'endTime' as "endTime" from sessions
		 where site_id = $1::uuid and not deleted and session_date between $2 and $3 and ($4::uuid is null or id <> $4::uuid)`,
		[siteId, from, to, except]
	);
	return r.rows;
}

/** What a season would create and skip at the site, as of now. */
export async function previewSeason(db: Queryable, siteId: string, rule: SeasonRule): Promise<SeasonPlan> {
	return planSeason(rule, await sessionsBetween(db, siteId, rule.from, rule.to));
}

export type GenerateResult =
	{ status: 'ok'; created: number; plan: SeasonPlan } | { status: 'not_found' } | { status: 'invalid'; errors: Record<string, string> };

/**
 * Plan again under the write lock (what the preview showed may have changed since) and create the
 * season's sessions in one transaction: all of them or, on any failure, none.
 */
export async function generateSeason(store: Store, actor: string, siteId: string, rule: SeasonRule, now: number = Date.now()): Promise<GenerateResult> {
	if (!UUID_RE.test(siteId)) return { status: 'not_found' };
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const site = await tx.query<{ active: boolean }>(`select (data->>'active')::boolean as active from sites where id = $1::uuid and not deleted`, [siteId]);
		if (!site.rows[0]) return { status: 'not_found' };
		if (!site.rows[0].active) return { status: 'invalid', errors: { form: '休止中の会場には開催回を作成できません。先に会場を「実施中」にしてください' } };
		const plan = planSeason(rule, await sessionsBetween(tx, siteId, rule.from, rule.to));
		if (plan.create.length === 0) return { status: 'invalid', errors: { form: 'この条件で作成できる開催回はありません' } };
		await writeCentreRecords(
			tx,
			'sessions',
			plan.create.map((date) => ({
				data: { siteId, date, startTime: rule.startTime, endTime: rule.endTime, status: 'scheduled' as const, cancelReason: null }
			})),
			now
		);
		await audit(tx, actor, 'session.generate', siteId, {
			count: plan.create.length,
			from: rule.from,
			to: rule.to,
			weekdays: rule.weekdays,
			startTime: rule.startTime,
			endTime: rule.endTime,
			skipped: plan.skipped.length
		});
		return { status: 'ok', created: plan.create.length, plan };
	});
}

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const version = z.string({ error: '画面を読み込み直してください' }).regex(HLC_RE, '画面を読み込み直してください');

export const sessionEditForm = z
	.object({
		version,
		date: z.string({ error: '日付を入力してください' }).refine(isValidIsoDate, '日付は 2026-04-01 の形で入力してください'),
		startTime: z.string({ error: '開始時刻を入力してください' }).regex(TIME_RE, '開始時刻は 10:00 の形で入力してください'),
		endTime: z.string({ error: '終了時刻を入力してください' }).regex(TIME_RE, '終了時刻は 12:00 の形で入力してください')
	})
	.superRefine((s, ctx) => {
		if (TIME_RE.test(s.startTime) && TIME_RE.test(s.endTime) && s.endTime <= s.startTime)
			ctx.addIssue({ code: 'custom', path: ['endTime'], message: '終了時刻は開始時刻より後にしてください' });
	});
export type SessionEdit = z.infer<typeof sessionEditForm>;

export const cancelForm = z.object({
	version,
	reason: z.enum(CANCEL_REASONS, { error: '中止の理由を選んでください' })
});
export const restoreForm = z.object({ version });

type SessionWrite = WriteResult | { status: 'unchanged' };

/** Under the write lock: the session as stored, or why not (gone, or changed since the screen showed it). */
async function lockedSession(tx: Queryable, siteId: string, sessionId: string, seen: string) {
	await takeWriteLock(tx);
	if (!UUID_RE.test(siteId) || !UUID_RE.test(sessionId)) return { status: 'not_found' as const };
	const r = await tx.query<{ hlc: string; data: SessionData }>(`select hlc, data from sessions where id = $1::uuid and site_id = $2::uuid and not deleted`, [
		sessionId,
		siteId
	]);
	const row = r.rows[0];
	if (!row) return { status: 'not_found' as const };
	if (row.hlc !== seen) return { status: 'stale' as const };
	return { status: 'found' as const, data: row.data };
}

/**
 * Move a session to another date or time. A session that families came to (visits) or that has
 * consultations keeps its date: moving it would file those records under a day they did not happen.
 */
export async function updateSession(store: Store, actor: string, siteId: string, sessionId: string, edit: SessionEdit, today: IsoDate): Promise<SessionWrite> {
	return store.transaction(async (tx): Promise<SessionWrite> => {
		const found = await lockedSession(tx, siteId, sessionId, edit.version);
		if (found.status !== 'found') return found;
		const was = found.data;
		if (was.date === edit.date && was.startTime === edit.startTime && was.endTime === edit.endTime) return { status: 'unchanged' };
		if (was.date !== edit.date) {
			const held = await tx.query<{ visits: number; consultations: number }>(
				`select (select count(*)::int from visits where session_id = $1::uuid and not deleted) as visits,
				        (select count(*)::int from consultations where session_id = $1::uuid and not deleted) as consultations`,
				[sessionId]
			);
			const { visits, consultations } = held.rows[0]!;
			if (visits > 0 || consultations > 0) {
				const what = [visits > 0 ? `来場記録${visits}件` : null, consultations > 0 ? `相談記録${consultations}件` : null].filter(Boolean).join('・');
				return { status: 'invalid', errors: { date: `この開催回には${what}があるため、日付は変更できません（時間は変更できます）` } };
			}
			if (edit.date < today) return { status: 'invalid', errors: { date: '過去の日付には移せません' } };
		}
		const others = await sessionsBetween(tx, siteId, edit.date, edit.date, sessionId);
		if (others.some((o) => overlaps(o, edit))) return { status: 'invalid', errors: { startTime: 'この会場のその日時には別の開催回があります' } };
		await writeCentreRecords(tx, 'sessions', [{ id: sessionId, data: { ...was, date: edit.date, startTime: edit.startTime, endTime: edit.endTime } }]);
		await audit(tx, actor, 'session.update', sessionId, {
			siteId,
			from: { date: was.date, startTime: was.startTime, endTime: was.endTime },
			to: { date: edit.date, startTime: edit.startTime, endTime: edit.endTime }
		});
		return { status: 'ok' };
	});
}

/** Cancel a scheduled or open session (rain only where the site is outdoors); tablets show it at their next sync. */
export async function cancelSession(store: Store, actor: string, siteId: string, sessionId: string, input: z.infer<typeof cancelForm>): Promise<SessionWrite> {
	return store.transaction(async (tx): Promise<SessionWrite> => {
		const found = await lockedSession(tx, siteId, sessionId, input.version);
		if (found.status !== 'found') return found;
		const was = found.data;
		if (was.status === 'cancelled') return { status: 'invalid', errors: { form: 'この開催回はすでに中止になっています' } };
		if (was.status === 'closed') return { status: 'invalid', errors: { form: '終了した開催回は中止にできません' } };
		if (input.reason === 'rain') {
			const site = await tx.query<{ outdoor: boolean }>(`select (data->>'outdoor')::boolean as outdoor from sites where id = $1::uuid`, [siteId]);
			if (!site.rows[0]?.outdoor) return { status: 'invalid', errors: { reason: '雨天中止は屋外の会場の開催回だけです' } };
		}
		await writeCentreRecords(tx, 'sessions', [{ id: sessionId, data: { ...was, status: 'cancelled', cancelReason: input.reason } }]);
		await audit(tx, actor, 'session.cancel', sessionId, { siteId, date: was.date, reason: input.reason, from: was.status });
		return { status: 'ok' };
	});
}

/** Undo a cancellation: the session is scheduled again (staff open it on the tablet as usual). */
export async function restoreSession(
	store: Store,
	actor: string,
	siteId: string,
	sessionId: string,
	input: z.infer<typeof restoreForm>
): Promise<SessionWrite> {
	return store.transaction(async (tx): Promise<SessionWrite> => {
		const found = await lockedSession(tx, siteId, sessionId, input.version);
		if (found.status !== 'found') return found;
		const was = found.data;
		if (was.status !== 'cancelled') return { status: 'invalid', errors: { form: 'この開催回は中止になっていません' } };
		await writeCentreRecords(tx, 'sessions', [{ id: sessionId, data: { ...was, status: 'scheduled', cancelReason: null } }]);
		await audit(tx, actor, 'session.restore', sessionId, { siteId, date: was.date, reason: was.cancelReason });
		return { status: 'ok' };
	});
}

export const monthQuery = z.object({
	month: z
		.string()
		.regex(/^\d{4}-(0[1-9]|1[0-2])$/, '月は 2026-04 の形で指定してください')
		.optional()
});

/** The month before and after `month` (`YYYY-MM`). */
export function neighbourMonths(month: string): { prev: string; next: string } {
	const first = `${month}-01`;
	return { prev: addDays(first, -1).slice(0, 7), next: addDays(first, 32).slice(0, 7) };
}
