/**
 * The report rules in SQL (migration 0006) against their TypeScript twins, on PGlite and
 * PostgreSQL: every birth month of eight years against every session date on the 1st, the 15th and
 * the last day of every month of those years (all band edges, school entry, 年度 edges, leap years).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageBandAt } from '$lib/domain/age-band';
import { addDays, addMonths, fiscalYear } from '$lib/domain/dates';
import type { Store } from '$lib/server/db/store';
import { testStores } from '../../../../tests/stores';

const years = [2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026];
const months = years.flatMap((y) => Array.from({ length: 12 }, (_, i) => `${y}-${String(i + 1).padStart(2, '0')}`));
const dates = months.flatMap((ym) => [`${ym}-01`, `${ym}-15`, addDays(addMonths(`${ym}-01`, 1), -1)]);

describe.each(testStores())('report functions in SQL on $name', (ts) => {
	let store: Store;
	beforeAll(async () => {
		store = await ts.open();
	});
	afterAll(async () => {
		await store?.close();
		await ts.dispose();
	});

	it('hiroba_age_band is ageBandAt for every birth month and session date', async () => {
		const r = await store.query<{ b: string; d: string; band: string | null }>(
			`select b, d, hiroba_age_band(b, d) as band from unnest($1::text[]) b cross join unnest($2::text[]) d`,
			[months, dates]
		);
		expect(r.rows).toHaveLength(months.length * dates.length);
		const wrong = r.rows.filter((x) => x.band !== ageBandAt(x.b, x.d));
		expect(wrong.slice(0, 5)).toEqual([]);
		// The edges the rule is about, spelled out.
		const band = (b: string, d: string) => r.rows.find((x) => x.b === b && x.d === d)!.band;
		expect(band('2024-03', '2025-02-28')).toBe('age0');
		expect(band('2024-03', '2025-03-01')).toBe('age1');
		expect(band('2019-03', '2025-04-01')).toBe('school'); // a March birth starts school a year early
		expect(band('2019-04', '2025-04-01')).toBe('age3plus');
		expect(band('2026-05', '2026-04-15')).toBeNull();
		const nulls = await store.query<{ a: string | null; b: string | null; fy: number | null }>(
			`select hiroba_age_band(null, '2026-04-01') as a, hiroba_age_band('2024-01', null) as b, hiroba_fiscal_year(null) as fy`
		);
		expect(nulls.rows).toEqual([{ a: null, b: null, fy: null }]);
	});

	it('hiroba_fiscal_year is fiscalYear for every date', async () => {
		const r = await store.query<{ d: string; fy: number }>(`select d, hiroba_fiscal_year(d) as fy from unnest($1::text[]) d`, [dates]);
		expect(r.rows.filter((x) => x.fy !== fiscalYear(x.d))).toEqual([]);
		expect(r.rows.find((x) => x.d === '2026-03-31')!.fy).toBe(2025);
		expect(r.rows.find((x) => x.d === '2024-02-29')!.fy).toBe(2023);
		expect(r.rows.find((x) => x.d === '2026-04-01')!.fy).toBe(2026);
	});
});
