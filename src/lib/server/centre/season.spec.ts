/**
 * The season generator's rule → dates: weekdays in a range, skipping public holidays (with their
 * names, substitute holidays too), the 年末年始 closure across the year boundary, and days the site
 * already holds a session at an overlapping time; and the form that refuses bad rules in Japanese.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import holidayJp from '@holiday-jp/holiday_jp';
import { holidayName, isNewYearClosure, parseSeasonRule, planSeason, skipReasonJa, type SeasonRule } from './season';

const rule = (o: Partial<SeasonRule>): SeasonRule => ({ weekdays: [1], startTime: '10:00', endTime: '12:00', from: '2026-11-01', to: '2026-11-30', ...o });
const reasons = (plan: ReturnType<typeof planSeason>) => plan.skipped.map((s) => [s.date, skipReasonJa(s.reason)]);

describe('planSeason', () => {
	it('creates every chosen weekday in the range and skips 文化の日 (2026-11-03, a Tuesday)', () => {
		const plan = planSeason(rule({ weekdays: [2, 5] }), []);
		expect(plan.create).toEqual(['2026-11-06', '2026-11-10', '2026-11-13', '2026-11-17', '2026-11-20', '2026-11-24', '2026-11-27']);
		expect(reasons(plan)).toEqual([['2026-11-03', '祝日 文化の日']]);
	});

	it('skips 成人の日 on 2027-01-11 and the 年末年始 closure across the year boundary, 元日 as the closure', () => {
		const plan = planSeason(rule({ weekdays: [0, 1, 2, 3, 4, 5, 6], from: '2026-12-27', to: '2027-01-12' }), []);
		expect(plan.create).toEqual([
			'2026-12-27',
			'2026-12-28',
			'2027-01-04',
			'2027-01-05',
			'2027-01-06',
			'2027-01-07',
			'2027-01-08',
			'2027-01-09',
			'2027-01-10',
			'2027-01-12'
		]);
		expect(reasons(plan)).toEqual([
			['2026-12-29', '年末年始'],
			['2026-12-30', '年末年始'],
			['2026-12-31', '年末年始'],
			['2027-01-01', '年末年始'],
			['2027-01-02', '年末年始'],
			['2027-01-03', '年末年始'],
			['2027-01-11', '祝日 成人の日']
		]);
	});

	it('skips substitute holidays (振替休日) and the citizens’ holiday between two holidays by their names', () => {
		expect(reasons(planSeason(rule({ weekdays: [3], from: '2026-05-01', to: '2026-05-10' }), []))).toEqual([['2026-05-06', '祝日 こどもの日 振替休日']]);
		expect(reasons(planSeason(rule({ weekdays: [1], from: '2027-03-15', to: '2027-03-29' }), []))).toEqual([['2027-03-22', '祝日 春分の日 振替休日']]);
		expect(reasons(planSeason(rule({ weekdays: [1, 2, 3], from: '2026-09-21', to: '2026-09-23' }), []))).toEqual([
			['2026-09-21', '祝日 敬老の日'],
			['2026-09-22', '祝日 休日'],
			['2026-09-23', '祝日 秋分の日']
		]);
	});

	it('skips a day whose existing session overlaps the time, and keeps one that only touches it or is another day', () => {
		const existing = [
			{ date: '2026-11-09', startTime: '10:30', endTime: '11:00' },
			{ date: '2026-11-16', startTime: '12:00', endTime: '13:00' },
			{ date: '2026-11-17', startTime: '10:00', endTime: '12:00' }
		];
		const plan = planSeason(rule({ weekdays: [1] }), existing);
		expect(plan.create).toEqual(['2026-11-02', '2026-11-16', '2026-11-30']);
		expect(reasons(plan)).toEqual([
			['2026-11-09', '既存の開催回'],
			['2026-11-23', '祝日 勤労感謝の日']
		]);
		// An afternoon season beside the morning sessions takes every Monday but the holiday.
		expect(planSeason(rule({ weekdays: [1], startTime: '13:00', endTime: '15:00' }), existing).create).toHaveLength(4);
	});

	it('gives nothing for a weekday the range does not contain, and refuses a range it cannot walk', () => {
		expect(planSeason(rule({ weekdays: [6], from: '2026-11-02', to: '2026-11-06' }), [])).toEqual({ create: [], skipped: [] });
		expect(() => planSeason(rule({ from: '2026-11-30', to: '2026-11-01' }), [])).toThrow(RangeError);
		expect(() => planSeason(rule({ from: '2026-04-01', to: '2027-04-02' }), [])).toThrow(RangeError);
		expect(() => planSeason(rule({ from: '2026-02-30' }), [])).toThrow(RangeError);
		// A whole year (365 days on) is allowed: 52 or 53 Mondays less the holidays.
		expect(planSeason(rule({ from: '2026-04-01', to: '2027-04-01' }), []).create.length).toBeGreaterThan(40);
	});
});

describe('holidays and the closure', () => {
	it('names the holidays and knows the closure from 12/29 to 1/3', () => {
		expect(holidayName('2026-11-03')).toBe('文化の日');
		expect(holidayName('2027-01-11')).toBe('成人の日');
		expect(holidayName('2026-11-04')).toBeNull();
		expect(['12-28', '12-29', '12-31', '01-01', '01-03', '01-04'].map((md) => isNewYearClosure(`2026-${md}`))).toEqual([false, true, true, true, true, false]);
	});
});

describe('parseSeasonRule', () => {
	const TODAY = '2026-10-20';
	const form = (o: Record<string, string | string[]>) => {
		const fd = new FormData();
		for (const [k, v] of Object.entries(o)) for (const x of [v].flat()) fd.append(k, x);
		return fd;
	};
	const good = { weekday: ['3', '1', '3'], startTime: '10:00', endTime: '11:30', from: '2026-11-01', to: '2027-03-31' };

	it('reads every checked weekday once, in order', () => {
		expect(parseSeasonRule(form(good), TODAY)).toEqual({
			ok: true,
			data: { weekdays: [1, 3], startTime: '10:00', endTime: '11:30', from: '2026-11-01', to: '2027-03-31' }
		});
	});

	it('says in Japanese what is wrong with each field', () => {
		const errorsOf = (o: Record<string, string | string[]>) => {
			const r = parseSeasonRule(form(o), TODAY);
			return r.ok ? null : r.errors;
		};
		expect(errorsOf({ ...good, weekday: [] })).toEqual({ weekdays: '曜日を1つ以上選んでください' });
		expect(errorsOf({ ...good, weekday: ['7'] })).toEqual({ weekdays: '曜日の指定が正しくありません' });
		expect(errorsOf({ ...good, startTime: '' })).toEqual({ startTime: '開始時刻を入力してください' });
		expect(errorsOf({ ...good, endTime: '25:00' })).toEqual({ endTime: '終了時刻は 12:00 の形で入力してください' });
		expect(errorsOf({ ...good, endTime: '10:00' })).toEqual({ endTime: '終了時刻は開始時刻より後にしてください' });
		expect(errorsOf({ ...good, from: '2026-02-30' })).toEqual({ from: '開始日は 2026-04-01 の形の日付で入力してください' });
		expect(errorsOf({ ...good, from: '2026-10-19' })).toEqual({ from: '開始日は今日以降の日付にしてください' });
		expect(errorsOf({ ...good, to: '2026-10-31' })).toEqual({ to: '終了日は開始日以降の日付にしてください' });
		expect(errorsOf({ ...good, to: '2027-11-02' })).toEqual({ to: '期間は1年以内にしてください（終了日は開始日の365日後まで）' });
		expect(errorsOf({ ...good, to: '2027-11-01' })).toBeNull();
		expect(errorsOf({ ...good, from: TODAY, to: TODAY })).toBeNull();
	});
});

describe('planSeason, against a model of the rule over random seasons', () => {
	// The model: the calendar walked with Date objects, holidays asked of the library one day at a
	// time, times compared as minutes. Planted bugs it must catch: `npm run mutants -- season-…`.
	const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
	const time = fc.integer({ min: 6 * 60, max: 20 * 60 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
	const window = fc.tuple(time, fc.integer({ min: 15, max: 180 })).map(([start, len]) => {
		const end = Math.min(minutes(start) + len, 23 * 60 + 59);
		return { startTime: start, endTime: `${String(Math.floor(end / 60)).padStart(2, '0')}:${String(end % 60).padStart(2, '0')}` };
	});
	const day = (from: string, n: number) => new Date(Date.parse(`${from}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
	const season = fc
		.record({
			start: fc.integer({ min: 0, max: 6 * 365 }),
			span: fc.integer({ min: 0, max: 365 }),
			weekdays: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
			window,
			// A session anywhere in the day, or one that ends just as the rule's starts or starts just as it ends.
			existing: fc.array(fc.tuple(fc.integer({ min: 0, max: 365 }), window, fc.constantFrom('any', 'before', 'after')), { maxLength: 30 })
		})
		.map(({ start, span, weekdays, window, existing }) => {
			const from = day('2025-01-01', start);
			const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
			const near = (w: typeof window, kind: string) =>
				kind === 'before'
					? { startTime: hhmm(Math.max(0, minutes(window.startTime) - 30)), endTime: window.startTime }
					: kind === 'after'
						? { startTime: window.endTime, endTime: hhmm(Math.min(23 * 60 + 59, minutes(window.endTime) + 30)) }
						: w;
			return {
				rule: { weekdays, ...window, from, to: day(from, span) } satisfies SeasonRule,
				existing: existing.map(([d, w, kind]) => ({ date: day(from, d), ...near(w, kind) }))
			};
		});

	it('creates exactly the chosen weekdays that are neither closed, a holiday nor taken, and says why each other one is skipped', () => {
		fc.assert(
			fc.property(season, ({ rule, existing }) => {
				const plan = planSeason(rule, existing);
				const expected: Array<[string, string]> = [];
				for (let n = 0; ; n++) {
					const date = day(rule.from, n);
					if (date > rule.to) break;
					const d = new Date(`${date}T00:00:00Z`);
					if (!rule.weekdays.includes(d.getUTCDay())) continue;
					const [m, dd] = [d.getUTCMonth() + 1, d.getUTCDate()];
					const closed = (m === 12 && dd >= 29) || (m === 1 && dd <= 3);
					const holiday = holidayJp.isHoliday(d) ? holidayJp.between(d, d)[0]!.name : null;
					const taken = existing.some((s) => s.date === date && minutes(s.startTime) < minutes(rule.endTime) && minutes(rule.startTime) < minutes(s.endTime));
					expected.push([date, closed ? '年末年始' : holiday ? `祝日 ${holiday}` : taken ? '既存の開催回' : 'create']);
				}
				const got = [...plan.create.map((d) => [d, 'create']), ...reasons(plan)].sort((a, b) => a[0]!.localeCompare(b[0]!));
				expect(got).toEqual(expected);
			}),
			{ numRuns: Number(process.env.SEASON_RUNS) || 200 }
		);
	});
});
