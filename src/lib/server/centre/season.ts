/**
 * A season of sessions from a weekly rule: the pure part. Given the weekdays, the time window and a
 * date range, which dates get a session and which are skipped, and why: a Japanese public holiday
 * (the halls and parks are closed, and so are the ward's programs), the 年末年始 closure from
 * 29 December to 3 January, or a session the site already has at an overlapping time on that day.
 *
 * Server-only because of the holiday table (`@holiday-jp/holiday_jp`, kept up to date by its
 * maintainers from the Cabinet Office's list): the tablets never generate sessions, so they need
 * not carry it. A year after a package update the table may miss holidays that are not yet
 * announced; the preview shows every date before anything is created.
 */
import holidayJp from '@holiday-jp/holiday_jp';
import { z } from 'zod';
import { addDays, daysBetween, isValidIsoDate, type IsoDate } from '$lib/domain/dates';
import type { Parsed } from '../forms';
import { fieldsOf } from '../forms';

/** The longest range one generation covers, in days from the first date to the last. */
export const SEASON_MAX_SPAN_DAYS = 365;

/** 0 = Sunday … 6 = Saturday, as `Date#getUTCDay`; the screen lists Monday first. */
export const WEEKDAY_ORDER = [1, 2, 3, 4, 5, 6, 0] as const;
export const WEEKDAY_LABEL_JA = ['日', '月', '火', '水', '木', '金', '土'] as const;

export interface SeasonRule {
	weekdays: number[];
	startTime: string;
	endTime: string;
	from: IsoDate;
	to: IsoDate;
}

export type SkipReason = { kind: 'holiday'; name: string } | { kind: 'new_year' } | { kind: 'existing' };

export interface SkippedDate {
	date: IsoDate;
	reason: SkipReason;
}

export interface SeasonPlan {
	create: IsoDate[];
	skipped: SkippedDate[];
}

/** A session the site already has (not deleted), whatever its status: a cancelled day stays taken. */
export interface ExistingSession {
	date: IsoDate;
	startTime: string;
	endTime: string;
}

export function weekdayOf(date: IsoDate): number {
	return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** The holiday's Japanese name (`成人の日`, `こどもの日 振替休日`, `休日`), or null on an ordinary day. */
export function holidayName(date: IsoDate): string | null {
	const h = (holidayJp.holidays as Record<string, { name: string } | undefined>)[date];
	return h?.name ?? null;
}

/** 年末年始: the ward's facilities close from 29 December to 3 January. */
export function isNewYearClosure(date: IsoDate): boolean {
	const md = date.slice(5);
	return md >= '12-29' || md <= '01-03';
}

/** Two windows on one day share some minute (touching ends do not: 10:00–12:00 and 12:00–13:00). */
export function overlaps(a: { startTime: string; endTime: string }, b: { startTime: string; endTime: string }): boolean {
	return a.startTime < b.endTime && b.startTime < a.endTime;
}

export function skipReasonJa(reason: SkipReason): string {
	switch (reason.kind) {
		case 'holiday':
			return `祝日 ${reason.name}`;
		case 'new_year':
			return '年末年始';
		case 'existing':
			return '既存の開催回';
	}
}

/**
 * The dates of the rule, each either to create or skipped with the first reason that applies
 * (the closure before the holiday inside it, 元日; either before an existing session). The rule
 * must already be valid (`seasonRuleForm`): this only refuses a range it cannot walk.
 */
export function planSeason(rule: SeasonRule, existing: readonly ExistingSession[]): SeasonPlan {
	if (!isValidIsoDate(rule.from) || !isValidIsoDate(rule.to) || rule.to < rule.from || daysBetween(rule.from, rule.to) > SEASON_MAX_SPAN_DAYS) {
		throw new RangeError(`not a season range: ${rule.from}..${rule.to}`);
	}
	const days = new Set(rule.weekdays);
	const taken = new Map<IsoDate, ExistingSession[]>();
	for (const s of existing) taken.set(s.date, [...(taken.get(s.date) ?? []), s]);
	const plan: SeasonPlan = { create: [], skipped: [] };
	for (let date = rule.from; date <= rule.to; date = addDays(date, 1)) {
		if (!days.has(weekdayOf(date))) continue;
		const holiday = holidayName(date);
		if (isNewYearClosure(date)) plan.skipped.push({ date, reason: { kind: 'new_year' } });
		else if (holiday) plan.skipped.push({ date, reason: { kind: 'holiday', name: holiday } });
		else if ((taken.get(date) ?? []).some((s) => overlaps(s, rule))) plan.skipped.push({ date, reason: { kind: 'existing' } });
		else plan.create.push(date);
	}
	return plan;
}

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const WEEKDAY_VALUES = ['0', '1', '2', '3', '4', '5', '6'] as const;

/** The generation form, with Japanese messages; `today` (Tokyo) is the earliest first date. */
export function seasonRuleForm(today: IsoDate) {
	return z
		.object({
			weekdays: z
				.array(z.enum(WEEKDAY_VALUES, { error: '曜日の指定が正しくありません' }), { error: '曜日を1つ以上選んでください' })
				.min(1, '曜日を1つ以上選んでください')
				.transform((ds) => [...new Set(ds.map(Number))].sort((a, b) => a - b)),
			startTime: z.string({ error: '開始時刻を入力してください' }).regex(TIME_RE, '開始時刻は 10:00 の形で入力してください'),
			endTime: z.string({ error: '終了時刻を入力してください' }).regex(TIME_RE, '終了時刻は 12:00 の形で入力してください'),
			from: z.string({ error: '開始日を入力してください' }).refine(isValidIsoDate, '開始日は 2026-04-01 の形の日付で入力してください'),
			to: z.string({ error: '終了日を入力してください' }).refine(isValidIsoDate, '終了日は 2026-04-01 の形の日付で入力してください')
		})
		.superRefine((r, ctx) => {
			// The checks above do not stop this one from running: compare only what is well-formed.
			if (TIME_RE.test(r.startTime) && TIME_RE.test(r.endTime) && r.endTime <= r.startTime)
				ctx.addIssue({ code: 'custom', path: ['endTime'], message: '終了時刻は開始時刻より後にしてください' });
			if (!isValidIsoDate(r.from) || !isValidIsoDate(r.to)) return;
			if (r.from < today) ctx.addIssue({ code: 'custom', path: ['from'], message: '開始日は今日以降の日付にしてください' });
			if (r.to < r.from) ctx.addIssue({ code: 'custom', path: ['to'], message: '終了日は開始日以降の日付にしてください' });
			else if (daysBetween(r.from, r.to) > SEASON_MAX_SPAN_DAYS)
				ctx.addIssue({ code: 'custom', path: ['to'], message: '期間は1年以内にしてください（終了日は開始日の365日後まで）' });
		});
}

/** The form's fields (every checked weekday, the first value of the rest), read through the rule. */
export function parseSeasonRule(form: FormData, today: IsoDate): Parsed<SeasonRule> {
	const fields: Record<string, unknown> = fieldsOf(form);
	const weekdays = form.getAll('weekday').filter((v): v is string => typeof v === 'string');
	delete fields.weekday;
	const r = seasonRuleForm(today).safeParse({ ...fields, weekdays: weekdays.length > 0 ? weekdays : undefined });
	if (r.success) return { ok: true, data: r.data };
	const errors: Record<string, string> = {};
	for (const issue of r.error.issues) errors[String(issue.path[0] ?? 'form')] ??= issue.message;
	return { ok: false, errors };
}
