/**
 * Rules of the staff face's day list that need no database: which of today's sessions the list
 * shows, times of day in Tokyo, and when families still in at the close are checked out.
 */
import { formatTimeJa, type IsoDate } from '$lib/domain/dates';
import type { Row } from '../db/db';

/** `HH:MM` as an `<input type="time">` gives it. */
export const TIME_OF_DAY_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The instant of a time of day (`HH:MM`) on a date, both in Tokyo, as an ISO string. */
export function tokyoInstant(date: IsoDate, time: string): string {
	if (!TIME_OF_DAY_RE.test(time)) throw new RangeError(`not a time of day: ${time}`);
	return new Date(`${date}T${time}:00+09:00`).toISOString();
}

/** An instant's time of day in Tokyo, `HH:MM` (for an `<input type="time">`). */
export function tokyoTimeOfDay(instant: string): string {
	return formatTimeJa(instant);
}

/**
 * The session today's list shows unless staff pick another: the one the kiosk runs, else one that
 * is open, else the last that was closed (after the close, staff still tidy up the day), else none.
 * `sessions` are today's, in order of start time.
 */
export function defaultListSession(sessions: Row<'sessions'>[], activeId: string | null): Row<'sessions'> | null {
	return sessions.find((s) => s.id === activeId) ?? sessions.find((s) => s.status === 'open') ?? sessions.findLast((s) => s.status === 'closed') ?? null;
}

/** The visits still without a check-out (walk-ins and card families alike). */
export function notCheckedOut(visits: Row<'visits'>[]): Row<'visits'>[] {
	return visits.filter((v) => !v.deleted && v.checkedOutAt === null);
}

/**
 * When a session ended, for checking out the families still in: its scheduled end, or now if staff
 * closed it earlier than that.
 */
export function closingInstant(session: Pick<Row<'sessions'>, 'date' | 'endTime'>, now: number): string {
	const end = Date.parse(tokyoInstant(session.date, session.endTime));
	return new Date(Math.min(end, now)).toISOString();
}

/** A check-out at the close, never before the family checked in (one who came in late leaves as it came). */
export function checkOutAtClose(visit: Pick<Row<'visits'>, 'checkedInAt'>, closing: string): string {
	return Date.parse(visit.checkedInAt) > Date.parse(closing) ? visit.checkedInAt : closing;
}
