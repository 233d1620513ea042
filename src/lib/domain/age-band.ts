import type { IsoDate, YearMonth } from './dates';

/**
 * Age bands the ward's statistics count children by: 0歳, 1歳, 2歳, 3歳以上・未就学. Children of
 * school age (siblings who come along) are counted apart, as `school`.
 */
export const AGE_BANDS = ['age0', 'age1', 'age2', 'age3plus', 'school'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export const AGE_BAND_LABEL_JA: Record<AgeBand, string> = {
	age0: '0歳',
	age1: '1歳',
	age2: '2歳',
	age3plus: '3歳以上・未就学',
	school: '就学児'
};

/**
 * A child's band on a session date, from the birth year-month alone (we never store a birth day).
 * Age counts whole years as if born on the 1st of the birth month, so a child moves up a band
 * during the birth month. School starts in the April after the sixth birthday; children born 1
 * January–1 April start a year earlier than those born later in the same calendar year, so with
 * only the month known, January–March births go in the earlier school year. Returns null for a
 * birth month after the session date (the record is wrong, or the child is not yet born).
 */
export function ageBandAt(birthYm: YearMonth, sessionDate: IsoDate): AgeBand | null {
	const by = Number(birthYm.slice(0, 4));
	const bm = Number(birthYm.slice(5, 7));
	const sy = Number(sessionDate.slice(0, 4));
	const sm = Number(sessionDate.slice(5, 7));
	const months = (sy - by) * 12 + (sm - bm);
	if (months < 0) return null;
	const schoolEntryYear = bm >= 4 ? by + 7 : by + 6;
	if (sessionDate >= `${schoolEntryYear}-04-01`) return 'school';
	const years = Math.floor(months / 12);
	if (years === 0) return 'age0';
	if (years === 1) return 'age1';
	if (years === 2) return 'age2';
	return 'age3plus';
}

/** Age in whole months on a date (for a consultant's view: 「1歳3か月」). */
export function ageInMonths(birthYm: YearMonth, date: IsoDate): number {
	return (Number(date.slice(0, 4)) - Number(birthYm.slice(0, 4))) * 12 + (Number(date.slice(5, 7)) - Number(birthYm.slice(5, 7)));
}

export function formatAgeJa(months: number): string {
	if (months < 0) return '—';
	const y = Math.floor(months / 12);
	const m = months % 12;
	if (y === 0) return `${m}か月`;
	return m === 0 ? `${y}歳` : `${y}歳${m}か月`;
}
