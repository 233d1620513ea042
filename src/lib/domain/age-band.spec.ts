import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { AGE_BAND_LABEL_JA, AGE_BANDS, ageBandAt, ageInMonths, formatAgeJa, type AgeBand } from './age-band';
import { addDays } from './dates';

describe('ageBandAt: band boundaries', () => {
	it('moves a November 2025 child up a band on each November 1', () => {
		const b = '2025-11';
		expect(ageBandAt(b, '2025-11-01')).toBe('age0');
		expect(ageBandAt(b, '2025-11-30')).toBe('age0');
		expect(ageBandAt(b, '2026-10-31')).toBe('age0');
		expect(ageBandAt(b, '2026-11-01')).toBe('age1');
		expect(ageBandAt(b, '2027-10-31')).toBe('age1');
		expect(ageBandAt(b, '2027-11-01')).toBe('age2');
		expect(ageBandAt(b, '2028-10-31')).toBe('age2');
		expect(ageBandAt(b, '2028-11-01')).toBe('age3plus');
		expect(ageBandAt(b, '2032-03-31')).toBe('age3plus');
		expect(ageBandAt(b, '2032-04-01')).toBe('school');
	});

	it('moves up across a year boundary (birth in January)', () => {
		expect(ageBandAt('2025-01', '2025-12-31')).toBe('age0');
		expect(ageBandAt('2025-01', '2026-01-01')).toBe('age1');
	});

	it('counts a birth month after the session date as no band', () => {
		expect(ageBandAt('2025-11', '2025-10-31')).toBeNull();
		expect(ageBandAt('2026-12', '2026-11-25')).toBeNull();
		expect(ageBandAt('2027-01', '2026-12-31')).toBeNull();
	});
});

describe('ageBandAt: school entry', () => {
	it('sends a child born January–March to school in the April after turning six', () => {
		expect(ageBandAt('2019-03', '2025-03-31')).toBe('age3plus');
		expect(ageBandAt('2019-03', '2025-04-01')).toBe('school');
		expect(ageBandAt('2019-01', '2025-03-31')).toBe('age3plus');
		expect(ageBandAt('2019-01', '2025-04-01')).toBe('school');
	});

	it('sends a child born April–December a year later', () => {
		expect(ageBandAt('2019-04', '2025-04-01')).toBe('age3plus');
		expect(ageBandAt('2019-04', '2026-03-31')).toBe('age3plus');
		expect(ageBandAt('2019-04', '2026-04-01')).toBe('school');
		expect(ageBandAt('2019-12', '2026-03-31')).toBe('age3plus');
		expect(ageBandAt('2019-12', '2026-04-01')).toBe('school');
	});

	it('keeps a school-age sibling in school for good', () => {
		expect(ageBandAt('2015-06', '2026-11-25')).toBe('school');
	});
});

describe('ageBandAt: properties', () => {
	const order: Record<AgeBand, number> = { age0: 0, age1: 1, age2: 2, age3plus: 3, school: 4 };

	it('never moves down as the session date moves later', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 2010, max: 2030 }),
				fc.integer({ min: 1, max: 12 }),
				fc.integer({ min: 0, max: 4000 }),
				fc.integer({ min: 0, max: 400 }),
				(y, m, start, step) => {
					const birth = `${y}-${String(m).padStart(2, '0')}`;
					const d1 = addDays(`${birth}-01`, start);
					const d2 = addDays(d1, step);
					const b1 = ageBandAt(birth, d1);
					const b2 = ageBandAt(birth, d2);
					expect(b1).not.toBeNull();
					expect(b2).not.toBeNull();
					expect(order[b2!]).toBeGreaterThanOrEqual(order[b1!]);
					expect(AGE_BANDS).toContain(b1);
				}
			),
			{ numRuns: 2000 }
		);
	});

	it('agrees with whole years of age before school', () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 71 }), (months) => {
				const birth = '2020-05';
				const date = `${ymPlus(birth, months)}-15`;
				const band = ageBandAt(birth, date);
				const expected: AgeBand = months < 12 ? 'age0' : months < 24 ? 'age1' : months < 36 ? 'age2' : 'age3plus';
				expect(band).toBe(expected);
			})
		);
	});
});

function ymPlus(ym: string, months: number): string {
	const total = Number(ym.slice(0, 4)) * 12 + Number(ym.slice(5, 7)) - 1 + months;
	return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
}

describe('labels', () => {
	it('names each band in Japanese', () => {
		expect(AGE_BANDS).toEqual(['age0', 'age1', 'age2', 'age3plus', 'school']);
		expect(AGE_BAND_LABEL_JA).toEqual({ age0: '0歳', age1: '1歳', age2: '2歳', age3plus: '3歳以上・未就学', school: '就学児' });
	});
});

describe('ageInMonths / formatAgeJa', () => {
	it('counts whole months from the birth month', () => {
		expect(ageInMonths('2025-08', '2026-11-25')).toBe(15);
		expect(ageInMonths('2025-08', '2025-08-31')).toBe(0);
		expect(ageInMonths('2025-12', '2026-01-01')).toBe(1);
		expect(ageInMonths('2024-11', '2026-11-01')).toBe(24);
		expect(ageInMonths('2026-12', '2026-11-25')).toBe(-1);
	});

	it('writes the age the way a consultant says it', () => {
		expect(formatAgeJa(15)).toBe('1歳3か月');
		expect(formatAgeJa(5)).toBe('5か月');
		expect(formatAgeJa(0)).toBe('0か月');
		expect(formatAgeJa(11)).toBe('11か月');
		expect(formatAgeJa(12)).toBe('1歳');
		expect(formatAgeJa(24)).toBe('2歳');
		expect(formatAgeJa(47)).toBe('3歳11か月');
		expect(formatAgeJa(-1)).toBe('—');
	});

	it('chains: a child born 2025-08 on 2026-11-25', () => {
		expect(formatAgeJa(ageInMonths('2025-08', '2026-11-25'))).toBe('1歳3か月');
		expect(ageBandAt('2025-08', '2026-11-25')).toBe('age1');
	});
});
