/** What a coordinator sees first: today's sessions across the ward, and the size of things. */
import { fiscalYear, fiscalYearRange, tokyoDate } from '$lib/domain/dates';
import type { Queryable } from '../db/store';

export interface TodaySession {
	id: string;
	programCode: string;
	programName: string;
	siteName: string;
	startTime: string;
	endTime: string;
	status: string;
	cancelReason: string | null;
	visits: number;
}

export interface Overview {
	date: string;
	fiscalYear: number;
	today: TodaySession[];
	totals: { households: number; children: number; visitsThisYear: number; devicesActive: number; sites: number };
}

export async function loadOverview(db: Queryable, now: number = Date.now()): Promise<Overview> {
	const date = tokyoDate(now);
	const fy = fiscalYear(date);
	const { start, end } = fiscalYearRange(fy);
	const today = await db.query<TodaySession>(
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
	return { date, fiscalYear: fy, today: today.rows, totals: totals.rows[0]! };
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
