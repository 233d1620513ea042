/**
 * The consultation log as the centre reads it: a filtered, paginated list, one consultation with
 * every revision and its note, and the list as CSV. Every function takes the reader's site scope
 * (scope.ts), so a 相談員 never sees another site's records; each read of a note, and each export,
 * is written to the audit log (DESIGN.md "Security and privacy model").
 */
import { AGE_BAND_LABEL_JA } from '$lib/domain/age-band';
import { z } from 'zod';
import { FOLLOW_UP_LABEL, URGENCY_LABEL, CASE_STATUS_LABEL, labelOf, type CaseStatus } from '$lib/domain/consultation-labels';
import { isValidIsoDate } from '$lib/domain/dates';
import { UUID_RE } from '$lib/domain/ids';
import { openConsultationText, SealError, sealedKeyId } from '$lib/domain/seal';
import { DEFAULT_TOPICS, TOPIC_CODE_RE, URGENCIES, type ConsultationData } from '$lib/domain/schemas';
import type { Queryable } from '../db/store';
import type { Keyring } from '../crypto/keyring';
import type { StaffUser } from '../auth/staff-sessions';
import { audit } from '../auth/devices';
import { exportBody, type ExportFormat, type ExportTable } from '../reports/export';
import { inScope, siteScope, STAFF_PICKER_ORDER, type SiteScope } from './scope';

export const PAGE_SIZE = 50;
/** An export larger than this is refused: narrow the filter instead (a year of the ward is far less). */
export const EXPORT_MAX_ROWS = 50_000;

const uuidField = (message: string) => z.string().regex(UUID_RE, message).optional();
const dateField = (message: string) => z.string().refine(isValidIsoDate, message).optional();

/** The list's filters, as they come in the URL's query string. Unknown names are ignored. */
export const consultationFilter = z
	.object({
		site: uuidField('会場の指定が正しくありません'),
		session: uuidField('開催回の指定が正しくありません'),
		from: dateField('開始日は 2026-04-01 の形の日付で指定してください'),
		to: dateField('終了日は 2026-04-01 の形の日付で指定してください'),
		topic: z.string().regex(TOPIC_CODE_RE, '相談内容の指定が正しくありません').optional(),
		urgency: z.enum(URGENCIES, { error: '緊急度の指定が正しくありません' }).optional(),
		staff: uuidField('相談員の指定が正しくありません'),
		page: z.coerce
			.number({ error: 'ページの指定が正しくありません' })
			.int('ページの指定が正しくありません')
			.min(1, 'ページの指定が正しくありません')
			.max(100_000, 'ページの指定が正しくありません')
			.default(1)
	})
	.refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], message: '終了日は開始日と同じか後の日付にしてください' });

export type ConsultationFilter = z.infer<typeof consultationFilter>;

export interface ConsultationRow {
	id: string;
	sessionId: string;
	sessionDate: string;
	startTime: string;
	siteId: string;
	siteName: string;
	programName: string;
	staffName: string;
	topics: string[];
	durationMin: number;
	urgency: ConsultationData['urgency'];
	followUp: ConsultationData['followUp'];
	caseId: string | null;
	caseStatus: CaseStatus | null;
	revisions: number;
}

export interface ConsultationPage {
	rows: ConsultationRow[];
	total: number;
	page: number;
	pages: number;
}

/** Topic labels: the defaults, then the centre's own rows (which may rename or add). */
export async function topicLabels(db: Queryable): Promise<Map<string, string>> {
	const labels = new Map(DEFAULT_TOPICS.map((t) => [t.code, t.labelJa]));
	const r = await db.query<{ code: string; label: string }>(
		`select data->>'code' as code, data->>'labelJa' as label from topics where not deleted order by (data->>'sort')::int, data->>'code'`
	);
	for (const row of r.rows) labels.set(row.code, row.label);
	return labels;
}

/** The WHERE clause for a scope and filter, with its parameters from `$1`. */
function whereOf(scope: SiteScope, f: Partial<ConsultationFilter>): { sql: string; params: unknown[] } {
	const params: unknown[] = [];
	const conds = ['not c.deleted'];
	const add = (sql: (p: string) => string, value: unknown) => {
		params.push(value);
		conds.push(sql(`$${params.length}`));
	};
	if (scope.siteIds !== null) add((p) => `s.site_id = any(${p}::uuid[])`, scope.siteIds);
	if (f.site) add((p) => `s.site_id = ${p}::uuid`, f.site);
	if (f.session) add((p) => `c.session_id = ${p}::uuid`, f.session);
	if (f.from) add((p) => `s.session_date >= ${p}`, f.from);
	if (f.to) add((p) => `s.session_date <= ${p}`, f.to);
	if (f.topic) add((p) => `c.data->'topics' @> jsonb_build_array(${p}::text)`, f.topic);
	if (f.urgency) add((p) => `c.urgency = ${p}`, f.urgency);
	if (f.staff) add((p) => `c.staff_id = ${p}::uuid`, f.staff);
	return { sql: conds.join(' and '), params };
}

const FROM = `from consultations c
	join sessions s on s.id = c.session_id
	join sites st on st.id = s.site_id
	left join programs p on p.id = st.program_id
	left join staff sf on sf.id = c.staff_id
	left join followup_cases fc on fc.consultation_id = c.id`;

async function queryRows(db: Queryable, scope: SiteScope, f: Partial<ConsultationFilter>, limit: number, offset: number): Promise<ConsultationRow[]> {
	const where = whereOf(scope, f);
	const n = where.params.length;
	const r = await db.query<Omit<ConsultationRow, 'topics'> & { topics: string[] }>(
		`select c.id::text, c.session_id::text as "sessionId", s.session_date as "sessionDate", coalesce(s.data->>'startTime', '') as "startTime",
		        s.site_id::text as "siteId", st.data->>'nameJa' as "siteName", coalesce(p.data->>'nameJa', '') as "programName",
		        coalesce(sf.data->>'displayName', '（不明な職員）') as "staffName", c.data->'topics' as topics,
		        (c.data->>'durationMin')::int as "durationMin", c.urgency, c.follow_up as "followUp",
		        fc.id::text as "caseId", fc.status as "caseStatus",
		        (select count(*)::int from consultation_revisions r where r.consultation_id = c.id) as revisions
		 ${FROM}
		 where ${where.sql}
		 order by s.session_date desc, c.data->>'consultedAt' desc, c.id desc
		 limit $${n + 1} offset $${n + 2}`,
		[...where.params, limit, offset]
	);
	const labels = await topicLabels(db);
	return r.rows.map((row) => ({ ...row, topics: row.topics.map((code) => labels.get(code) ?? code) }));
}

async function countRows(db: Queryable, scope: SiteScope, f: Partial<ConsultationFilter>): Promise<number> {
	const where = whereOf(scope, f);
	const r = await db.query<{ n: number }>(`select count(*)::int as n ${FROM} where ${where.sql}`, where.params);
	return r.rows[0]!.n;
}

/** One page of the consultations the user may see, newest session first. */
export async function listConsultations(db: Queryable, user: StaffUser, filter: ConsultationFilter): Promise<ConsultationPage> {
	const scope = await siteScope(db, user);
	const total = await countRows(db, scope, filter);
	const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
	const rows = await queryRows(db, scope, filter, PAGE_SIZE, (filter.page - 1) * PAGE_SIZE);
	return { rows, total, page: filter.page, pages };
}

/** The export's columns: no note, no family; what the list shows. */
const EXPORT_COLUMNS: ExportTable<ConsultationRow>['columns'] = [
	{ header: '相談ID', kind: 'text', value: (r) => r.id },
	{ header: '開催日', kind: 'date', value: (r) => r.sessionDate },
	{ header: '事業', kind: 'text', value: (r) => r.programName },
	{ header: '会場', kind: 'text', value: (r) => r.siteName },
	{ header: '開始時刻', kind: 'text', value: (r) => r.startTime },
	{ header: '相談員', kind: 'text', value: (r) => r.staffName },
	{ header: '相談内容', kind: 'text', value: (r) => r.topics.join('・') },
	{ header: '所要時間（分）', kind: 'number', value: (r) => r.durationMin },
	{ header: '緊急度', kind: 'text', value: (r) => labelOf(URGENCY_LABEL, r.urgency) },
	{ header: 'フォローアップ', kind: 'text', value: (r) => labelOf(FOLLOW_UP_LABEL, r.followUp) },
	{ header: 'ケースの状態', kind: 'text', value: (r) => (r.caseStatus ? labelOf(CASE_STATUS_LABEL, r.caseStatus) : '') },
	{ header: '改訂数', kind: 'number', value: (r) => r.revisions }
];

/**
 * The filtered list (never a note) as CSV or .xlsx (reports/export.ts), within the reader's sites;
 * audited with the filter and the row count. Null when it holds more than EXPORT_MAX_ROWS.
 */
export async function exportConsultations(
	db: Queryable,
	user: StaffUser,
	filter: ConsultationFilter,
	format: ExportFormat
): Promise<{ body: string | Uint8Array; rows: number } | null> {
	const scope = await siteScope(db, user);
	const { page: _page, ...rest } = filter;
	void _page;
	const rows = await queryRows(db, scope, rest, EXPORT_MAX_ROWS + 1, 0);
	if (rows.length > EXPORT_MAX_ROWS) return null;
	const body = await exportBody({ sheet: '相談記録', title: '相談記録（メモを除く）', columns: EXPORT_COLUMNS, rows }, format);
	await audit(db, `staff:${user.id}`, 'consultation.export', null, { filter: rest, format, rows: rows.length });
	return { body, rows: rows.length };
}

/** What a sealed text shows: its text, or why it cannot be shown. */
export type OpenedText = { kind: 'text'; note: string; followUpNote: string | null } | { kind: 'error'; message: string };

export interface RevisionView {
	hlc: string;
	deleted: boolean;
	receivedAt: string;
	deviceName: string | null;
	topics: string[];
	durationMin: number;
	urgency: ConsultationData['urgency'];
	followUp: ConsultationData['followUp'];
	consultedAt: string;
	/** null: this revision left the text as it was (「メモの変更なし」). */
	text: OpenedText | null;
}

export interface ConsultationDetail {
	id: string;
	deleted: boolean;
	sessionId: string;
	sessionDate: string;
	startTime: string;
	endTime: string;
	siteId: string;
	siteName: string;
	programName: string;
	staffName: string;
	householdId: string | null;
	childId: string | null;
	childAgeBand: ConsultationData['childAgeBand'];
	/** The band in Japanese, made here so the page does not carry the age-band module to the browser. */
	childAgeBandLabel: string | null;
	topics: string[];
	durationMin: number;
	urgency: ConsultationData['urgency'];
	followUp: ConsultationData['followUp'];
	consultedAt: string;
	case: { id: string; status: CaseStatus; dueDate: string | null } | null;
	/** Newest first. */
	revisions: RevisionView[];
	/** The note now: the newest revision that carried text; null when none ever did. */
	note: OpenedText | null;
	/** When the note was removed for having outlived its retention (centre/retention.ts); null if it was not. */
	notePurgedAt: string | null;
}

export type ConsultationLookup = { status: 'ok'; detail: ConsultationDetail } | { status: 'not_found' } | { status: 'forbidden' };

/** Why a sealed text does not open, in words a coordinator can act on. */
export function sealErrorMessage(e: unknown, sealed: string): string {
	if (e instanceof SealError && e.code === 'unknown_key') {
		return `このメモは鍵「${sealedKeyId(sealed) ?? '不明'}」で封をされていますが、その鍵がセンターの鍵フォルダにないため開けません。鍵フォルダ（HIROBA_KEY_DIR）をバックアップから戻してください。`;
	}
	if (e instanceof SealError && e.code === 'cannot_open') return 'このメモは開けませんでした。内容が書き換えられたか、別の記録のものです。';
	return 'このメモは形式が正しくないため開けません。';
}

async function openText(sealed: string, keyring: Keyring, consultationId: string): Promise<OpenedText> {
	try {
		return { kind: 'text', ...(await openConsultationText(sealed, keyring.privateKeyFor, consultationId)) };
	} catch (e) {
		if (e instanceof SealError) return { kind: 'error', message: sealErrorMessage(e, sealed) };
		throw e;
	}
}

/**
 * One consultation with every revision, its note opened with the keyring. A read by someone the
 * scope allows is audited (`consultation.open`) every time; a refused one is audited as refused,
 * and nothing is opened.
 */
export async function loadConsultation(db: Queryable, user: StaffUser, id: string, keyring: Keyring): Promise<ConsultationLookup> {
	if (!UUID_RE.test(id)) return { status: 'not_found' };
	const r = await db.query<{
		id: string;
		deleted: boolean;
		data: ConsultationData;
		sessionDate: string;
		startTime: string;
		endTime: string;
		siteId: string;
		siteName: string;
		programName: string;
		staffName: string;
		caseId: string | null;
		caseStatus: CaseStatus | null;
		dueDate: string | null;
		notePurgedAt: Date | string | null;
	}>(
		`select c.id::text, c.deleted, c.data, c.note_purged_at as "notePurgedAt", s.session_date as "sessionDate", coalesce(s.data->>'startTime', '') as "startTime",
		        coalesce(s.data->>'endTime', '') as "endTime", s.site_id::text as "siteId", st.data->>'nameJa' as "siteName",
		        coalesce(p.data->>'nameJa', '') as "programName", coalesce(sf.data->>'displayName', '（不明な職員）') as "staffName",
		        fc.id::text as "caseId", fc.status as "caseStatus", fc.due_date as "dueDate"
		 ${FROM}
		 where c.id = $1::uuid`,
		[id]
	);
	const row = r.rows[0];
	if (!row) return { status: 'not_found' };
	if (!inScope(await siteScope(db, user), row.siteId)) {
		await audit(db, `staff:${user.id}`, 'consultation.open_refused', id, { siteId: row.siteId });
		return { status: 'forbidden' };
	}
	const revs = await db.query<{ hlc: string; deleted: boolean; data: ConsultationData; receivedAtMs: number; deviceName: string | null }>(
		`select r.hlc, r.deleted, r.data, (extract(epoch from r.received_at) * 1000)::float8 as "receivedAtMs", d.name as "deviceName"
		 from consultation_revisions r left join devices d on d.id = r.origin_device
		 where r.consultation_id = $1::uuid order by r.hlc desc`,
		[id]
	);
	const labels = await topicLabels(db);
	const topicNames = (codes: string[]) => codes.map((c) => labels.get(c) ?? c);
	const revisions: RevisionView[] = [];
	for (const rev of revs.rows) {
		revisions.push({
			hlc: rev.hlc,
			deleted: rev.deleted,
			receivedAt: new Date(Number(rev.receivedAtMs)).toISOString(),
			deviceName: rev.deviceName,
			topics: topicNames(rev.data.topics),
			durationMin: rev.data.durationMin,
			urgency: rev.data.urgency,
			followUp: rev.data.followUp,
			consultedAt: rev.data.consultedAt,
			text: rev.data.sealed ? await openText(rev.data.sealed, keyring, id) : null
		});
	}
	// The stored row is a revision too; should it be missing from the list (a store older than
	// the revisions table), its text still counts.
	const note = revisions.find((x) => x.text !== null)?.text ?? (row.data.sealed ? await openText(row.data.sealed, keyring, id) : null);
	await audit(db, `staff:${user.id}`, 'consultation.open', id, { revisions: revisions.length });
	const d = row.data;
	return {
		status: 'ok',
		detail: {
			id: row.id,
			deleted: row.deleted,
			notePurgedAt: row.notePurgedAt ? new Date(row.notePurgedAt).toISOString() : null,
			sessionId: d.sessionId,
			sessionDate: row.sessionDate,
			startTime: row.startTime,
			endTime: row.endTime,
			siteId: row.siteId,
			siteName: row.siteName,
			programName: row.programName,
			staffName: row.staffName,
			householdId: d.householdId,
			childId: d.childId,
			childAgeBand: d.childAgeBand,
			childAgeBandLabel: d.childAgeBand ? AGE_BAND_LABEL_JA[d.childAgeBand] : null,
			topics: topicNames(d.topics),
			durationMin: d.durationMin,
			urgency: d.urgency,
			followUp: d.followUp,
			consultedAt: d.consultedAt,
			case: row.caseId ? { id: row.caseId, status: row.caseStatus!, dueDate: row.dueDate } : null,
			revisions,
			note
		}
	};
}

export interface FilterOptions {
	sites: Array<{ id: string; nameJa: string; programName: string }>;
	staff: Array<{ id: string; displayName: string }>;
	topics: Array<{ code: string; label: string }>;
	session: { id: string; label: string } | null;
}

/** The choices of the filter form, limited to what the user may see. */
export async function filterOptions(db: Queryable, user: StaffUser, sessionId?: string): Promise<FilterOptions> {
	const scope = await siteScope(db, user);
	const sites = await db.query<FilterOptions['sites'][number]>(
		`select st.id::text, st.data->>'nameJa' as "nameJa", coalesce(p.data->>'nameJa', '') as "programName"
		 from sites st left join programs p on p.id = st.program_id
		 where not st.deleted and ($1::uuid[] is null or st.id = any($1::uuid[]))
		 order by (p.data->>'sort')::int, st.data->>'nameJa'`,
		[scope.siteIds]
	);
	const staff = await db.query<FilterOptions['staff'][number]>(
		`select id::text, data->>'displayName' as "displayName" from staff
		 where not deleted and ($1::uuid[] is null or exists (
		   select 1 from jsonb_array_elements_text(data->'siteIds') x where x::uuid = any($1::uuid[])))
		 order by ${STAFF_PICKER_ORDER}`,
		[scope.siteIds]
	);
	const labels = await topicLabels(db);
	let session: FilterOptions['session'] = null;
	if (sessionId) {
		const s = await db.query<{ id: string; date: string; start: string; site: string }>(
			`select s.id::text, s.session_date as date, coalesce(s.data->>'startTime', '') as start, st.data->>'nameJa' as site
			 from sessions s join sites st on st.id = s.site_id where s.id = $1::uuid`,
			[sessionId]
		);
		const row = s.rows[0];
		if (row) session = { id: row.id, label: `${row.date} ${row.start} ${row.site}` };
	}
	return { sites: sites.rows, staff: staff.rows, topics: [...labels].map(([code, label]) => ({ code, label })), session };
}
