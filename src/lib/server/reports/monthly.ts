/**
 * The monthly 事業実績 report of one program, in the shape a ward's 子育て支援課 files it: each site
 * of the program (within the reader's scope) with its days held and cancelled, 延べ parents and
 * children, 実 households and children, children by age band and new registrations, a 合計 row, and
 * the month's consultations by topic and by follow-up (つなぎ).
 *
 * Definitions (attendance.ts has the rest):
 * - 開催日数 / 中止日数: calendar days, not sessions. A site that held a morning and an afternoon
 *   session on one day held one day; a day counts as 中止 when a session was cancelled and none was
 *   held that day. Sessions still scheduled on a past date (never opened) are neither; the report
 *   names how many there were.
 * - 延べ 保護者 / 子ども: every visit's adults and children, walk-ins included; the age bands split
 *   延べ 子ども (a child in the band of each session's date).
 * - 実 世帯 / 子ども: each registered household and child once, and each walk-in group (no card)
 *   once as itself. Adults are not recorded one by one, so 実 counts households, not parents. In
 *   the 合計 row a family that came to two sites counts once, so 合計 of 実 can be less than the
 *   sum of the sites.
 * - 新規登録世帯数: households registered in the month at the site (the registration's site and
 *   date, `registeredSiteId` and `consentDate`, which the kiosk sets to the session's site and
 *   date), whether or not the registration visit still stands. Deleted households are not counted.
 */
import { z } from 'zod';
import { AGE_BAND_LABEL_JA, AGE_BANDS } from '$lib/domain/age-band';
import { addDays, addMonths, formatYearMonthEraJa, YEAR_MONTH_RE, type IsoDate, type YearMonth } from '$lib/domain/dates';
import { UUID_RE } from '$lib/domain/ids';
import type { Queryable, Store } from '../db/store';
import type { StaffUser } from '../auth/staff-sessions';
import { audit } from '../auth/devices';
import type { SiteScope } from '../consultations/scope';
import { attendance, attendanceBreakdown, type GroupCounts, type BandCounts } from './attendance';
import { consultationMonth, type MonthConsultations } from './consultations';
import { fieldsOf, parseFields } from '../forms';
import { exportBody, type Column, type ExportFormat, type ExportTable } from './export';

/** The report's query string. Unknown names are ignored; absent ones take their defaults. */
export const monthlyReportQuery = z.object({
	program: z.string().regex(UUID_RE, '事業の指定が正しくありません').optional(),
	month: z.string().regex(YEAR_MONTH_RE, '対象月は 2026-11 の形で指定してください').optional()
});

/** The oldest month a report is made for. */
export const FIRST_REPORT_MONTH: YearMonth = '2000-01';

export interface ReportProgram {
	id: string;
	name: string;
}

/** One row of the site table (a site, or the 合計 row). */
export interface MonthlyRow {
	key: string;
	label: string;
	daysHeld: number;
	daysCancelled: number;
	/** Sessions on a past date of the month still only scheduled: never opened, or not yet synced. */
	notOpened: number;
	/** 延べ */
	adults: number;
	children: number;
	byBand: BandCounts;
	/** 実: registered households and walk-in groups; children. */
	households: number;
	distinctChildren: number;
	newHouseholds: number;
}

export interface MonthlyReport {
	program: ReportProgram;
	month: YearMonth;
	from: IsoDate;
	to: IsoDate;
	sites: MonthlyRow[];
	total: MonthlyRow;
	consultations: MonthConsultations;
	/** Some child's band is unknown (a visit names a child the centre does not have): show 不明. */
	unknownBand: boolean;
	/** Counted within a consultant's own sites, not the whole program. */
	scoped: boolean;
}

/** The programs a reader may report on: those with a site in their scope, in the programs' order. */
export async function reportPrograms(db: Queryable, scope: SiteScope): Promise<ReportProgram[]> {
	const r = await db.query<ReportProgram>(
		`select p.id::text as id, p.data->>'nameJa' as name from programs p
		 where not p.deleted
		   and exists (select 1 from sites st where st.program_id = p.id and not st.deleted and ($1::uuid[] is null or st.id = any($1::uuid[])))
		 order by (p.data->>'sort')::int nulls last, p.data->>'nameJa'`,
		[scope.siteIds]
	);
	return r.rows;
}

/** 開催日数 and 中止日数 by site: calendar days, see the header. */
async function sessionDays(db: Queryable, scope: SiteScope, programId: string, from: IsoDate, to: IsoDate) {
	const r = await db.query<{ site_id: string; held: number; cancelled: number }>(
		`select site_id::text, count(*) filter (where held)::int as held, count(*) filter (where cancelled and not held)::int as cancelled
		 from (
		   select s.site_id, s.session_date, bool_or(s.status in ('open', 'closed')) as held, bool_or(s.status = 'cancelled') as cancelled
		   from sessions s join sites st on st.id = s.site_id
		   where not s.deleted and st.program_id = $1::uuid and s.session_date between $2 and $3
		     and ($4::uuid[] is null or s.site_id = any($4::uuid[]))
		   group by 1, 2
		 ) days group by 1`,
		[programId, from, to, scope.siteIds]
	);
	return new Map(r.rows.map((x) => [x.site_id, x]));
}

/** 新規登録世帯数 by site: households registered there in the month, see the header. */
async function newRegistrations(db: Queryable, scope: SiteScope, programId: string, from: IsoDate, to: IsoDate) {
	const r = await db.query<{ site_id: string; n: number }>(
		`select h.registered_site_id::text as site_id, count(*)::int as n
		 from households h join sites st on st.id = h.registered_site_id
		 where not h.deleted and st.program_id = $1::uuid and h.data->>'consentDate' between $2 and $3
		   and ($4::uuid[] is null or h.registered_site_id = any($4::uuid[]))
		 group by 1`,
		[programId, from, to, scope.siteIds]
	);
	return new Map(r.rows.map((x) => [x.site_id, x.n]));
}

function row(key: string, label: string, c: GroupCounts, days: { held: number; cancelled: number }, newHouseholds: number): MonthlyRow {
	return {
		key,
		label,
		daysHeld: days.held,
		daysCancelled: days.cancelled,
		notOpened: c.sessions.notOpened,
		adults: c.visits.adults,
		children: c.visits.children,
		byBand: c.visits.byBand,
		households: c.distinct.households + c.distinct.walkInGroups,
		distinctChildren: c.distinct.children,
		newHouseholds
	};
}

export async function monthlyReport(db: Store, scope: SiteScope, program: ReportProgram, month: YearMonth, today: IsoDate): Promise<MonthlyReport> {
	const from = `${month}-01`;
	const to = addDays(addMonths(from, 1), -1);
	const filter = { from, to, programId: program.id };
	const [groups, whole, days, registered, consultations] = await Promise.all([
		attendanceBreakdown(db, scope, filter, 'site', today),
		attendance(db, scope, filter, today),
		sessionDays(db, scope, program.id, from, to),
		newRegistrations(db, scope, program.id, from, to),
		consultationMonth(db, scope, { month, programId: program.id })
	]);
	const none = { held: 0, cancelled: 0 };
	const sites = groups.map((g) => row(g.key, g.label, g.counts, days.get(g.key) ?? none, registered.get(g.key) ?? 0));
	const sum = (pick: (r: MonthlyRow) => number) => sites.reduce((a, r) => a + pick(r), 0);
	// 延べ and 実 of the 合計 row are the program's own counts (a family at two sites is one 実 世帯);
	// days and registrations belong to one site each, so they add up.
	const total = row(
		'total',
		'合計',
		whole,
		{ held: sum((r) => r.daysHeld), cancelled: sum((r) => r.daysCancelled) },
		sum((r) => r.newHouseholds)
	);
	return { program, month, from, to, sites, total, consultations, unknownBand: total.byBand.unknown > 0, scoped: scope.siteIds !== null };
}

export type MonthlyChoice =
	| { ok: true; programs: ReportProgram[]; program: ReportProgram; month: YearMonth }
	| { ok: false; programs: ReportProgram[]; month: YearMonth | null; error: string };

/**
 * The report a query string asks for, checked: a program the reader may report on (the first one
 * when none is named) and a month from 2000 to this month (the previous month when none is named).
 */
export async function chooseMonthly(db: Queryable, scope: SiteScope, params: URLSearchParams, today: IsoDate): Promise<MonthlyChoice> {
	const programs = await reportPrograms(db, scope);
	const parsed = parseFields(monthlyReportQuery, params);
	if (!parsed.ok) {
		const asked = fieldsOf(params).month;
		return { ok: false, programs, month: parsed.errors.month ? null : (asked ?? null), error: Object.values(parsed.errors).join('。') };
	}
	const month = parsed.data.month ?? addMonths(today, -1).slice(0, 7);
	if (month < FIRST_REPORT_MONTH || month > today.slice(0, 7)) {
		return {
			ok: false,
			programs,
			month: null,
			error: `対象月は2000年1月から今月（${Number(today.slice(0, 4))}年${Number(today.slice(5, 7))}月）までで指定してください`
		};
	}
	if (programs.length === 0) return { ok: false, programs, month, error: '報告書を作れる事業がありません（担当の会場がありません）' };
	const program = parsed.data.program ? programs.find((p) => p.id === parsed.data.program) : programs[0];
	if (!program) return { ok: false, programs, month, error: '事業の指定が正しくありません' };
	return { ok: true, programs, program, month };
}

export const MONTHLY_TABLES = ['sites', 'consultations'] as const;
export type MonthlyTable = (typeof MONTHLY_TABLES)[number];

/** `令和8年11月分 事業実績報告書`: the report's title, as the page and the exports head it. */
export function monthlyTitle(month: YearMonth): string {
	return `${formatYearMonthEraJa(month)}分 事業実績報告書`;
}

/** The site table's columns, as the page shows them (the age bands of 延べ 子ども; 不明 only when there is one). */
export function siteColumns(report: MonthlyReport): Column<MonthlyRow>[] {
	const n = (header: string, value: (r: MonthlyRow) => number): Column<MonthlyRow> => ({ header, kind: 'number', value });
	return [
		{ header: '会場', kind: 'text', value: (r) => r.label },
		n('開催日数', (r) => r.daysHeld),
		n('中止日数', (r) => r.daysCancelled),
		n('延べ 保護者', (r) => r.adults),
		n('延べ 子ども', (r) => r.children),
		n('実 世帯', (r) => r.households),
		n('実 子ども', (r) => r.distinctChildren),
		...AGE_BANDS.map((b) => n(`子ども（延べ） ${AGE_BAND_LABEL_JA[b]}`, (r) => r.byBand[b])),
		...(report.unknownBand ? [n('子ども（延べ） 年齢不明', (r) => r.byBand.unknown)] : []),
		n('新規登録世帯数', (r) => r.newHouseholds)
	];
}

interface ConsultationLine {
	group: string;
	label: string;
	n: number;
}

/** The consultation tables as one list: the total, each topic, each follow-up and the つなぎ total. */
export function consultationLines(c: MonthConsultations): ConsultationLine[] {
	return [
		{ group: '相談件数', label: '合計', n: c.total },
		...c.byTopic.map((t) => ({ group: '相談内容別', label: t.label, n: t.n })),
		...c.byFollowUp.map((t) => ({ group: 'フォローアップ・つなぎ別', label: t.label, n: t.n })),
		{ group: 'フォローアップ・つなぎ別', label: 'つなぎ 計', n: c.referrals }
	];
}

export function siteExportTable(report: MonthlyReport): ExportTable<MonthlyRow> {
	return {
		sheet: '会場別実績',
		title: `${monthlyTitle(report.month)}（${report.program.name}） 会場別実績`,
		columns: siteColumns(report),
		rows: [...report.sites, report.total]
	};
}

export function consultationExportTable(report: MonthlyReport): ExportTable<ConsultationLine> {
	return {
		sheet: '相談件数',
		title: `${monthlyTitle(report.month)}（${report.program.name}） 相談件数`,
		columns: [
			{ header: '区分', kind: 'text', value: (r) => r.group },
			{ header: '項目', kind: 'text', value: (r) => r.label },
			{ header: '件数', kind: 'number', value: (r) => r.n }
		],
		rows: consultationLines(report.consultations)
	};
}

/** A table of the report as CSV or .xlsx (the report is already within the reader's scope), audited as `report.export`. */
export async function exportMonthlyReport(
	db: Queryable,
	user: StaffUser,
	report: MonthlyReport,
	table: MonthlyTable,
	format: ExportFormat
): Promise<{ body: string | Uint8Array; fileName: string }> {
	const pack = async <R>(t: ExportTable<R>) => ({ body: await exportBody(t, format), rows: t.rows.length, sheet: t.sheet });
	const t = table === 'sites' ? await pack(siteExportTable(report)) : await pack(consultationExportTable(report));
	await audit(db, `staff:${user.id}`, 'report.export', null, {
		report: 'monthly',
		program: report.program.id,
		month: report.month,
		table,
		format,
		rows: t.rows,
		scoped: report.scoped
	});
	return { body: t.body, fileName: `事業実績報告書-${report.program.name}-${report.month}-${t.sheet}` };
}
