/**
 * Consultation counts (延べ: every consultation once, by its session's date) within a reader's site
 * scope: for one fiscal year, month by month, by topic, urgency and program; and for one month of
 * one program (the monthly 事業実績 report), by topic and by follow-up. A consultation with
 * several topics counts once under each, so the topic table adds up to more than the total.
 * Deleted consultations are not counted.
 */
import { addDays, addMonths, fiscalYear, fiscalYearMonths, fiscalYearRange, type YearMonth } from '$lib/domain/dates';
import { FOLLOW_UP_LABEL, URGENCY_LABEL } from '$lib/domain/consultation-labels';
import { FOLLOW_UPS, isReferral, URGENCIES } from '$lib/domain/schemas';
import type { Queryable } from '../db/store';
import type { SiteScope } from '../consultations/scope';
import { topicLabels } from '../consultations/queries';

export interface CountRow {
	key: string;
	label: string;
	/** One count a month, April first. */
	months: number[];
	total: number;
}

export interface ConsultationStats {
	fiscalYear: number;
	months: YearMonth[];
	total: CountRow;
	byTopic: CountRow[];
	byUrgency: CountRow[];
	byProgram: CountRow[];
}

interface Cell {
	ym: string;
	key: string;
	n: number;
}

function tabulate(months: YearMonth[], keys: Array<{ key: string; label: string }>, cells: Cell[]): CountRow[] {
	const rows = new Map(keys.map((k) => [k.key, { ...k, months: months.map(() => 0), total: 0 }]));
	for (const c of cells) {
		const i = months.indexOf(c.ym);
		if (i < 0) continue;
		let row = rows.get(c.key);
		if (!row) {
			// A code nobody lists any more (a topic removed at the centre) still counts, under its code.
			row = { key: c.key, label: c.key, months: months.map(() => 0), total: 0 };
			rows.set(c.key, row);
		}
		row.months[i]! += c.n;
		row.total += c.n;
	}
	return [...rows.values()];
}

export async function consultationStats(db: Queryable, scope: SiteScope, fy: number): Promise<ConsultationStats> {
	const { start, end } = fiscalYearRange(fy);
	const months = fiscalYearMonths(fy);
	const base = `from consultations c join sessions s on s.id = c.session_id join sites st on st.id = s.site_id
		left join programs p on p.id = st.program_id
		where not c.deleted and s.session_date between $1 and $2 and ($3::uuid[] is null or s.site_id = any($3::uuid[]))`;
	const params = [start, end, scope.siteIds];
	const [urgency, topic, program, programs, labels] = await Promise.all([
		db.query<Cell>(`select substr(s.session_date, 1, 7) as ym, c.urgency as key, count(*)::int as n ${base} group by 1, 2`, params),
		db.query<Cell>(
			`select substr(s.session_date, 1, 7) as ym, t.code as key, count(*)::int as n
			 ${base.replace('where', "cross join lateral jsonb_array_elements_text(c.data->'topics') as t(code) where")} group by 1, 2`,
			params
		),
		db.query<Cell>(`select substr(s.session_date, 1, 7) as ym, coalesce(p.data->>'code', '') as key, count(*)::int as n ${base} group by 1, 2`, params),
		db.query<{ key: string; label: string }>(
			`select data->>'code' as key, data->>'nameJa' as label from programs where not deleted order by (data->>'sort')::int`
		),
		topicLabels(db)
	]);
	const byUrgency = tabulate(
		months,
		URGENCIES.map((u) => ({ key: u, label: URGENCY_LABEL[u] })),
		urgency.rows
	);
	const total: CountRow = { key: 'total', label: '合計', months: months.map((_, i) => byUrgency.reduce((a, r) => a + r.months[i]!, 0)), total: 0 };
	total.total = total.months.reduce((a, b) => a + b, 0);
	return {
		fiscalYear: fy,
		months,
		total,
		byTopic: tabulate(
			months,
			[...labels].map(([key, label]) => ({ key, label })),
			topic.rows
		),
		byUrgency,
		byProgram: tabulate(months, programs.rows, program.rows)
	};
}

/** The fiscal years that have consultations in scope, newest first, always with `current`. */
export async function consultationFiscalYears(db: Queryable, scope: SiteScope, current: number): Promise<number[]> {
	const r = await db.query<{ first: string | null; last: string | null }>(
		`select min(s.session_date) as first, max(s.session_date) as last
		 from consultations c join sessions s on s.id = c.session_id
		 where not c.deleted and ($1::uuid[] is null or s.site_id = any($1::uuid[]))`,
		[scope.siteIds]
	);
	const { first, last } = r.rows[0] ?? { first: null, last: null };
	const lo = Math.min(first ? fiscalYear(first) : current, current);
	const hi = Math.max(last ? fiscalYear(last) : current, current);
	return Array.from({ length: hi - lo + 1 }, (_, i) => hi - i);
}

/** One line of a month's consultation counts. */
export interface MonthCount {
	key: string;
	label: string;
	n: number;
}

export interface MonthConsultations {
	/** 延べ: every consultation of the month once. */
	total: number;
	/** Every topic the centre lists (counted or not), then any code no longer listed; several a consultation. */
	byTopic: MonthCount[];
	/** Every follow-up, in the form's order: one a consultation, so these add up to `total`. */
	byFollowUp: MonthCount[];
	/** Consultations referred on to another service (つなぎ): the referral follow-ups together. */
	referrals: number;
}

/**
 * The consultations of one month (by their session's date) at one program's sites within the
 * reader's scope: how many, by topic and by follow-up. Deleted consultations are not counted.
 */
export async function consultationMonth(db: Queryable, scope: SiteScope, filter: { month: YearMonth; programId: string }): Promise<MonthConsultations> {
	const from = `${filter.month}-01`;
	const to = addDays(addMonths(from, 1), -1);
	const base = `from consultations c join sessions s on s.id = c.session_id join sites st on st.id = s.site_id
		where not c.deleted and s.session_date between $1 and $2 and st.program_id = $3::uuid
		  and ($4::uuid[] is null or s.site_id = any($4::uuid[]))`;
	const params = [from, to, filter.programId, scope.siteIds];
	const [topics, followUps, labels] = await Promise.all([
		db.query<{ key: string; n: number }>(
			`select t.code as key, count(*)::int as n
			 ${base.replace('where', "cross join lateral jsonb_array_elements_text(c.data->'topics') as t(code) where")} group by 1`,
			params
		),
		db.query<{ key: string; n: number }>(`select c.data->>'followUp' as key, count(*)::int as n ${base} group by 1`, params),
		topicLabels(db)
	]);
	const count = (rows: Array<{ key: string; n: number }>, keys: Array<{ key: string; label: string }>): MonthCount[] => {
		const out = new Map(keys.map((k) => [k.key, { ...k, n: 0 }]));
		for (const r of rows) {
			const line = out.get(r.key) ?? { key: r.key, label: r.key, n: 0 };
			line.n += r.n;
			out.set(r.key, line);
		}
		return [...out.values()];
	};
	const byFollowUp = count(
		followUps.rows,
		FOLLOW_UPS.map((k) => ({ key: k, label: FOLLOW_UP_LABEL[k] }))
	);
	return {
		total: byFollowUp.reduce((a, r) => a + r.n, 0),
		byTopic: count(
			topics.rows,
			[...labels].map(([key, label]) => ({ key, label }))
		),
		byFollowUp,
		referrals: byFollowUp.filter((r) => isReferral(r.key)).reduce((a, r) => a + r.n, 0)
	};
}
