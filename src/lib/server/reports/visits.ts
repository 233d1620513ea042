/**
 * Visits one by one, for the centre's attendance report: the visit list of a session and the
 * per-visit export of a period. Only what a coordinator needs to read the figures: when, how,
 * how many adults and children (by age band at the session date), walk-in or registered, where
 * the family lives (区内/区外, 町丁) and whether it is new. No name, nickname, card code or id.
 *
 * The counting rules are attendance.ts's: a visit by card whose household arrived later is
 * resolved by its card code; a card the centre does not know is a registered family of unknown
 * newness and area; a deleted visit or session is left out. A visit's 新規 / 年度内初回 / 継続 is
 * judged as attendance.ts judges a session: at its site, from the visits before its date (so a
 * family new in April is 継続 in May, and the session's counts are the sum of its visit list).
 */
import type { BandKey, BandCounts } from './attendance';
import type { IsoDate } from '$lib/domain/dates';
import type { Newness } from '$lib/domain/attendance-labels';
import type { Queryable } from '../db/store';
import type { SiteScope } from '../consultations/scope';
import type { VISIT_METHODS } from '$lib/domain/schemas';

export interface VisitRow {
	/** Where the visit is in the list, from 1: visits have no other name on the page. */
	n: number;
	date: IsoDate;
	fiscalYear: number;
	programName: string;
	siteName: string;
	/** The check-in instant (ISO). */
	checkedInAt: string;
	method: (typeof VISIT_METHODS)[number];
	walkIn: boolean;
	adults: number;
	children: number;
	byBand: BandCounts;
	/** null: a walk-in, or a card the centre does not know. */
	area: 'ward' | 'outside' | null;
	town: string | null;
	newness: Newness | null;
	/**
	 * A household's pseudonym within one answer (`H001`, numbered by first appearance): the same
	 * family twice in one list or file reads the same, and nothing links it to the family or to
	 * another export. null for a walk-in or an unknown card.
	 */
	householdKey: string | null;
}

export interface VisitQuery {
	from: IsoDate;
	to: IsoDate;
	programId?: string | null;
	siteId?: string | null;
	sessionId?: string | null;
}

const emptyBands = (): BandCounts => ({ age0: 0, age1: 0, age2: 0, age3plus: 0, school: 0, unknown: 0 });

/**
 * The visits of a period within the reader's sites (and a program, site or session), by date,
 * site and check-in time. At most `limit` rows: ask for one more than you allow to tell "too many".
 */
export async function listVisits(db: Queryable, scope: SiteScope, q: VisitQuery, limit = 1_000_000): Promise<VisitRow[]> {
	const r = await db.query<{
		d: IsoDate;
		fy: number;
		program_name: string | null;
		site_name: string;
		checked_in_at: string;
		method: VisitRow['method'];
		walkin: boolean;
		adults: number;
		walk_in_children: Partial<Record<BandKey, number>> | null;
		bands: Partial<Record<BandKey, number>> | null;
		hid: string | null;
		area: 'ward' | 'outside' | null;
		town: string | null;
		newness: Newness | null;
	}>(
		`with pv as (
		   select v.id, v.data, s.session_date as d, s.site_id, st.data->>'nameJa' as site_name, p.data->>'nameJa' as program_name,
		          v.data->>'method' = 'walkin' as walkin, coalesce(v.household_id, h.id) as hid
		   from visits v
		   join sessions s on s.id = v.session_id and not s.deleted
		   join sites st on st.id = s.site_id
		   left join programs p on p.id = st.program_id
		   left join households h on v.household_id is null and v.card_code is not null and h.card_code = v.card_code
		   where not v.deleted
		     and ($1::uuid[] is null or s.site_id = any($1::uuid[]))
		     and ($2::uuid is null or st.program_id = $2::uuid)
		     and ($3::uuid is null or s.site_id = $3::uuid)
		     and ($4::uuid is null or s.id = $4::uuid)
		     and s.session_date between $5 and $6
		 ),
		 -- Each household's visit days at these sites, up to the period's end, and for each day the
		 -- one before it there: one sort instead of a look-up per visit.
		 days as (
		   select distinct coalesce(e.household_id, eh.id) as hid, es.site_id, es.session_date as d
		   from visits e
		   join sessions es on es.id = e.session_id and not es.deleted
		   left join households eh on e.household_id is null and e.card_code is not null and eh.card_code = e.card_code
		   where not e.deleted and es.session_date <= $6 and es.site_id in (select site_id from pv)
		 ),
		 prev as (
		   select hid, site_id, d, lag(d) over (partition by hid, site_id order by d) as prev_d from days where hid is not null
		 ),
		 -- Registered children by band at the session date, in one join rather than one a visit.
		 vb as (
		   select id, jsonb_object_agg(band, n) as bands from (
		     select pv.id, coalesce(hiroba_age_band(c.data->>'birthYm', pv.d), 'unknown') as band, count(*)::int as n
		     from pv cross join lateral jsonb_array_elements_text(pv.data->'childIds') as cid(id)
		     left join children c on c.id = cid.id::uuid and not c.deleted
		     where not pv.walkin
		     group by 1, 2
		   ) b group by id
		 )
		 select pv.d, hiroba_fiscal_year(pv.d) as fy, pv.program_name, pv.site_name, pv.data->>'checkedInAt' as checked_in_at,
		        pv.data->>'method' as method, pv.walkin, (pv.data->>'adults')::int as adults,
		        case when pv.walkin then pv.data->'walkInChildren' end as walk_in_children,
		        vb.bands,
		        pv.hid::text as hid, hh.data->>'areaKind' as area, hh.data->>'town' as town,
		        -- The last earlier day there: none → 新規; in an earlier 年度 → 年度内初回; this 年度 → 継続.
		        case
		          when pv.walkin or hh.id is null then null
		          when pr.prev_d is null then 'first'
		          when hiroba_fiscal_year(pr.prev_d) <> hiroba_fiscal_year(pv.d) then 'year'
		          else 'returning'
		        end as newness
		 from pv
		 left join households hh on hh.id = pv.hid
		 left join prev pr on pr.hid = pv.hid and pr.site_id = pv.site_id and pr.d = pv.d
		 left join vb on vb.id = pv.id
		 order by pv.d, pv.site_name, pv.data->>'checkedInAt', pv.id
		 limit $7`,
		[scope.siteIds, q.programId ?? null, q.siteId ?? null, q.sessionId ?? null, q.from, q.to, limit]
	);
	const keys = new Map<string, string>();
	return r.rows.map((row, i) => {
		const byBand = emptyBands();
		for (const [band, n] of Object.entries(row.walk_in_children ?? row.bands ?? {})) byBand[band as BandKey] += Number(n);
		const known = row.hid !== null && row.area !== null;
		let householdKey: string | null = null;
		if (known) {
			householdKey = keys.get(row.hid!) ?? `H${String(keys.size + 1).padStart(3, '0')}`;
			keys.set(row.hid!, householdKey);
		}
		return {
			n: i + 1,
			date: row.d,
			fiscalYear: Number(row.fy),
			programName: row.program_name ?? '',
			siteName: row.site_name,
			checkedInAt: row.checked_in_at,
			method: row.method,
			walkIn: row.walkin,
			adults: row.adults,
			children: Object.values(byBand).reduce((a, b) => a + b, 0),
			byBand,
			area: known ? row.area : null,
			town: known ? row.town : null,
			newness: row.newness,
			householdKey
		};
	});
}
