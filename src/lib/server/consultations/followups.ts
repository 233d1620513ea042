/**
 * The follow-up queue: cases opened by referrals (cases.ts), worked at the centre. Cases live only
 * at the centre (tablets never receive them), so a change here is a plain row update, guarded by
 * the case's `version` so that two people cannot overwrite each other unseen, and recorded twice:
 * as a followup_events row (the case's history) and in the audit log. A comment is sealed to the
 * centre's key like a note and opened only to show it, audited.
 */
import { z } from 'zod';
import { CASE_STATUS_LABEL, CASE_STATUSES, FOLLOW_UP_LABEL, URGENCY_LABEL, labelOf, type CaseStatus } from '$lib/domain/consultation-labels';
import { daysBetween, isValidIsoDate, tokyoDate } from '$lib/domain/dates';
import { UUID_RE, uuidv7 } from '$lib/domain/ids';
import { openSealed, seal, SealError } from '$lib/domain/seal';
import type { ConsultationData } from '$lib/domain/schemas';
import { cleanText } from '$lib/server/clean-text';
import type { Queryable, Store } from '../db/store';
import type { Keyring } from '../crypto/keyring';
import type { StaffUser } from '../auth/staff-sessions';
import { audit } from '../auth/devices';
import { inScope, siteScope, STAFF_PICKER_ORDER } from './scope';
import { sealErrorMessage, topicLabels, type OpenedText } from './queries';

export const COMMENT_MAX = 500;
/** The queue shows at most this many cases; the filters narrow it. */
export const QUEUE_MAX = 500;
export const STALE_MESSAGE = '他の人が先に更新しました。最新の内容を確認してください';

export const commentContext = (caseId: string, eventId: string) => `followup-comments/${caseId}/${eventId}`;

/** Which status a case may move to from each: forward, and a closed case back to in progress. */
export const NEXT_STATUSES: Record<CaseStatus, readonly CaseStatus[]> = {
	open: ['open', 'in_progress'],
	in_progress: ['in_progress', 'closed'],
	closed: ['closed', 'in_progress']
};

export const caseFilter = z.object({
	status: z.enum(['active', 'all', ...CASE_STATUSES], { error: '状態の指定が正しくありません' }).default('active'),
	owner: z
		.string()
		.refine((v) => v === 'none' || UUID_RE.test(v), '担当者の指定が正しくありません')
		.optional(),
	site: z.string().regex(UUID_RE, '会場の指定が正しくありません').optional()
});
export type CaseFilter = z.infer<typeof caseFilter>;

export const caseUpdateForm = z.object({
	version: z.coerce.number({ error: '画面を読み込み直してください' }).int('画面を読み込み直してください').min(1, '画面を読み込み直してください'),
	status: z.enum(CASE_STATUSES, { error: '状態を選んでください' }),
	owner: z.string().regex(UUID_RE, '担当者の指定が正しくありません').optional(),
	dueDate: z.string().refine(isValidIsoDate, '期限は日付で入力してください').optional(),
	comment: cleanText({ multiLine: true, message: 'コメントに使えない文字が含まれています' })
		.trim()
		.max(COMMENT_MAX, `コメントは${COMMENT_MAX}文字以内で入力してください`)
		.optional()
});
export type CaseUpdate = z.infer<typeof caseUpdateForm>;

export interface CaseRow {
	id: string;
	consultationId: string;
	status: CaseStatus;
	urgency: ConsultationData['urgency'];
	followUp: ConsultationData['followUp'];
	ownerName: string | null;
	dueDate: string | null;
	openedAt: string;
	/** Days since the case was opened, to today (or to the day it was closed). */
	waitedDays: number;
	overdue: boolean;
	siteName: string;
	sessionDate: string;
	staffName: string;
}

const msToIso = (ms: number | string | null) => (ms == null ? null : new Date(Number(ms)).toISOString());

function timing(status: CaseStatus, openedAtMs: number, closedAtMs: number | null, dueDate: string | null, now: number) {
	const today = tokyoDate(now);
	const end = status === 'closed' && closedAtMs !== null ? tokyoDate(closedAtMs) : today;
	return { waitedDays: Math.max(0, daysBetween(tokyoDate(openedAtMs), end)), overdue: status !== 'closed' && dueDate !== null && dueDate < today };
}

const CASE_FROM = `from followup_cases fc
	join consultations c on c.id = fc.consultation_id
	join sessions s on s.id = c.session_id
	join sites st on st.id = s.site_id
	left join staff sf on sf.id = c.staff_id
	left join staff ow on ow.id = fc.owner_staff_id`;

/** Open and in-progress cases first, urgent on top, then those waiting longest. */
export async function listCases(db: Queryable, user: StaffUser, filter: CaseFilter, now: number = Date.now()): Promise<CaseRow[]> {
	const scope = await siteScope(db, user);
	const params: unknown[] = [scope.siteIds];
	const conds = ['($1::uuid[] is null or s.site_id = any($1::uuid[]))'];
	if (filter.status === 'active') conds.push(`fc.status <> 'closed'`);
	else if (filter.status !== 'all') conds.push(`fc.status = $${params.push(filter.status)}`);
	if (filter.owner === 'none') conds.push('fc.owner_staff_id is null');
	else if (filter.owner) conds.push(`fc.owner_staff_id = $${params.push(filter.owner)}::uuid`);
	if (filter.site) conds.push(`s.site_id = $${params.push(filter.site)}::uuid`);
	const r = await db.query<{
		id: string;
		consultationId: string;
		status: CaseStatus;
		urgency: ConsultationData['urgency'];
		followUp: ConsultationData['followUp'];
		ownerName: string | null;
		dueDate: string | null;
		openedAtMs: number;
		closedAtMs: number | null;
		siteName: string;
		sessionDate: string;
		staffName: string;
	}>(
		`select fc.id::text, fc.consultation_id::text as "consultationId", fc.status, c.urgency, c.follow_up as "followUp",
		        ow.data->>'displayName' as "ownerName", fc.due_date as "dueDate",
		        (extract(epoch from fc.opened_at) * 1000)::float8 as "openedAtMs", (extract(epoch from fc.closed_at) * 1000)::float8 as "closedAtMs",
		        st.data->>'nameJa' as "siteName", s.session_date as "sessionDate", coalesce(sf.data->>'displayName', '（不明な職員）') as "staffName"
		 ${CASE_FROM}
		 where ${conds.join(' and ')}
		 order by fc.status = 'closed', case c.urgency when 'urgent' then 0 when 'watch' then 1 else 2 end, fc.opened_at, fc.id
		 limit ${QUEUE_MAX}`,
		params
	);
	return r.rows.map(({ openedAtMs, closedAtMs, ...row }) => ({
		...row,
		openedAt: msToIso(openedAtMs)!,
		...timing(row.status, Number(openedAtMs), closedAtMs == null ? null : Number(closedAtMs), row.dueDate, now)
	}));
}

export interface CaseChange {
	label: string;
	from: string;
	to: string;
}

export interface CaseEvent {
	id: string;
	at: string;
	actorName: string;
	/** What happened, in a sentence, for events the centre did not make by hand. */
	summary: string | null;
	changes: CaseChange[];
	comment: OpenedText | null;
}

export interface CaseDetail {
	id: string;
	consultationId: string;
	status: CaseStatus;
	ownerStaffId: string | null;
	ownerName: string | null;
	dueDate: string | null;
	openedAt: string;
	closedAt: string | null;
	version: number;
	waitedDays: number;
	overdue: boolean;
	consultation: {
		deleted: boolean;
		sessionDate: string;
		siteName: string;
		programName: string;
		staffName: string;
		topics: string[];
		urgency: ConsultationData['urgency'];
		followUp: ConsultationData['followUp'];
		consultedAt: string;
	};
	events: CaseEvent[];
}

export type CaseLookup = { status: 'ok'; detail: CaseDetail } | { status: 'not_found' } | { status: 'forbidden' };

interface CaseRecord {
	id: string;
	consultationId: string;
	status: CaseStatus;
	ownerStaffId: string | null;
	dueDate: string | null;
	version: number;
	siteId: string;
}

async function caseRecord(db: Queryable, id: string, lock = false): Promise<CaseRecord | null> {
	if (!UUID_RE.test(id)) return null;
	const r = await db.query<CaseRecord>(
		`select fc.id::text, fc.consultation_id::text as "consultationId", fc.status, fc.owner_staff_id::text as "ownerStaffId", fc.due_date as "dueDate",
		        fc.version, s.site_id::text as "siteId"
		 from followup_cases fc join consultations c on c.id = fc.consultation_id join sessions s on s.id = c.session_id
		 where fc.id = $1::uuid ${lock ? 'for update of fc' : ''}`,
		[id]
	);
	return r.rows[0] ?? null;
}

async function staffNames(db: Queryable): Promise<Map<string, string>> {
	const r = await db.query<{ id: string; name: string }>(`select id::text, data->>'displayName' as name from staff`);
	return new Map(r.rows.map((x) => [x.id, x.name]));
}

async function deviceNames(db: Queryable): Promise<Map<string, string>> {
	const r = await db.query<{ id: string; name: string }>(`select id::text, name from devices`);
	return new Map(r.rows.map((x) => [x.id, x.name]));
}

interface EventDetail {
	followUp?: string;
	urgency?: string;
	due?: string | null;
	deleted?: boolean;
	changes?: Partial<Record<'status' | 'owner' | 'dueDate', { from: string | null; to: string | null }>>;
	comment?: { id: string; sealed: string };
}

/** A case with its consultation's summary and history; comments opened. Audited `followup.open`. */
export async function loadCase(
	db: Queryable,
	user: StaffUser,
	id: string,
	keyring: Pick<Keyring, 'privateKeyFor'>,
	now: number = Date.now()
): Promise<CaseLookup> {
	const rec = await caseRecord(db, id);
	if (!rec) return { status: 'not_found' };
	if (!inScope(await siteScope(db, user), rec.siteId)) {
		await audit(db, `staff:${user.id}`, 'followup.open_refused', id, { siteId: rec.siteId });
		return { status: 'forbidden' };
	}
	const r = await db.query<{
		openedAtMs: number;
		closedAtMs: number | null;
		deleted: boolean;
		data: ConsultationData;
		sessionDate: string;
		siteName: string;
		programName: string;
		staffName: string;
	}>(
		`select (extract(epoch from fc.opened_at) * 1000)::float8 as "openedAtMs", (extract(epoch from fc.closed_at) * 1000)::float8 as "closedAtMs",
		        c.deleted, c.data, s.session_date as "sessionDate", st.data->>'nameJa' as "siteName",
		        coalesce(p.data->>'nameJa', '') as "programName", coalesce(sf.data->>'displayName', '（不明な職員）') as "staffName"
		 ${CASE_FROM} left join programs p on p.id = st.program_id
		 where fc.id = $1::uuid`,
		[id]
	);
	const row = r.rows[0]!;
	const events = await db.query<{ id: string; atMs: number; actor: string; action: string; detail: EventDetail }>(
		`select id::text, (extract(epoch from at) * 1000)::float8 as "atMs", actor, action, detail from followup_events where case_id = $1::uuid order by id`,
		[id]
	);
	const [staff, devices, labels] = await Promise.all([staffNames(db), deviceNames(db), topicLabels(db)]);
	const actorName = (actor: string) => {
		const [kind, who] = actor.split(':') as [string, string | undefined];
		if (kind === 'staff' && who) return staff.get(who) ?? '（不明な職員）';
		if (kind === 'device' && who) return `端末「${devices.get(who) ?? '不明'}」`;
		return 'センター';
	};
	const valueText = (field: string, v: string | null) =>
		v === null ? 'なし' : field === 'status' ? labelOf(CASE_STATUS_LABEL, v) : field === 'owner' ? (staff.get(v) ?? '（不明な職員）') : v;
	const FIELD_LABEL: Record<string, string> = { status: '状態', owner: '担当者', dueDate: '期限' };
	let opened = 0;
	const history: CaseEvent[] = [];
	for (const e of events.rows) {
		const d = e.detail ?? {};
		let summary: string | null = null;
		if (e.action === 'opened') {
			summary = `ケースを開きました（フォローアップ: ${labelOf(FOLLOW_UP_LABEL, d.followUp)}、緊急度: ${labelOf(URGENCY_LABEL, d.urgency)}、期限: ${d.due ?? 'なし'}）`;
		} else if (e.action === 'revised') {
			summary = d.deleted
				? '相談記録が削除されました'
				: `相談記録が改訂されました（フォローアップ: ${labelOf(FOLLOW_UP_LABEL, d.followUp)}、緊急度: ${labelOf(URGENCY_LABEL, d.urgency)}）`;
		}
		let comment: OpenedText | null = null;
		if (d.comment) {
			opened++;
			try {
				comment = { kind: 'text', note: await openSealed(d.comment.sealed, keyring.privateKeyFor, commentContext(id, d.comment.id)), followUpNote: null };
			} catch (err) {
				if (!(err instanceof SealError)) throw err;
				comment = { kind: 'error', message: sealErrorMessage(err, d.comment.sealed).replace('このメモ', 'このコメント') };
			}
		}
		history.push({
			id: e.id,
			at: msToIso(e.atMs)!,
			actorName: actorName(e.actor),
			summary,
			// jsonb keeps its keys in an order of its own: show the fields in the form's order.
			changes: (['status', 'owner', 'dueDate'] as const)
				.filter((field) => d.changes?.[field])
				.map((field) => ({ label: FIELD_LABEL[field]!, from: valueText(field, d.changes![field]!.from), to: valueText(field, d.changes![field]!.to) })),
			comment
		});
	}
	await audit(db, `staff:${user.id}`, 'followup.open', id, { comments: opened });
	const openedAtMs = Number(row.openedAtMs);
	const closedAtMs = row.closedAtMs == null ? null : Number(row.closedAtMs);
	return {
		status: 'ok',
		detail: {
			id: rec.id,
			consultationId: rec.consultationId,
			status: rec.status,
			ownerStaffId: rec.ownerStaffId,
			ownerName: rec.ownerStaffId ? (staff.get(rec.ownerStaffId) ?? '（不明な職員）') : null,
			dueDate: rec.dueDate,
			openedAt: msToIso(openedAtMs)!,
			closedAt: msToIso(closedAtMs),
			version: rec.version,
			...timing(rec.status, openedAtMs, closedAtMs, rec.dueDate, now),
			consultation: {
				deleted: row.deleted,
				sessionDate: row.sessionDate,
				siteName: row.siteName,
				programName: row.programName,
				staffName: row.staffName,
				topics: row.data.topics.map((c) => labels.get(c) ?? c),
				urgency: row.data.urgency,
				followUp: row.data.followUp,
				consultedAt: row.data.consultedAt
			},
			events: history
		}
	};
}

/** Staff a case may be given to: everyone active, the 相談員 first. */
export async function ownerOptions(db: Queryable): Promise<Array<{ id: string; displayName: string }>> {
	const r = await db.query<{ id: string; displayName: string }>(
		`select id::text, data->>'displayName' as "displayName" from staff where not deleted and (data->>'active')::boolean order by ${STAFF_PICKER_ORDER}`
	);
	return r.rows;
}

export type CaseUpdateResult =
	| { status: 'updated'; version: number }
	| { status: 'unchanged' }
	| { status: 'stale' }
	| { status: 'invalid'; errors: Record<string, string> }
	| { status: 'not_found' }
	| { status: 'forbidden' };

/**
 * Change a case's status, owner or due date and/or add a comment, if the form was read at the
 * case's current version. Nothing is written unless everything is valid.
 */
export async function updateCase(
	store: Store,
	user: StaffUser,
	id: string,
	input: CaseUpdate,
	keyring: Pick<Keyring, 'recipient'>,
	now: number = Date.now()
): Promise<CaseUpdateResult> {
	const eventId = uuidv7(now);
	const sealedComment = input.comment ? await seal(keyring.recipient, input.comment, commentContext(id, eventId)) : null;
	return store.transaction(async (tx) => {
		const rec = await caseRecord(tx, id, true);
		if (!rec) return { status: 'not_found' };
		if (!inScope(await siteScope(tx, user), rec.siteId)) {
			await audit(tx, `staff:${user.id}`, 'followup.update_refused', id, { siteId: rec.siteId });
			return { status: 'forbidden' };
		}
		if (rec.version !== input.version) return { status: 'stale' };
		const errors: Record<string, string> = {};
		if (!NEXT_STATUSES[rec.status].includes(input.status)) {
			errors.status = `「${CASE_STATUS_LABEL[rec.status]}」から「${CASE_STATUS_LABEL[input.status]}」には変更できません`;
		}
		const owner = input.owner ?? null;
		if (owner !== null && owner !== rec.ownerStaffId) {
			const ok = await tx.query(`select 1 from staff where id = $1::uuid and not deleted and (data->>'active')::boolean`, [owner]);
			if (ok.rows.length === 0) errors.owner = 'その職員は担当者に選べません';
		}
		if (Object.keys(errors).length > 0) return { status: 'invalid', errors };
		const dueDate = input.dueDate ?? null;
		const changes: EventDetail['changes'] = {};
		if (input.status !== rec.status) changes.status = { from: rec.status, to: input.status };
		if (owner !== rec.ownerStaffId) changes.owner = { from: rec.ownerStaffId, to: owner };
		if (dueDate !== rec.dueDate) changes.dueDate = { from: rec.dueDate, to: dueDate };
		if (Object.keys(changes).length === 0 && !sealedComment) return { status: 'unchanged' };
		const updated = await tx.query<{ version: number }>(
			`update followup_cases set status = $3, owner_staff_id = $4::uuid, due_date = $5, updated_at = now(), version = version + 1,
			   closed_at = case when $3 = 'closed' then coalesce(closed_at, now()) else null end
			 where id = $1::uuid and version = $2 returning version`,
			[id, input.version, input.status, owner, dueDate]
		);
		if (updated.rows.length === 0) return { status: 'stale' };
		const detail: EventDetail = { changes };
		if (sealedComment) detail.comment = { id: eventId, sealed: sealedComment };
		await tx.query(`insert into followup_events (case_id, actor, action, detail) values ($1::uuid, $2, 'updated', $3::jsonb)`, [
			id,
			`staff:${user.id}`,
			JSON.stringify(detail)
		]);
		const version = updated.rows[0]!.version;
		await audit(tx, `staff:${user.id}`, 'followup.update', id, { changes, comment: sealedComment !== null, version });
		return { status: 'updated', version };
	});
}
