/**
 * The attendance report as the centre's pages show it and export it: the counts of the level asked
 * for (attendance.ts), the table one level down (by program, site or session) or the session's
 * visits (visits.ts), and the 年度's months for the charts. Each table is described once, by its
 * columns (export.ts): the page shows the same rows and cells the .xlsx and the CSV hold.
 */
import type { StaffUser } from '../auth/staff-sessions';
import { audit } from '../auth/devices';
import type { Store } from '../db/store';
import { siteScope, type SiteScope } from '../consultations/scope';
import {
	attendance,
	attendanceBreakdown,
	attendanceTrend,
	type AttendanceCounts,
	type GroupCounts,
	type AttendanceGroup,
	type BreakdownBy
} from './attendance';
import { exportBody, type Column, type ExportFormat, type ExportTable } from './export';
import { listVisits, type VisitRow } from './visits';
import { reportOptions, resolveReport, type ReportOptions, type ResolvedReport } from './report-filter';
import {
	BAND_KEYS,
	BAND_KEY_LABEL_JA,
	CANCEL_REASON_LABEL_JA,
	formatYearMonthEraJa,
	NEWNESS_LABEL_JA,
	SESSION_STATUS_LABEL_JA,
	VISIT_METHOD_LABEL_JA
} from '$lib/domain/attendance-labels';
import { labelOf } from '$lib/domain/consultation-labels';
import { fiscalYearMonths, formatDateJa, formatFiscalYearJa, formatTimeJa, type IsoDate } from '$lib/domain/dates';

/** A per-visit export larger than this is refused: narrow it to a program, site or month. */
export const VISIT_EXPORT_MAX_ROWS = 100_000;

const BREAKDOWN_OF: Record<ResolvedReport['level'], BreakdownBy | null> = { ward: 'program', program: 'site', site: 'session', session: null };

/** A table as the page shows it: the same columns and rows as its export, as text. */
export interface ShownTable {
	caption: string;
	headers: string[];
	/** Which columns hold numbers (right-aligned). */
	numeric: boolean[];
	rows: Array<{ key: string; href: string | null; cells: string[] }>;
	/** The level's totals, the last row of the export too; null for a visit list. */
	total: string[] | null;
}

/** The totals row of a breakdown: the level's own counts (実 counts each family once, so they need not add up). */
const TOTAL_KEY = 'total';

export interface TrendChart {
	/** `4月` … `3月`. */
	months: string[];
	currentLabel: string;
	previousLabel: string;
	/** Visits (families and walk-in groups, 延べ) a month. */
	current: number[];
	previous: number[];
	/** Registered households of each month of this 年度: 新規, 年度内初回, 継続. */
	newness: Array<{ first: number; year: number; returning: number }>;
}

export interface AttendanceReportPage {
	report: ResolvedReport;
	/** 「令和8年度」「令和8年5月」「令和8年5月10日(日)」 */
	periodLabel: string;
	/** At a session: 「開催」「中止（雨天）」「未開催」…; else null. */
	sessionStatus: string | null;
	counts: AttendanceCounts;
	table: ShownTable;
	trend: TrendChart | null;
}

const n = (v: number) => v.toLocaleString('ja-JP');

/** The query string of a filter with `extra` on top (empty values dropped). */
export function reportHref(path: string, query: Record<string, string>, extra: Record<string, string | null> = {}): string {
	const merged: Record<string, string> = { ...query };
	for (const [k, v] of Object.entries(extra)) {
		if (v === null || v === '') delete merged[k];
		else merged[k] = v;
	}
	const s = new URLSearchParams(merged).toString();
	return s ? `${path}?${s}` : path;
}

export function periodLabel(r: ResolvedReport): string {
	if (r.session || r.day) return formatDateJa(r.from, { era: true });
	if (r.month) return formatYearMonthEraJa(r.month);
	return formatFiscalYearJa(r.fiscalYear);
}

/** The count columns of a row of counts, the same at every level. */
function countColumns<R>(counts: (r: R) => GroupCounts, withSessions: boolean): Column<R>[] {
	const num = (header: string, value: (c: GroupCounts) => number): Column<R> => ({ header, kind: 'number', value: (r) => value(counts(r)) });
	return [
		...(withSessions
			? [
					num('開催', (c) => c.sessions.held),
					num('中止', (c) => c.sessions.cancelled),
					num('未開催', (c) => c.sessions.notOpened),
					num('予定', (c) => c.sessions.upcoming)
				]
			: []),
		num('延べ 家族（組）', (c) => c.visits.families),
		num('延べ 飛び込み（組）', (c) => c.visits.walkIns),
		num('延べ 大人（人）', (c) => c.visits.adults),
		num('延べ 子ども（人）', (c) => c.visits.children),
		...BAND_KEYS.map((b) => num(`延べ ${BAND_KEY_LABEL_JA[b]}`, (c) => c.visits.byBand[b])),
		num('実 世帯', (c) => c.distinct.households),
		num('実 子ども（人）', (c) => c.distinct.children),
		num('新規', (c) => c.newness.firstEver),
		num('年度内初回', (c) => c.newness.firstThisYear),
		num('継続', (c) => c.newness.returning),
		num('区内（世帯）', (c) => c.area.ward),
		num('区外（世帯）', (c) => c.area.outside)
	];
}

const statusText = (status: string | undefined, reason: string | null | undefined, date: IsoDate | undefined, today: IsoDate) => {
	if (status === 'cancelled') return `中止${reason ? `（${labelOf(CANCEL_REASON_LABEL_JA, reason)}）` : ''}`;
	if (status === 'scheduled' && date && date < today) return '未開催';
	return labelOf(SESSION_STATUS_LABEL_JA, status);
};

/** The table one level down: by program, by site, or by session. */
export function breakdownTable(report: ResolvedReport, by: BreakdownBy, today: IsoDate): ExportTable<AttendanceGroup> & { caption: string } {
	const period = periodLabel(report);
	const where = report.site?.name ?? report.program?.name ?? '区全体';
	const caption = by === 'program' ? '事業別' : by === 'site' ? '会場別' : '開催回別';
	const head: Column<AttendanceGroup>[] =
		by === 'session'
			? [
					{ header: '開催日', kind: 'date', value: (g) => g.date ?? null },
					{ header: '会場', kind: 'text', value: (g) => g.label },
					{ header: '状態', kind: 'text', value: (g) => (g.key === TOTAL_KEY ? '' : statusText(g.status, null, g.date, today)) }
				]
			: [{ header: by === 'program' ? '事業' : '会場', kind: 'text', value: (g) => g.label }];
	return {
		caption,
		sheet: `利用状況 ${caption}`,
		title: `${period} 利用状況 ${caption}（${where}）`,
		columns: [...head, ...countColumns<AttendanceGroup>((g) => g.counts, by !== 'session')],
		rows: []
	};
}

/** One row per visit; `withArea` adds where the family lives (the export; the page leaves it out). */
export function visitColumns(o: { withPlace: boolean; withArea: boolean }): Column<VisitRow>[] {
	return [
		...(o.withPlace
			? ([
					{ header: '開催日', kind: 'date', value: (r) => r.date },
					{ header: '年度', kind: 'text', value: (r) => formatFiscalYearJa(r.fiscalYear) },
					{ header: '事業', kind: 'text', value: (r) => r.programName },
					{ header: '会場', kind: 'text', value: (r) => r.siteName }
				] satisfies Column<VisitRow>[])
			: [{ header: '番号', kind: 'number', value: (r) => r.n } satisfies Column<VisitRow>]),
		{ header: '受付時刻', kind: 'text', value: (r) => formatTimeJa(r.checkedInAt) },
		{ header: '受付方法', kind: 'text', value: (r) => labelOf(VISIT_METHOD_LABEL_JA, r.method) },
		{ header: '区分', kind: 'text', value: (r) => (r.walkIn ? '飛び込み' : '登録') },
		{ header: '大人（人）', kind: 'number', value: (r) => r.adults },
		{ header: '子ども（人）', kind: 'number', value: (r) => r.children },
		...BAND_KEYS.map((b): Column<VisitRow> => ({ header: BAND_KEY_LABEL_JA[b], kind: 'number', value: (r) => r.byBand[b] })),
		{ header: '新規・継続', kind: 'text', value: (r) => (r.newness ? NEWNESS_LABEL_JA[r.newness] : r.walkIn ? '—' : '不明') },
		...(o.withArea
			? ([
					{ header: '区内・区外', kind: 'text', value: (r) => (r.area === 'ward' ? '区内' : r.area === 'outside' ? '区外' : null) },
					{ header: '町丁', kind: 'text', value: (r) => r.town },
					{ header: '世帯（仮番号）', kind: 'text', value: (r) => r.householdKey }
				] satisfies Column<VisitRow>[])
			: [])
	];
}

function shown<R>(t: ExportTable<R>, caption: string, key: (r: R) => string, href: (r: R) => string | null): ShownTable {
	const cell = (c: Column<R>, r: R) => {
		const v = c.value(r);
		if (v === null) return '';
		if (c.kind === 'date') return formatDateJa(String(v));
		if (c.kind === 'number') return n(Number(v));
		return String(v);
	};
	const rows = t.rows.map((r) => ({ key: key(r), href: href(r), cells: t.columns.map((c) => cell(c, r)) }));
	// The totals row is named in its first cell, whatever that column holds (a session's date).
	const total = rows.at(-1)?.key === TOTAL_KEY ? rows.pop()!.cells.map((c, i) => (i === 0 ? '合計' : t.columns[i]!.kind === 'number' ? c : '')) : null;
	return { caption, headers: t.columns.map((c) => c.header), numeric: t.columns.map((c) => c.kind === 'number'), rows, total };
}

/** The level's table: its rows, as an export table (the page shows the same). */
async function levelTable(db: Store, scope: SiteScope, report: ResolvedReport, counts: AttendanceCounts, today: IsoDate) {
	const by = BREAKDOWN_OF[report.level];
	if (by === null) {
		const rows = await listVisits(db, scope, report.filter);
		const s = report.session!;
		const table: ExportTable<VisitRow> = {
			sheet: '来場記録',
			title: `${periodLabel(report)} ${report.site?.name ?? ''} ${s.startTime}〜${s.endTime} 来場記録`,
			columns: visitColumns({ withPlace: false, withArea: false }),
			rows
		};
		return {
			table,
			shown: shown(
				table,
				'来場記録',
				(r) => String(r.n),
				() => null
			)
		};
	}
	const groups = await attendanceBreakdown(db, scope, report.filter, by, today);
	const base = breakdownTable(report, by, today);
	const table: ExportTable<AttendanceGroup> = { ...base, rows: [...groups, { key: TOTAL_KEY, label: '合計', counts }] };
	const link = (g: AttendanceGroup) => reportHref('/centre/reports', report.query, { [by]: g.key });
	return { table, shown: shown(table, base.caption, (g) => g.key, link) };
}

export type ReportLoad =
	| { ok: true; page: AttendanceReportPage; options: ReportOptions; scoped: boolean }
	| { ok: false; errors: Record<string, string>; options: ReportOptions; scoped: boolean };

/** Everything the report page shows for a query string, within the user's sites. */
export async function loadAttendanceReport(db: Store, user: StaffUser, params: URLSearchParams, today: IsoDate): Promise<ReportLoad> {
	const scope = await siteScope(db, user);
	const [resolved, options] = await Promise.all([resolveReport(db, scope, params, today), reportOptions(db, scope, today)]);
	const scoped = scope.siteIds !== null;
	if (!resolved.ok) return { ok: false, errors: resolved.errors, options, scoped };
	const report = resolved.data;
	const counts = await attendance(db, scope, report.filter, today);
	const { shown: table } = await levelTable(db, scope, report, counts, today);
	let trend: TrendChart | null = null;
	if (report.level !== 'session') {
		const t = await attendanceTrend(
			db,
			scope,
			{ fiscalYear: report.fiscalYear, programId: report.program?.id ?? null, siteId: report.site?.id ?? null },
			today
		);
		const visits = (v: AttendanceCounts['visits']) => v.families + v.walkIns;
		trend = {
			months: fiscalYearMonths(report.fiscalYear).map((m) => `${Number(m.slice(5))}月`),
			currentLabel: formatFiscalYearJa(report.fiscalYear),
			previousLabel: formatFiscalYearJa(report.fiscalYear - 1),
			current: t.current.map((p) => visits(p.visits)),
			previous: t.previous.map((p) => visits(p.visits)),
			newness: t.current.map((p) => ({ first: p.newness.firstEver, year: p.newness.firstThisYear, returning: p.newness.returning }))
		};
	}
	const s = report.session;
	const sessionStatus = s ? statusText(s.status, s.cancelReason, s.date, today) : null;
	return { ok: true, page: { report, periodLabel: periodLabel(report), sessionStatus, counts, table, trend }, options, scoped };
}

export type ReportExport = { ok: true; body: string | Uint8Array; fileName: string; rows: number } | { ok: false; status: 400; message: string };

/**
 * The table of the level (`table=level`) or every visit of the period and scope (`table=visits`),
 * as .xlsx or CSV; audited as `report.export` with the filter, the table, the format and the rows.
 */
export async function exportAttendanceReport(
	db: Store,
	user: StaffUser,
	params: URLSearchParams,
	which: 'level' | 'visits',
	format: ExportFormat,
	today: IsoDate
): Promise<ReportExport> {
	const scope = await siteScope(db, user);
	const resolved = await resolveReport(db, scope, params, today);
	if (!resolved.ok) return { ok: false, status: 400, message: `絞り込みの条件が正しくありません: ${Object.values(resolved.errors).join('、')}` };
	const report = resolved.data;
	const place = report.site?.name ?? report.program?.name ?? '区全体';
	let body: string | Uint8Array;
	let rows: number;
	let fileName: string;
	if (which === 'visits') {
		const list = await listVisits(db, scope, report.filter, VISIT_EXPORT_MAX_ROWS + 1);
		if (list.length > VISIT_EXPORT_MAX_ROWS)
			return {
				ok: false,
				status: 400,
				message: `来場記録が${n(VISIT_EXPORT_MAX_ROWS)}件を超えるため書き出せません。事業・会場・月で絞ってください。`
			};
		body = await exportBody(
			{
				sheet: '来場記録',
				title: `${periodLabel(report)} 来場記録（${place}・1件1行、氏名なし）`,
				columns: visitColumns({ withPlace: true, withArea: true }),
				rows: list
			},
			format
		);
		rows = list.length;
		fileName = `来場記録-${report.from}_${report.to}`;
	} else {
		const counts = await attendance(db, scope, report.filter, today);
		const { table } = await levelTable(db, scope, report, counts, today);
		body = await exportBody(table as ExportTable<unknown>, format);
		rows = table.rows.length;
		const by = BREAKDOWN_OF[report.level];
		fileName = `利用状況-${by ? breakdownTable(report, by, today).caption : '来場記録'}-${report.from}_${report.to}`;
	}
	await audit(db, `staff:${user.id}`, 'report.export', null, { filter: report.query, table: which, level: report.level, format, rows });
	return { ok: true, body, fileName, rows };
}
