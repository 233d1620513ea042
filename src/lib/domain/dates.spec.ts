import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
	addDays,
	addMonths,
	formatAgoJa,
	daysBetween,
	fiscalYear,
	fiscalYearMonths,
	fiscalYearRange,
	formatDateEraJa,
	formatDateJa,
	formatFiscalYearJa,
	formatYearMonthEraJa,
	formatYearMonthJa,
	isValidIsoDate,
	ISO_DATE_RE,
	TIME_ZONE,
	tokyoDate,
	YEAR_MONTH_RE
} from './dates';

describe('fiscalYear', () => {
	it('starts on April 1', () => {
		expect(fiscalYear('2026-03-31')).toBe(2025);
		expect(fiscalYear('2026-04-01')).toBe(2026);
		expect(fiscalYear('2026-12-31')).toBe(2026);
		expect(fiscalYear('2027-01-01')).toBe(2026);
		expect(fiscalYear('2027-03-31')).toBe(2026);
		expect(fiscalYear('2027-04-01')).toBe(2027);
	});

	it('puts every date inside its fiscal year range and months (property)', () => {
		fc.assert(
			fc.property(fc.integer({ min: -40_000, max: 40_000 }), (offset) => {
				const d = addDays('2026-04-01', offset);
				const fy = fiscalYear(d);
				const { start, end } = fiscalYearRange(fy);
				expect(start <= d && d <= end).toBe(true);
				expect(fiscalYearMonths(fy)).toContain(d.slice(0, 7));
			}),
			{ numRuns: 2000 }
		);
	});
});

describe('fiscalYearRange / fiscalYearMonths', () => {
	it('runs April 1 to March 31', () => {
		expect(fiscalYearRange(2026)).toEqual({ start: '2026-04-01', end: '2027-03-31' });
		expect(fiscalYearRange(2019)).toEqual({ start: '2019-04-01', end: '2020-03-31' });
	});

	it('lists April..March', () => {
		expect(fiscalYearMonths(2026)).toEqual([
			'2026-04',
			'2026-05',
			'2026-06',
			'2026-07',
			'2026-08',
			'2026-09',
			'2026-10',
			'2026-11',
			'2026-12',
			'2027-01',
			'2027-02',
			'2027-03'
		]);
		for (const ym of fiscalYearMonths(1999)) expect(ym).toMatch(YEAR_MONTH_RE);
	});
});

describe('formatFiscalYearJa', () => {
	it('names the fiscal year in the Japanese era', () => {
		expect(formatFiscalYearJa(2026)).toBe('令和8年度');
		expect(formatFiscalYearJa(2025)).toBe('令和7年度');
		expect(formatFiscalYearJa(2020)).toBe('令和2年度');
		expect(formatFiscalYearJa(2018)).toBe('平成30年度');
	});

	it('calls FY2019 令和元年度, though it began in Heisei 31', () => {
		expect(formatFiscalYearJa(2019)).toBe('令和元年度');
	});

	it('handles the Showa/Heisei change the same way', () => {
		expect(formatFiscalYearJa(1988)).toBe('昭和63年度');
		expect(formatFiscalYearJa(1989)).toBe('平成元年度');
	});
});

describe('tokyoDate', () => {
	it('uses the Tokyo calendar date (UTC+9)', () => {
		expect(TIME_ZONE).toBe('Asia/Tokyo');
		expect(tokyoDate('2026-11-24T15:30:00Z')).toBe('2026-11-25');
		expect(tokyoDate('2026-11-24T14:59:59.999Z')).toBe('2026-11-24');
		expect(tokyoDate('2026-11-24T15:00:00Z')).toBe('2026-11-25');
		expect(tokyoDate('2026-12-31T15:00:00Z')).toBe('2027-01-01');
		expect(tokyoDate('2026-11-25T00:30:00+09:00')).toBe('2026-11-25');
	});

	it('agrees with the IANA Asia/Tokyo calendar for any instant from 1952 on', () => {
		const intl = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit' });
		fc.assert(
			fc.property(fc.integer({ min: Date.UTC(1952, 0, 1), max: Date.UTC(2200, 0, 1) }), (t) => {
				expect(tokyoDate(t)).toBe(intl.format(t));
			}),
			{ numRuns: 2000 }
		);
	});

	it('refuses an instant that is not one', () => {
		expect(() => tokyoDate('not a date')).toThrow(RangeError);
		expect(() => tokyoDate(Number.NaN)).toThrow(RangeError);
	});

	it('takes a Date or epoch milliseconds', () => {
		expect(tokyoDate(new Date('2026-11-24T15:30:00Z'))).toBe('2026-11-25');
		expect(tokyoDate(Date.UTC(2026, 10, 24, 15, 30))).toBe('2026-11-25');
		expect(tokyoDate(Date.UTC(2026, 10, 24, 14, 30))).toBe('2026-11-24');
	});

	it('defaults to now', () => {
		const before = tokyoDate(Date.now());
		const now = tokyoDate();
		const after = tokyoDate(Date.now());
		expect(now).toMatch(ISO_DATE_RE);
		expect(now >= before && now <= after).toBe(true);
	});
});

describe('addMonths', () => {
	it('moves by calendar months, across years, clamping to the last day of a shorter month', () => {
		expect(addMonths('2026-12-01', -13)).toBe('2025-11-01');
		expect(addMonths('2026-12-01', 0)).toBe('2026-12-01');
		expect(addMonths('2026-01-15', 12)).toBe('2027-01-15');
		expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
		expect(addMonths('2028-03-31', -1)).toBe('2028-02-29');
		expect(addMonths('2027-03-31', -13)).toBe('2026-02-28');
		expect(addMonths('2026-05-31', 1)).toBe('2026-06-30');
		expect(addMonths('2026-01-31', -1)).toBe('2025-12-31');
	});

	it('always gives a valid date no later than the same day-of-month', () =>
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 365 * 200 }), fc.integer({ min: -240, max: 240 }), (offset, months) => {
				const from = addDays('1950-01-01', offset);
				const to = addMonths(from, months);
				expect(isValidIsoDate(to)).toBe(true);
				expect(Number(to.slice(8))).toBeLessThanOrEqual(Number(from.slice(8)));
				const monthIndex = (d: string) => Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7));
				expect(monthIndex(to) - monthIndex(from)).toBe(months);
			})
		));
});

describe('addDays', () => {
	it('crosses months, years and leap days', () => {
		expect(addDays('2026-11-25', 0)).toBe('2026-11-25');
		expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
		expect(addDays('2026-04-30', 1)).toBe('2026-05-01');
		expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
		expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
		expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
		expect(addDays('2028-02-29', 1)).toBe('2028-03-01');
		expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
		expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
		expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
		expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
		expect(addDays('2000-02-28', 1)).toBe('2000-02-29');
		expect(addDays('2026-04-01', 365)).toBe('2027-04-01');
		expect(addDays('2027-04-01', 366)).toBe('2028-04-01');
		expect(addDays('2026-11-25', -330)).toBe('2025-12-30');
	});

	it('is undone by the opposite step and always gives a valid date (property)', () => {
		fc.assert(
			fc.property(fc.integer({ min: -50_000, max: 50_000 }), fc.integer({ min: -1000, max: 1000 }), (a, b) => {
				const d = addDays('2026-11-25', a);
				expect(isValidIsoDate(d)).toBe(true);
				expect(addDays(addDays(d, b), -b)).toBe(d);
				expect(addDays(d, 1) > d).toBe(true);
			}),
			{ numRuns: 2000 }
		);
	});
});

describe('daysBetween', () => {
	it('counts calendar days across months, leap days and backwards', () => {
		expect(daysBetween('2026-11-25', '2026-11-25')).toBe(0);
		expect(daysBetween('2026-11-25', '2026-12-02')).toBe(7);
		expect(daysBetween('2028-02-28', '2028-03-01')).toBe(2);
		expect(daysBetween('2027-02-28', '2027-03-01')).toBe(1);
		expect(daysBetween('2027-04-01', '2026-04-01')).toBe(-365);
	});

	it('undoes addDays (property)', () => {
		fc.assert(
			fc.property(fc.integer({ min: -50_000, max: 50_000 }), (n) => {
				expect(daysBetween('2026-11-25', addDays('2026-11-25', n))).toBe(n);
			}),
			{ numRuns: 500 }
		);
	});
});

describe('formatYearMonthJa', () => {
	it('writes the month without a leading zero', () => {
		expect(formatYearMonthJa('2026-04')).toBe('2026年4月');
		expect(formatYearMonthJa('2027-12')).toBe('2027年12月');
	});
});

describe('isValidIsoDate', () => {
	it('accepts real dates', () => {
		for (const d of ['2028-02-29', '2000-02-29', '2026-12-31', '2026-04-30', '2026-01-01', '2026-11-25']) {
			expect(isValidIsoDate(d), d).toBe(true);
		}
	});

	it('refuses impossible dates and other shapes', () => {
		for (const d of [
			'2026-02-30',
			'2026-02-29',
			'2100-02-29',
			'2026-04-31',
			'2026-01-32',
			'2026-13-01',
			'2026-00-10',
			'2026-01-00',
			'2026-1-05',
			'26-01-05',
			' 2026-01-01',
			'2026-01-01T00:00',
			'2026/01/01',
			''
		]) {
			expect(isValidIsoDate(d), d).toBe(false);
		}
	});
});

describe('formatDateJa', () => {
	it('writes the Japanese date with the weekday', () => {
		const s = formatDateJa('2026-11-25');
		expect(s).toContain('2026年11月25日');
		expect(s).toContain('(水)');
		expect(s).toBe('2026年11月25日(水)');
		expect(formatDateJa('2026-04-01')).toBe('2026年4月1日(水)');
		expect(formatDateJa('2027-01-03')).toBe('2027年1月3日(日)');
	});

	it('writes the era when asked', () => {
		expect(formatDateJa('2026-11-25', { era: true })).toBe('令和8年11月25日(水)');
		expect(formatDateJa('2019-04-30', { era: true })).toBe('平成31年4月30日(火)');
		expect(formatDateJa('2019-05-01', { era: true })).toBe('令和元年5月1日(水)');
	});

	it('does not shift the date by time zone at the day edges', () => {
		expect(formatDateJa('2026-01-01')).toBe('2026年1月1日(木)');
		expect(formatDateJa('2026-12-31')).toBe('2026年12月31日(木)');
	});
});

describe('formatDateEraJa / formatYearMonthEraJa', () => {
	it('writes a document date and a report month in era style, the first year as 元', () => {
		expect(formatDateEraJa('2026-12-01')).toBe('令和8年12月1日');
		expect(formatDateEraJa('2019-04-30')).toBe('平成31年4月30日');
		expect(formatDateEraJa('2019-05-01')).toBe('令和元年5月1日');
		expect(formatYearMonthEraJa('2026-11')).toBe('令和8年11月');
		expect(formatYearMonthEraJa('2019-04')).toBe('平成31年4月');
		expect(formatYearMonthEraJa('2019-05')).toBe('令和元年5月');
		expect(formatYearMonthEraJa('2027-01')).toBe('令和9年1月');
	});
});

describe('formatAgoJa', () => {
	it('says how long ago in minutes, hours or days, whole units cut down', () => {
		const now = Date.parse('2026-11-25T09:00:00+09:00');
		const ago = (ms: number) => formatAgoJa(now - ms, now);
		expect(ago(0)).toBe('たった今');
		expect(ago(59_999)).toBe('たった今');
		// A clock a little ahead of the server's is not "in the future" for people.
		expect(ago(-30_000)).toBe('たった今');
		expect(ago(60_000)).toBe('1分前');
		expect(ago(59 * 60_000)).toBe('59分前');
		expect(ago(3 * 3_600_000 + 59 * 60_000)).toBe('3時間前');
		expect(ago(23 * 3_600_000 + 59 * 60_000)).toBe('23時間前');
		expect(ago(24 * 3_600_000)).toBe('1日前');
		expect(formatAgoJa('2026-11-20T09:00:00+09:00', now)).toBe('5日前');
	});
});
