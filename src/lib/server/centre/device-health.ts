/**
 * The devices page's view of each tablet's sync: what it last said waits in its outbox, when it
 * last caught up, and whether it is overdue (domain/sync-health.ts says when).
 */
import { tokyoDate } from '$lib/domain/dates';
import { syncOverdue, type SyncHealthInput } from '$lib/domain/sync-health';
import { listDevices, type Device } from '../auth/devices';
import type { Queryable } from '../db/store';

export interface DeviceHealth extends Device {
	latestSession: SyncHealthInput['latestSession'];
	overdue: boolean;
}

/**
 * The latest non-cancelled session dated on or before today at each active tablet's sites: all
 * the rule needs, as the latest such session ends after the last sync if any of them does.
 */
async function latestSessions(db: Queryable, today: string): Promise<Map<string, { date: string; endTime: string }>> {
	const r = await db.query<{ id: string; date: string; endTime: string }>(
		`select d.id::text as id, ls.date, ls."endTime"
		 from devices d
		 cross join lateral (
		   select s.session_date as date, s.data->>'endTime' as "endTime" from sessions s
		   where s.site_id = any(d.site_ids) and not s.deleted and s.status <> 'cancelled' and s.session_date <= $1
		   order by s.session_date desc, s.data->>'endTime' desc
		   limit 1
		 ) ls
		 where d.state = 'active'`,
		[today]
	);
	return new Map(r.rows.map((row) => [row.id, { date: row.date, endTime: row.endTime }]));
}

export async function listDeviceHealth(db: Queryable, now: number = Date.now()): Promise<DeviceHealth[]> {
	const [devices, latest] = await Promise.all([listDevices(db), latestSessions(db, tokyoDate(now))]);
	return devices.map((d) => {
		const latestSession = latest.get(d.id) ?? null;
		return { ...d, latestSession, overdue: syncOverdue({ ...d, latestSession }, now) };
	});
}

/** How many tablets are overdue, for the overview page. */
export async function overdueDeviceCount(db: Queryable, now: number = Date.now()): Promise<number> {
	return (await listDeviceHealth(db, now)).filter((d) => d.overdue).length;
}
