/**
 * A session the centre still holds as 予定 after its end time: no tablet opened it, or the tablet
 * that did has not synced since. Only a tablet moves a session from `scheduled` to `open` (staff
 * press 開始する), so the centre cannot tell those two apart; it can only say that nothing has
 * reached it, and the coordinator checks with the site.
 */
import type { IsoDate } from './dates';
import type { SessionData } from './schemas';

export const UNOPENED_LABEL_JA = '未開催（受付されませんでした）';
export const UNOPENED_HELP_JA =
	'終了時刻を過ぎても、受付が始まった記録がセンターに届いていない開催回です。タブレットで開始されなかったか、開始したタブレットがまだ同期していません。会場に確認してください。';

/**
 * The instant a session ends. Tokyo has kept UTC+9 all year since 1951 (no daylight saving), so a
 * session's Tokyo date and time name one instant with a fixed offset.
 */
export function sessionEndsAt(date: IsoDate, endTime: string): number {
	return Date.parse(`${date}T${endTime}:00+09:00`);
}

/** The Tokyo wall-clock time of an instant, `HH:MM` (what a session's times are compared with). */
export function tokyoTime(now: number): string {
	return new Date(now + 9 * 3600_000).toISOString().slice(11, 16);
}

/** Still 予定 once its end time has passed in Tokyo: flagged at the centre. */
export function isUnopened(s: { status: SessionData['status']; date: IsoDate; endTime: string }, now: number): boolean {
	return s.status === 'scheduled' && sessionEndsAt(s.date, s.endTime) <= now;
}
