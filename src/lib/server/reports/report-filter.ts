/**
 * The attendance report's filters as they come in the URL (`/centre/reports?fy=2026&month=2026-05
 * &program=…&site=…&session=…`), read in two steps: their form (zod, messages in Japanese), then
 * against the store and the reader's sites — a program, site or session that does not exist, lies
 * outside the 年度 or month asked for, or is not on a consultant's roster is refused with a message
 * and the page shows no figures at all. Nothing here throws for bad input.
 *
 * The level of the report follows from the most specific filter: the ward (broken down by
 * program), a program (by site), a site (by session), a session (its visits).
 */
import { z } from 'zod';
import {
	fiscalYear,
	fiscalYearMonths,
	fiscalYearRange,
	formatFiscalYearJa,
	isValidIsoDate,
	YEAR_MONTH_RE,
	addDays,
	addMonths,
	type IsoDate
} from '$lib/domain/dates';
import { UUID_RE } from '$lib/domain/ids';
import type { Queryable } from '../db/store';
import { inScope, type SiteScope } from '../consultations/scope';
import type { AttendanceFilter } from './attendance';
import type { Parsed } from '../forms';
import { fieldsOf } from '../forms';

const uuidField = (message: string) => z.string().regex(UUID_RE, message).optional();

/** The query string's form. Unknown names (e.g. `format`) are ignored. */
export const reportQuery = z.object({
	fy: z.coerce
		.number({ error: '年度の指定が正しくありません' })
		.int('年度の指定が正しくありません')
		.min(2000, '年度の指定が正しくありません')
		.max(2100, '年度の指定が正しくありません')
		.optional(),
	month: z.string().regex(YEAR_MONTH_RE, '月は 2026-05 の形で指定してください').optional(),
	day: z.string().refine(isValidIsoDate, '日は 2026-05-10 の形の日付で指定してください').optional(),
	program: uuidField('事業の指定が正しくありません'),
	site: uuidField('会場の指定が正しくありません'),
	session: uuidField('開催回の指定が正しくありません')
});
export type ReportQuery = z.infer<typeof reportQuery>;

export type ReportLevel = 'ward' | 'program' | 'site' | 'session';

export interface ReportSession {
	id: string;
	date: IsoDate;
	startTime: string;
	endTime: string;
	status: string;
	cancelReason: string | null;
}

export interface ResolvedReport {
	fiscalYear: number;
	month: string | null;
	day: IsoDate | null;
	/** The dates counted: the 年度, the month, the day, or the session's date. */
	from: IsoDate;
	to: IsoDate;
	program: { id: string; name: string } | null;
	site: { id: string; name: string } | null;
	session: ReportSession | null;
	level: ReportLevel;
	/** What attendance.ts is asked for at this level (a session: its own date, at its site). */
	filter: AttendanceFilter;
	/** The filter as a query string's fields, in a fixed order, for links and exports. */
	query: Record<string, string>;
}

/** Read the filters: a report to count, or the Japanese messages by field. */
export async function resolveReport(db: Queryable, scope: SiteScope, params: URLSearchParams, today: IsoDate): Promise<Parsed<ResolvedReport>> {
	const parsed = reportQuery.safeParse(fieldsOf(params));
	const errors: Record<string, string> = {};
	if (!parsed.success) {
		for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? 'form')] ??= issue.message;
		return { ok: false, errors };
	}
	const q = parsed.data;
	const fy = q.fy ?? fiscalYear(today);
	const range = fiscalYearRange(fy);
	const fyText = `${formatFiscalYearJa(fy)}（${fy}年4月〜${fy + 1}年3月）`;
	if (q.month && !fiscalYearMonths(fy).includes(q.month)) errors.month = `月は${fyText}の中から指定してください`;
	if (q.day && (q.day < range.start || q.day > range.end)) errors.day = `日は${fyText}の中から指定してください`;
	else if (q.day && q.month && !q.day.startsWith(q.month)) errors.day = '日は指定した月の中から指定してください';

	let program: ResolvedReport['program'] = null;
	let site: (ResolvedReport['site'] & { programId: string }) | null = null;
	let session: (ReportSession & { siteId: string }) | null = null;
	if (q.session) {
		const r = await db.query<ReportSession & { siteId: string }>(
			`select id::text, session_date as date, coalesce(data->>'startTime', '') as "startTime", coalesce(data->>'endTime', '') as "endTime",
			        status, data->>'cancelReason' as "cancelReason", site_id::text as "siteId"
			 from sessions where id = $1::uuid and not deleted`,
			[q.session]
		);
		session = r.rows[0] ?? null;
		if (!session) errors.session = '指定した開催回が見つかりません';
		else if (!inScope(scope, session.siteId)) errors.session = 'この開催回の集計を見る権限がありません';
		else if (q.site && q.site !== session.siteId) errors.session = '指定した開催回は選んだ会場のものではありません';
		else if (session.date < range.start || session.date > range.end) errors.session = `指定した開催回は${fyText}のものではありません`;
		else if ((q.month && !session.date.startsWith(q.month)) || (q.day && q.day !== session.date))
			errors.session = '指定した開催回は選んだ期間のものではありません';
	}
	const siteId = q.site ?? session?.siteId;
	if (siteId && !errors.session) {
		const r = await db.query<{ id: string; name: string; programId: string }>(
			`select id::text, data->>'nameJa' as name, program_id::text as "programId" from sites where id = $1::uuid and not deleted`,
			[siteId]
		);
		site = r.rows[0] ?? null;
		if (!site) errors.site = '指定した会場が見つかりません';
		else if (!inScope(scope, site.id)) errors.site = 'この会場の集計を見る権限がありません';
		else if (q.program && q.program !== site.programId) errors.site = '指定した会場は選んだ事業の会場ではありません';
	}
	const programId = q.program ?? site?.programId;
	if (programId && !errors.site && !errors.session) {
		const r = await db.query<{ id: string; name: string }>(`select id::text, data->>'nameJa' as name from programs where id = $1::uuid and not deleted`, [
			programId
		]);
		program = r.rows[0] ?? null;
		if (!program) errors.program = '指定した事業が見つかりません';
	}
	if (Object.keys(errors).length > 0) return { ok: false, errors };

	let from = range.start;
	let to = range.end;
	if (q.month) {
		from = `${q.month}-01`;
		to = addDays(addMonths(from, 1), -1);
	}
	if (q.day) from = to = q.day;
	const level: ReportLevel = session ? 'session' : site ? 'site' : program ? 'program' : 'ward';
	const filter: AttendanceFilter = session
		? { from: session.date, to: session.date, siteId: session.siteId, sessionId: session.id }
		: { from, to, programId: program?.id ?? null, siteId: site?.id ?? null };
	const query: Record<string, string> = { fy: String(fy) };
	if (q.month) query.month = q.month;
	if (q.day) query.day = q.day;
	if (program) query.program = program.id;
	if (site) query.site = site.id;
	if (session) query.session = session.id;
	return {
		ok: true,
		data: {
			fiscalYear: fy,
			month: q.month ?? null,
			day: q.day ?? null,
			from: session?.date ?? from,
			to: session?.date ?? to,
			program,
			site: site ? { id: site.id, name: site.name } : null,
			session: session
				? {
						id: session.id,
						date: session.date,
						startTime: session.startTime,
						endTime: session.endTime,
						status: session.status,
						cancelReason: session.cancelReason
					}
				: null,
			level,
			filter,
			query
		}
	};
}

export interface ReportOptions {
	/** 年度 with sessions in the reader's sites, and this one; newest first. */
	years: number[];
	programs: Array<{ id: string; name: string }>;
	sites: Array<{ id: string; name: string; programId: string; programName: string }>;
}

/** The choices of the filter form, limited to the reader's sites. */
export async function reportOptions(db: Queryable, scope: SiteScope, today: IsoDate): Promise<ReportOptions> {
	const [span, sites] = await Promise.all([
		db.query<{ first: string | null; last: string | null }>(
			`select min(session_date) as first, max(session_date) as last from sessions where not deleted and ($1::uuid[] is null or site_id = any($1::uuid[]))`,
			[scope.siteIds]
		),
		db.query<ReportOptions['sites'][number] & { sort: number | null }>(
			`select st.id::text, st.data->>'nameJa' as name, st.program_id::text as "programId", coalesce(p.data->>'nameJa', '') as "programName",
			        (p.data->>'sort')::int as sort
			 from sites st left join programs p on p.id = st.program_id
			 where not st.deleted and ($1::uuid[] is null or st.id = any($1::uuid[]))
			 order by (p.data->>'sort')::int nulls last, p.data->>'nameJa', st.data->>'nameJa'`,
			[scope.siteIds]
		)
	]);
	const current = fiscalYear(today);
	const first = span.rows[0]?.first ? Math.min(fiscalYear(span.rows[0].first), current) : current;
	const last = span.rows[0]?.last ? Math.max(fiscalYear(span.rows[0].last), current) : current;
	const years: number[] = [];
	for (let fy = last; fy >= first; fy--) years.push(fy);
	const programs = new Map<string, string>();
	for (const s of sites.rows) if (s.programId && !programs.has(s.programId)) programs.set(s.programId, s.programName);
	return {
		years,
		programs: [...programs].map(([id, name]) => ({ id, name })),
		sites: sites.rows.map(({ id, name, programId, programName }) => ({ id, name, programId, programName }))
	};
}
