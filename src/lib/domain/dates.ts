/**
 * Calendar rules. Every date that matters (a session's date, a report's month) is a Tokyo calendar
 * date written `YYYY-MM-DD`; instants are ISO strings. Nothing here reads the machine's time zone.
 */
export const TIME_ZONE = 'Asia/Tokyo';

export type IsoDate = string; // YYYY-MM-DD
export type YearMonth = string; // YYYY-MM

export const ISO_DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const YEAR_MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

export function isValidIsoDate(value: string): boolean {
	if (!ISO_DATE_RE.test(value)) return false;
	const [y, m, d] = value.split('-').map(Number) as [number, number, number];
	const dt = new Date(Date.UTC(y, m - 1, d));
	return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/**
 * Tokyo has kept UTC+09:00 all year since 1951 (no daylight saving), so its calendar date is the
 * UTC date nine hours on. Plain arithmetic, not Intl.DateTimeFormat: building a formatter with a
 * time zone loads the zone's data, which cost the kiosk's cold start about 60 ms of main thread
 * (230 ms at 4× CPU throttling) before its first paint.
 */
const TOKYO_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The Tokyo calendar date of an instant (after 1951; RangeError for an invalid one). */
export function tokyoDate(instant: Date | number | string = Date.now()): IsoDate {
	return new Date(new Date(instant).getTime() + TOKYO_OFFSET_MS).toISOString().slice(0, 10);
}

/** `date` moved by `days` calendar days. */
export function addDays(date: IsoDate, days: number): IsoDate {
	const [y, m, d] = date.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * `date` moved by `months` calendar months; a day that the target month lacks becomes its last day
 * (2026-03-31 minus one month is 2026-02-28).
 */
export function addMonths(date: IsoDate, months: number): IsoDate {
	const [y, m, d] = date.split('-').map(Number) as [number, number, number];
	const index = y * 12 + (m - 1) + months;
	const ty = Math.floor(index / 12);
	const tm = index - ty * 12;
	const last = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
	return `${String(ty).padStart(4, '0')}-${String(tm + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Fiscal year (年度): April to March, named by the year it starts in. 2027-03-31 is in 2026. */
export function fiscalYear(date: IsoDate): number {
	const y = Number(date.slice(0, 4));
	const m = Number(date.slice(5, 7));
	return m >= 4 ? y : y - 1;
}

export function fiscalYearRange(fy: number): { start: IsoDate; end: IsoDate } {
	return { start: `${fy}-04-01`, end: `${fy + 1}-03-31` };
}

/** The twelve months of a fiscal year, April first. */
export function fiscalYearMonths(fy: number): YearMonth[] {
	return Array.from({ length: 12 }, (_, i) => {
		const m = ((i + 3) % 12) + 1;
		const y = m >= 4 ? fy : fy + 1;
		return `${y}-${String(m).padStart(2, '0')}`;
	});
}

/** `令和8年度`, or `2026年度` where the era cannot be named. */
export function formatFiscalYearJa(fy: number): string {
	// The fiscal year takes the era year of the calendar year it starts in, named by the era in
	// force at the end of that calendar year: Heisei 31 became Reiwa 1 in May 2019, and FY2019
	// (April 2019 – March 2020) is officially 令和元年度, not 平成31年度 nor 令和2年度.
	const parts = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', {
		timeZone: 'UTC',
		era: 'long',
		year: 'numeric'
	}).formatToParts(new Date(Date.UTC(fy, 11, 31)));
	const era = parts.find((p) => p.type === 'era')?.value;
	const year = parts.find((p) => p.type === 'year')?.value;
	if (!era || !year) return `${fy}年度`;
	return `${era}${year === '1' ? '元' : year}年度`;
}

/** `2026年11月25日(水)`. */
export function formatDateJa(date: IsoDate, opts: { era?: boolean } = {}): string {
	const [y, m, d] = date.split('-').map(Number) as [number, number, number];
	return new Intl.DateTimeFormat(opts.era ? 'ja-JP-u-ca-japanese' : 'ja-JP', {
		timeZone: 'UTC',
		era: opts.era ? 'long' : undefined,
		year: 'numeric',
		month: 'long',
		day: 'numeric',
		weekday: 'short'
	}).format(new Date(Date.UTC(y, m - 1, d)));
}

/**
 * A formatter made on first use: building an Intl.DateTimeFormat (the Japanese calendar's above
 * all) takes milliseconds, which a tablet's cold start should not spend on formats it may not show.
 */
function onFirstUse(make: () => Intl.DateTimeFormat): () => Intl.DateTimeFormat {
	let made: Intl.DateTimeFormat | undefined;
	return () => (made ??= make());
}

const dateTimeJa = onFirstUse(
	() =>
		new Intl.DateTimeFormat('ja-JP', {
			timeZone: TIME_ZONE,
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: '2-digit',
			minute: '2-digit'
		})
);

/** `2026/11/25 09:30` in Tokyo time. */
export function formatDateTimeJa(instant: Date | number | string): string {
	return dateTimeJa().format(new Date(instant));
}

const timeJa = onFirstUse(() => new Intl.DateTimeFormat('ja-JP', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' }));

/** `09:30` in Tokyo time. */
export function formatTimeJa(instant: Date | number | string): string {
	return timeJa().format(new Date(instant));
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
	const utc = (d: IsoDate) => {
		const [y, m, day] = d.split('-').map(Number) as [number, number, number];
		return Date.UTC(y, m - 1, day);
	};
	return Math.round((utc(to) - utc(from)) / 86_400_000);
}

/** `2026年4月`. */
export function formatYearMonthJa(ym: YearMonth): string {
	return `${Number(ym.slice(0, 4))}年${Number(ym.slice(5, 7))}月`;
}

const eraFormat = onFirstUse(
	() => new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { timeZone: 'UTC', era: 'long', year: 'numeric', month: 'numeric', day: 'numeric' })
);

/** The era name and era year of a calendar date, the first year written 元 as official documents do. */
function eraYear(date: IsoDate): { era: string; year: string; month: number; day: number } | null {
	const [y, m, d] = date.split('-').map(Number) as [number, number, number];
	const parts = eraFormat().formatToParts(new Date(Date.UTC(y, m - 1, d)));
	const era = parts.find((p) => p.type === 'era')?.value;
	const year = parts.find((p) => p.type === 'year')?.value;
	if (!era || !year) return null;
	return { era, year: year === '1' ? '元' : year, month: m, day: d };
}

/** `令和8年12月1日` (a document's date, no weekday), or `2026年12月1日` where the era cannot be named. */
export function formatDateEraJa(date: IsoDate): string {
	const e = eraYear(date);
	if (!e) return `${Number(date.slice(0, 4))}年${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
	return `${e.era}${e.year}年${e.month}月${e.day}日`;
}

/**
 * `令和8年11月`: a report's month in era style, named by the era in force on the month's last day
 * (April 2019 is 平成31年4月, May 2019 令和元年5月).
 */
export function formatYearMonthEraJa(ym: YearMonth): string {
	const last = addDays(addMonths(`${ym}-01`, 1), -1);
	const e = eraYear(last);
	if (!e) return formatYearMonthJa(ym);
	return `${e.era}${e.year}年${e.month}月`;
}

/** `たった今`, `5分前`, `3時間前`, `2日前`: how long before `now` an instant was. */
export function formatAgoJa(instant: Date | number | string, now: number): string {
	const minutes = Math.floor((now - new Date(instant).getTime()) / 60_000);
	// A moment ago, or a moment ahead (two clocks never quite agree).
	if (minutes < 1) return 'たった今';
	if (minutes < 60) return `${minutes}分前`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return `${hours}時間前`;
	return `${Math.floor(hours / 24)}日前`;
}
