/**
 * How attendance reports read in Japanese at the centre and in their exports: one wording for the
 * pages, the tables and the spreadsheets. (The kiosk asks "how did you hear" in five languages in
 * its own dictionaries; the Japanese here is the same wording.)
 */
import type { CANCEL_REASONS, HEARD_FROM, VISIT_METHODS } from './schemas';

export const HEARD_FROM_LABEL_JA: Record<(typeof HEARD_FROM)[number], string> = {
	health_checkup: '健診・保健師',
	website: '区のホームページ',
	ward_newsletter: '区報',
	friend: '知人・友人',
	poster: 'ポスター・チラシ',
	facility: '児童館・保育園など',
	passing_by: '通りがかり',
	other: 'その他'
};

/** How a family checked in. */
export const VISIT_METHOD_LABEL_JA: Record<(typeof VISIT_METHODS)[number], string> = {
	camera: 'カメラ',
	scanner: 'バーコードリーダー',
	typed: 'コード入力',
	walkin: '飛び込み',
	registration: '初回登録'
};

export const SESSION_STATUS_LABEL_JA: Record<string, string> = { scheduled: '予定', open: '開催中', closed: '開催', cancelled: '中止' };

export const CANCEL_REASON_LABEL_JA: Record<(typeof CANCEL_REASONS)[number], string> = { rain: '雨天', weather: '荒天', other: 'その他' };

/** 新規 / 年度内初回 / 継続 (definitions in server/reports/attendance.ts). */
export type Newness = 'first' | 'year' | 'returning';
export const NEWNESS_LABEL_JA: Record<Newness, string> = { first: '新規', year: '年度内初回', returning: '継続' };

/** Label of a band count key, the age bands and `unknown` (a child whose record is missing). */
export const BAND_KEY_LABEL_JA = {
	age0: '0歳',
	age1: '1歳',
	age2: '2歳',
	age3plus: '3歳以上・未就学',
	school: '就学児',
	unknown: '不明'
} as const;
export const BAND_KEYS = ['age0', 'age1', 'age2', 'age3plus', 'school', 'unknown'] as const;

/** `令和8年5月`: a month with its era, for report headings (dates.ts's formatYearMonthJa has none). */
export function formatYearMonthEraJa(ym: string): string {
	const [y, m] = ym.split('-').map(Number) as [number, number];
	return new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { timeZone: 'UTC', era: 'long', year: 'numeric', month: 'long' }).format(
		new Date(Date.UTC(y, m - 1, 1))
	);
}
