/** What a coordinator sees first: today's sessions across the ward, and the size of things. */
import { fiscalYear, fiscalYearRange, tokyoDate, type IsoDate } from '$lib/domain/dates';
import { isUnopened, tokyoTime } from '$lib/domain/session-state';
import type { SessionData } from '$lib/domain/schemas';
import type { Queryable } from '../db/store';

export interface TodaySession {
	id: string;
	programCode: string;
	programName: string;
	siteName: string;
	startTime: string;
	endTime: string;
	status: SessionData['status'];
	cancelReason: string | null;
	visits: number;
	/** Still 予定 after its end time: no tablet opened it, or it has not synced since. */
	unopened: boolean;
}

/** A session of this 年度 past its end time that never opened, as the overview lists it. */
export interface UnopenedSession {
	id: string;
	siteId: string;
	siteName: string;
	programName: string;
	date: IsoDate;
	startTime: string;
	endTime: string;
}

/** How many of this 年度's sessions ended without opening, and the latest of them. */
export const UNOPENED_SHOWN = 10;

export interface Overview {
	date: string;
	fiscalYear: number;
	today: TodaySession[];
	unopened: { count: number; latest: UnopenedSession[] };
	totals: { households: number; children: number; visitsThisYear: number; devicesActive: number; sites: number };
}

export async function loadOverview(db: Queryable, now: number = Date.now()): Promise<Overview> {
	const date = tokyoDate(now);
	const fy = fiscalYear(date);
	const { start, end } = fiscalYearRange(fy);
	const today = await db.query<Omit<TodaySession, 'unopened'>>(
		`select s.id::text, p.data->>'code' as "programCode", p.data->>'nameJa' as "programName", st.data->>'nameJa' as "siteName",
		        s.data->>'startTime' as "startTime", s.data->>'endTime' as "endTime", s.status, s.data->>'cancelReason' as "cancelReason",
		        (select count(*)::int from visits v where v.session_id = s.id and not v.deleted) as visits
		 from sessions s join sites st on st.id = s.site_id join programs p on p.id = st.program_id
		 where s.session_date = $1 and not s.deleted
		 order by (p.data->>'sort')::int, s.data->>'startTime', st.data->>'nameJa'`,
		[date]
	);
	const totals = await db.query<Overview['totals']>(
		`select (select count(*)::int from households where not deleted) as households,
		        (select count(*)::int from children where not deleted) as children,
		        (select count(*)::int from visits v join sessions s on s.id = v.session_id
		           where not v.deleted and s.session_date between $1 and $2) as "visitsThisYear",
		        (select count(*)::int from devices where state = 'active') as "devicesActive",
		        (select count(*)::int from sites where not deleted and (data->>'active')::boolean) as sites`,
		[start, end]
	);
	// Past its end time in Tokyo: an earlier day of the 年度, or today with the end time reached.
	const unopenedWhere = `from sessions s join sites st on st.id = s.site_id join programs p on p.id = st.program_id
		 where not s.deleted and s.status = 'scheduled' and s.session_date >= $1
		   and (s.session_date < $2 or (s.session_date = $2 and s.data->>'endTime' <= $3))`;
	const unopenedArgs = [start, date, tokyoTime(now)];
	const [unopenedCount, unopenedLatest] = await Promise.all([
		db.query<{ count: number }>(`select count(*)::int as count ${unopenedWhere}`, unopenedArgs),
		db.query<UnopenedSession>(
			`select s.id::text, st.id::text as "siteId", st.data->>'nameJa' as "siteName", p.data->>'nameJa' as "programName",
			        s.session_date as date, s.data->>'startTime' as "startTime", s.data->>'endTime' as "endTime"
			 ${unopenedWhere}
			 order by s.session_date desc, s.data->>'startTime' desc, st.data->>'nameJa' limit ${UNOPENED_SHOWN}`,
			unopenedArgs
		)
	]);
	return {
		date,
		fiscalYear: fy,
		today: today.rows.map((s) => ({ ...s, unopened: isUnopened({ status: s.status, date, endTime: s.endTime }, now) })),
		unopened: { count: unopenedCount.rows[0]!.count, latest: unopenedLatest.rows },
		totals: totals.rows[0]!
	};
}

export interface SiteOption {
	id: string;
	nameJa: string;
	programName: string;
}

export async function listSiteOptions(db: Queryable): Promise<SiteOption[]> {
	const r = await db.query<SiteOption>(
		`select st.id::text, st.data->>'nameJa' as "nameJa", p.data->>'nameJa' as "programName"
		 from sites st join programs p on p.id = st.program_id
		 where not st.deleted and (st.data->>'active')::boolean
		 order by (p.data->>'sort')::int, st.data->>'nameJa'`
	);
	return r.rows;
}
