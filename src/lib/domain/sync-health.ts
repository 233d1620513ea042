/**
 * When the centre warns about a tablet that has stopped syncing. Silence alone is not a problem (a
 * tablet at a site with no session that week has nothing to send); silence across a session is:
 * the visits and consultations of that session may be sitting on the tablet only. So a tablet is
 * overdue when it has not synced for a day AND one of its sites held a (non-cancelled) session
 * after its last sync, up to today (Tokyo calendar). "After its last sync" means the session ended
 * after it: a session that was still running when the tablet last synced may have recorded more.
 */
import { tokyoDate, type IsoDate } from './dates';

export const SYNC_OVERDUE_MS = 24 * 60 * 60_000;

export interface SyncHealthInput {
	state: 'active' | 'retired' | 'revoked';
	/** The last pull that brought the tablet up to date; null if it never finished one. */
	lastSyncAt: string | null;
	/** Used in place of the last sync for a tablet that never synced. */
	enrolledAt: string;
	/** The latest non-cancelled session at the tablet's sites dated on or before today, if any. */
	latestSession: { date: IsoDate; endTime: string } | null;
}

/** The instant a Tokyo date and time of day stand for (Japan keeps +09:00 all year). */
export function tokyoInstant(date: IsoDate, time: string): number {
	return Date.parse(`${date}T${time}:00+09:00`);
}

export function syncOverdue(device: SyncHealthInput, now: number): boolean {
	if (device.state !== 'active') return false;
	const since = Date.parse(device.lastSyncAt ?? device.enrolledAt);
	if (!Number.isFinite(since) || now - since < SYNC_OVERDUE_MS) return false;
	const s = device.latestSession;
	if (!s || s.date > tokyoDate(now)) return false;
	return tokyoInstant(s.date, s.endTime) > since;
}
