/**
 * Attendance counts for a period (a day, a month, a 年度) within a scope (the reader's sites, and a
 * program, a site or a session), as the ward reports them. The definitions, in one place:
 *
 * - Sessions: 開催 (open or closed), 中止 (cancelled, e.g. rain), 未開催 (still scheduled on a
 *   date before today: never opened), 予定 (scheduled from today on).
 * - 延べ (every visit): family visits and walk-in groups (飛び込み, no card); adults; children by
 *   their age band at the session date (a registered child from its birth month; a walk-in child
 *   by the band staff tapped). A child whose record is unknown counts as `unknown`.
 * - 実 (each once): registered households, and children each counted in the band of their first
 *   visit in the period. A walk-in group and its children cannot be told apart from another, so
 *   each counts once as itself ("counted with everyone else").
 * - 新規 / 年度内初回 / 継続, of the period's registered households, judged within the report's
 *   program or site (a family new to のびのび is new there, whatever it did at にこにこ): 新規 = no
 *   visit before the period; 年度内初回 = visits before, none earlier in the period's 年度;
 *   継続 = an earlier visit in the same 年度. "Before the period" means before `from`: for one
 *   session, ask with its date as the period (and its site), to judge each family as of that day.
 * - 区内 / 区外, 町丁 and 知ったきっかけ: of the period's registered households.
 *
 * A visit by card whose household arrived at the centre later is resolved by its card code; a card
 * the centre does not know at all counts in 延べ only. A deleted visit or session counts nowhere.
 */
import { AGE_BANDS, type AgeBand } from '$lib/domain/age-band';
import { addDays, addMonths, fiscalYear, fiscalYearMonths, fiscalYearRange, type IsoDate, type YearMonth } from '$lib/domain/dates';
import type { Queryable, Store } from '../db/store';
import { refreshReportFacts, WARD_KEY } from './facts';
import type { SiteScope } from '../consultations/scope';

export interface AttendanceFilter {
	from: IsoDate;
	to: IsoDate;
	programId?: string | null;
	siteId?: string | null;
	sessionId?: string | null;
}

export type BandKey = AgeBand | 'unknown';
export type BandCounts = Record<BandKey, number>;

export interface AttendanceCounts {
	sessions: { held: number; cancelled: number; notOpened: number; upcoming: number };
	/** 延べ */
	visits: { families: number; walkIns: number; adults: number; children: number; byBand: BandCounts };
	/** 実 */
	distinct: { households: number; walkInGroups: number; children: number; byBand: BandCounts };
	newness: { firstEver: number; firstThisYear: number; returning: number };
	area: { ward: number; outside: number; towns: Array<{ town: string; households: number }> };
	heardFrom: Array<{ code: string | null; households: number }>;
}

const emptyBands = (): BandCounts => ({ age0: 0, age1: 0, age2: 0, age3plus: 0, school: 0, unknown: 0 });

/**
 * The sessions of the scope (and the program or site asked for) as SQL, with their visits resolved
 * to households. `$1` site scope (null: all), `$2` program, `$3` site.
 */
const SCOPED_SESSIONS = `
	select s.id, s.session_date as d, s.status, s.site_id, st.program_id
	from sessions s join sites st on st.id = s.site_id
	where not s.deleted
	  and ($1::uuid[] is null or s.site_id = any($1::uuid[]))
	  and ($2::uuid is null or st.program_id = $2::uuid)
	  and ($3::uuid is null or s.site_id = $3::uuid)`;

/**
 * The visits of some sessions with their households resolved (by id, or by the card a visit names
 * alone). Per session and per visit by index, so that a site's or a day's visits never cost a scan
 * of every visit and household in the ward (`offset 0` and `limit 1` keep the planner from
 * flattening these into hash joins over whole tables).
 */
const RESOLVED_VISITS = (sessions: string) => `
	select v.id, ss.id as sid, ss.d, v.data, v.data->>'method' = 'walkin' as walkin, coalesce(hk.id, hc.id) as hid
	from (${sessions}) ss
	cross join lateral (select * from visits v where v.session_id = ss.id and not v.deleted offset 0) v
	left join lateral (select hk.id from households hk where hk.id = v.household_id limit 1) hk on true
	left join lateral (select h.id from households h where v.household_id is null and v.card_code is not null and h.card_code = v.card_code limit 1) hc on true`;

/** A child of a visit (`cid.id`) with its birth month, by index (none for a child not known here). */
const CHILD_BIRTH = `left join lateral (select c.data->>'birthYm' as ym from children c where c.id = cid.id::uuid and not c.deleted limit 1) c on true`;

/** The period's sessions: the scope, the dates, and the one session when one is asked for. */
const PERIOD_SESSIONS = `${SCOPED_SESSIONS} and s.session_date between $4 and $5 and ($6::uuid is null or s.id = $6::uuid)`;

const filterParams = (scope: SiteScope, filter: AttendanceFilter) => [
	scope.siteIds,
	filter.programId ?? null,
	filter.siteId ?? null,
	filter.from,
	filter.to,
	filter.sessionId ?? null
];

/** Sessions held, cancelled, never opened and still to come, of the period; grouped by `key` if given. */
const SESSION_COUNTS = (key: string | null) => `
	select ${key ? `${key}::text as key,` : ''}
	       count(*) filter (where status in ('open', 'closed'))::int as held,
	       count(*) filter (where status = 'cancelled')::int as cancelled,
	       count(*) filter (where status = 'scheduled' and d < $7)::int as not_opened,
	       count(*) filter (where status = 'scheduled' and d >= $7)::int as upcoming
	from (${PERIOD_SESSIONS}) ps ${key ? `group by ${key}` : ''}`;

async function sessionCounts(db: Queryable, scope: SiteScope, filter: AttendanceFilter, today: IsoDate): Promise<SessionCounts> {
	const r = await db.query<SessionCounts>(SESSION_COUNTS(null), [...filterParams(scope, filter), today]);
	return r.rows[0]!;
}

/**
 * The counts for a period and scope. A month or a 年度 is read from the attendance facts (a few
 * thousand session rows and one row per household and child of the period); any other period (a
 * day, a session) from the visits, which are few then.
 */
export async function attendance(store: Store, scope: SiteScope, filter: AttendanceFilter, today: IsoDate): Promise<AttendanceCounts> {
	await refreshReportFacts(store);
	const period = filter.sessionId ? null : factPeriod(filter.from, filter.to);
	if (period === null) {
		// A day or a session: its visits are few; who is new is read from the facts when the
		// period lies within one 年度 (it always does for a day or a session).
		const oneYear = fiscalYear(filter.from) === fiscalYear(filter.to);
		const target = oneYear ? await factTarget(store, scope, filter) : null;
		const keys = target ? (target.lvl === 0 ? { lvl: 0, keys: target.keys } : { lvl: target.lvl, keys: [target.key] }) : undefined;
		return attendanceFromVisits(store, scope, filter, today, keys);
	}
	return attendanceFromFacts(store, scope, filter, period, today);
}

/** The facts' name for the period, if it is a whole month ('YYYY-MM') or a whole 年度 ('YYYY'). */
export function factPeriod(from: IsoDate, to: IsoDate): string | null {
	const fy = fiscalYear(from);
	const year = fiscalYearRange(fy);
	if (from === year.start && to === year.end) return String(fy);
	if (from.endsWith('-01') && to === addDays(addMonths(from, 1), -1)) return from.slice(0, 7);
	return null;
}

/**
 * Where the facts of a filter are: one program's or the ward's rows when the reader sees every site;
 * otherwise the rows of each site the reader may see and asked for, merged per household and child.
 */
async function factTarget(db: Queryable, scope: SiteScope, filter: AttendanceFilter): Promise<{ lvl: 1 | 2; key: string } | { lvl: 0; keys: string[] }> {
	if (scope.siteIds === null && !filter.siteId) return filter.programId ? { lvl: 1, key: filter.programId } : { lvl: 2, key: WARD_KEY };
	const r = await db.query<{ id: string }>(
		`select st.id::text as id from sites st
		 where ($1::uuid[] is null or st.id = any($1::uuid[])) and ($2::uuid is null or st.program_id = $2::uuid) and ($3::uuid is null or st.id = $3::uuid)`,
		[scope.siteIds, filter.programId ?? null, filter.siteId ?? null]
	);
	return { lvl: 0, keys: r.rows.map((x) => x.id) };
}

/**
 * A household's first visit ever and first visit in the 年度 `fy`, at the level's keys: the least
 * over its 年度 rows there (one per 年度 it came in; every row of a key carries the same first ever).
 */
const FIRSTS_AT_SITES = (household: string, fy: string, lvl = '$1', keys = '$2') =>
	`select min(r.first_ever) as fe, min(r.first_date) filter (where r.period = ${fy}::text) as fi
	 from report_households r
	 where r.household_id = ${household} and r.lvl = ${lvl}::smallint and r.key = any(${keys}::uuid[]) and length(r.period) = 4`;

/** The period's households (kind judged from its start) and children, from the facts of a target. */
function factQueries(target: { lvl: 1 | 2; key: string } | { lvl: 0; keys: string[] }) {
	const kind = (firstInFy: string, firstEver: string) =>
		`case when ${firstEver} >= $3::text then 'first' when ${firstInFy} >= $3::text then 'year' else 'returning' end`;
	const single = target.lvl !== 0 ? target.key : target.keys.length === 1 ? target.keys[0]! : null;
	if (single !== null) {
		return {
			params: [target.lvl, [single]],
			extra: (): string[] => [],
			households: `select area, town, heard, ${kind('first_in_fy', 'first_ever')} as kind, count(*)::int as n
				from report_households where lvl = $1 and key = any($2::uuid[]) and period = $4 group by 1, 2, 3, 4`,
			// Its children by band, kept counted per period.
			children: `select b.band, b.n from report_period_totals t
				cross join lateral (values ${[...AGE_BANDS.map((b) => `('${b}', t.c_${b})`), '(null, t.c_unknown)'].join(', ')}) as b(band, n)
				where t.lvl = $1 and t.key = any($2::uuid[]) and t.period = $3`
		};
	}
	return {
		params: [0, target.lvl === 0 ? target.keys : []],
		extra: (fy: string) => [fy],
		// A household's first visit ever, or in the 年度, at any of the sites may lie outside the
		// period (at a site it did not visit in it): read from its 年度 rows at every one of them.
		households: `select area, town, heard, ${kind('fi', 'fe')} as kind, count(*)::int as n from (
				select ph.area, ph.town, ph.heard, f.fi, f.fe from (
					select household_id, min(area) as area, min(town) as town, min(heard) as heard
					from report_households where lvl = $1 and key = any($2::uuid[]) and period = $4 group by household_id
				) ph cross join lateral (${FIRSTS_AT_SITES('ph.household_id', '$5')}) f
			) h group by 1, 2, 3, 4`,
		children: `select band, count(*)::int as n from (
				select (array_agg(band order by first_date))[1] as band
				from report_children where lvl = $1 and key = any($2::uuid[]) and period = $3 group by child_id
			) c group by band`
	};
}

/** 延べ of the period's sessions, from their rows; grouped by `key` (named `as`) if given. */
const SESSION_TOTALS = (key: string | null = null, as = 'key') => `
	select ${key ? `${key} as ${as},` : ''} coalesce(sum(families), 0)::int as families, coalesce(sum(walk_ins), 0)::int as walk_ins, coalesce(sum(adults), 0)::int as adults,
	       ${['age0', 'age1', 'age2', 'age3plus', 'school', 'unknown'].map((b) => `coalesce(sum(r_${b}), 0)::int as r_${b}`).join(', ')},
	       ${AGE_BANDS.map((b) => `coalesce(sum(w_${b}), 0)::int as w_${b}`).join(', ')}
	from report_sessions r
	where ($1::uuid[] is null or r.site_id = any($1::uuid[])) and ($2::uuid is null or r.program_id = $2::uuid)
	  and ($3::uuid is null or r.site_id = $3::uuid) and r.session_date between $4 and $5 and ($6::uuid is null or r.session_id = $6::uuid)
	${key ? `group by 1` : ''}`;

type SessionTotalsRow = Record<string, number>;

function totalsOf(r: SessionTotalsRow): { totals: Totals; bands: BandRow[] } {
	const walkInBands = Object.fromEntries(AGE_BANDS.map((b) => [b, r[`w_${b}`] ?? 0])) as Record<AgeBand, number>;
	const bands: BandRow[] = [...AGE_BANDS.map((b) => ({ band: b, n: r[`r_${b}`] ?? 0 })), { band: null, n: r.r_unknown ?? 0 }];
	return {
		totals: {
			families: r.families ?? 0,
			walk_ins: r.walk_ins ?? 0,
			adults: r.adults ?? 0,
			registered_children: bands.reduce((n, b) => n + b.n, 0),
			walk_in_bands: walkInBands
		},
		bands
	};
}

async function attendanceFromFacts(db: Queryable, scope: SiteScope, filter: AttendanceFilter, period: string, today: IsoDate): Promise<AttendanceCounts> {
	const target = await factTarget(db, scope, filter);
	const q = factQueries(target);
	const [sessions, totals, households, children] = await Promise.all([
		sessionCounts(db, scope, filter, today),
		db.query<SessionTotalsRow>(SESSION_TOTALS(), filterParams(scope, filter)),
		db.query<AreaRow & { kind: KindRow['kind'] }>(q.households, [...q.params, filter.from, period, ...q.extra(String(fiscalYear(filter.from)))]),
		db.query<BandRow>(q.children, [...q.params, period])
	]);
	const { totals: t, bands } = totalsOf(totals.rows[0]!);
	const newness = new Map<KindRow['kind'], number>();
	for (const r of households.rows) newness.set(r.kind, (newness.get(r.kind) ?? 0) + r.n);
	return assemble(
		sessions,
		t,
		bands,
		children.rows,
		households.rows,
		[...newness].map(([kind, n]) => ({ kind, n }))
	);
}

/** The reference count, straight from the visits: any period, slow over a large ward. */
export async function attendanceFromVisits(
	db: Queryable,
	scope: SiteScope,
	filter: AttendanceFilter,
	today: IsoDate,
	/**
	 * For a period within one 年度: judge 新規/継続 from the households' first visits kept in the
	 * facts (at this level and these keys) instead of searching every earlier visit.
	 */
	facts?: { lvl: number; keys: string[] }
): Promise<AttendanceCounts> {
	const params = filterParams(scope, filter);
	const visits = `with pv as (${RESOLVED_VISITS(PERIOD_SESSIONS)})`;

	const [sessions, totals, bands, firstBands, households, newness] = await Promise.all([
		sessionCounts(db, scope, filter, today),
		db.query<{ families: number; walk_ins: number; adults: number; registered_children: number; walk_in_bands: Record<AgeBand, number> }>(
			`${visits}
			 select count(*) filter (where not walkin)::int as families,
			        count(*) filter (where walkin)::int as walk_ins,
			        coalesce(sum((data->>'adults')::int), 0)::int as adults,
			        coalesce(sum(jsonb_array_length(data->'childIds')) filter (where not walkin), 0)::int as registered_children,
			        jsonb_build_object(${AGE_BANDS.map((b) => `'${b}', coalesce(sum((data->'walkInChildren'->>'${b}')::int) filter (where walkin), 0)`).join(', ')}) as walk_in_bands
			 from pv`,
			params
		),
		// 延べ children of registered families, by band at the session date.
		db.query<{ band: AgeBand | null; n: number }>(
			`${visits}
			 select hiroba_age_band(c.ym, pv.d) as band, count(*)::int as n
			 from pv cross join lateral jsonb_array_elements_text(pv.data->'childIds') as cid(id)
			 ${CHILD_BIRTH}
			 where not pv.walkin
			 group by 1`,
			params
		),
		// 実 children: each registered child once, in the band of its first visit in the period.
		db.query<{ band: AgeBand | null; n: number }>(
			`${visits}
			 select band, count(*)::int as n from (
			   select distinct on (cid.id) cid.id, hiroba_age_band(c.ym, pv.d) as band
			   from pv cross join lateral jsonb_array_elements_text(pv.data->'childIds') as cid(id)
			 ${CHILD_BIRTH}
			   where not pv.walkin and pv.hid is not null
			   order by cid.id, pv.d
			 ) first_visits group by band`,
			params
		),
		// The period's registered households, with where they live and how they heard.
		db.query<{ area: string | null; town: string | null; heard: string | null; n: number }>(
			`${visits}
			 select h.data->>'areaKind' as area, h.data->>'town' as town, h.data->>'heardFrom' as heard, count(*)::int as n
			 from (select distinct hid from pv where not walkin and hid is not null) ph
			 join households h on h.id = ph.hid
			 group by 1, 2, 3`,
			params
		),
		// 新規 / 年度内初回 / 継続: each household's visits before the period, within the scope.
		facts
			? db.query<KindRow>(
					`${visits},
					 ph as (select distinct hid from pv where not walkin and hid is not null)
					 select case when fe >= $4 then 'first' when fi >= $4 then 'year' else 'returning' end as kind, count(*)::int as n
					 from (select ph.hid, f.fe, f.fi from ph cross join lateral (${FIRSTS_AT_SITES('ph.hid', '$9', '$7', '$8')}) f) x group by 1`,
					[...params, facts.lvl, facts.keys, String(fiscalYear(filter.from))]
				)
			: db.query<KindRow>(
					`${visits},
					 ph as (select distinct hid from pv where not walkin and hid is not null),
					 earlier as (${RESOLVED_VISITS(`${SCOPED_SESSIONS} and s.session_date < $4`)})
					 select case
					          when not exists (select 1 from earlier e where e.hid = ph.hid) then 'first'
					          when not exists (select 1 from earlier e where e.hid = ph.hid and e.d >= $7) then 'year'
					          else 'returning'
					        end as kind, count(*)::int as n
					 from ph group by 1`,
					[...params, fiscalYearRange(fiscalYear(filter.from)).start]
				)
	]);

	return assemble(sessions, totals.rows[0]!, bands.rows, firstBands.rows, households.rows, newness.rows);
}

interface Totals {
	families: number;
	walk_ins: number;
	adults: number;
	registered_children: number;
	walk_in_bands: Record<AgeBand, number>;
}
type SessionCounts = { held: number; cancelled: number; not_opened: number; upcoming: number };
type BandRow = { band: AgeBand | null; n: number };
type AreaRow = { area: string | null; town: string | null; heard: string | null; n: number };
type KindRow = { kind: 'first' | 'year' | 'returning'; n: number };

function assemble(s: SessionCounts, t: Totals, bands: BandRow[], firstBands: BandRow[], households: AreaRow[], newness: KindRow[]): AttendanceCounts {
	const byBand = emptyBands();
	for (const b of AGE_BANDS) byBand[b] += t.walk_in_bands[b] ?? 0;
	for (const r of bands) byBand[r.band ?? 'unknown'] += r.n;
	const walkInChildren = AGE_BANDS.reduce((n, b) => n + (t.walk_in_bands[b] ?? 0), 0);

	const distinctBands = emptyBands();
	for (const b of AGE_BANDS) distinctBands[b] += t.walk_in_bands[b] ?? 0;
	for (const r of firstBands) distinctBands[r.band ?? 'unknown'] += r.n;

	const towns = new Map<string, number>();
	const heard = new Map<string | null, number>();
	let ward = 0;
	let outside = 0;
	for (const r of households) {
		if (r.area === 'ward') ward += r.n;
		else outside += r.n;
		if (r.town) towns.set(r.town, (towns.get(r.town) ?? 0) + r.n);
		heard.set(r.heard, (heard.get(r.heard) ?? 0) + r.n);
	}
	const kinds = Object.fromEntries(newness.map((r) => [r.kind, r.n]));
	return {
		sessions: { held: s.held, cancelled: s.cancelled, notOpened: s.not_opened, upcoming: s.upcoming },
		visits: { families: t.families, walkIns: t.walk_ins, adults: t.adults, children: t.registered_children + walkInChildren, byBand },
		distinct: {
			households: ward + outside,
			walkInGroups: t.walk_ins,
			children: Object.values(distinctBands).reduce((a, b) => a + b, 0),
			byBand: distinctBands
		},
		newness: { firstEver: kinds.first ?? 0, firstThisYear: kinds.year ?? 0, returning: kinds.returning ?? 0 },
		area: {
			ward,
			outside,
			towns: [...towns].map(([town, n]) => ({ town, households: n })).sort((a, b) => b.households - a.households || a.town.localeCompare(b.town, 'ja'))
		},
		heardFrom: [...heard]
			.map(([code, n]) => ({ code, households: n }))
			.sort((a, b) => b.households - a.households || String(a.code).localeCompare(String(b.code)))
	};
}

/** The counts of one row of a drill-down: all but the 町丁 list and how families heard. */
export type GroupCounts = Omit<AttendanceCounts, 'area' | 'heardFrom'> & { area: { ward: number; outside: number } };

export const groupCounts = (c: AttendanceCounts): GroupCounts => ({
	sessions: c.sessions,
	visits: c.visits,
	distinct: c.distinct,
	newness: c.newness,
	area: { ward: c.area.ward, outside: c.area.outside }
});

/** One row of a drill-down: a program, a site or a session of the period, with its counts. */
export interface AttendanceGroup {
	/** The program's, site's or session's id. */
	key: string;
	label: string;
	/** For a session: its date and status; for a site: its program. */
	date?: IsoDate;
	status?: string;
	programId?: string;
	counts: GroupCounts;
}

export type BreakdownBy = 'program' | 'site' | 'session';

/**
 * The period's counts one level down: by program (the ward), by site (a program) or by session (a
 * site). Programs and sites are listed even with nothing in the period; sessions only if held or
 * planned in it. A session's newness is judged as of its own date, at its site.
 */
export async function attendanceBreakdown(db: Store, scope: SiteScope, filter: AttendanceFilter, by: BreakdownBy, today: IsoDate): Promise<AttendanceGroup[]> {
	await refreshReportFacts(db);
	const groups = await breakdownGroups(db, scope, filter, by);
	const period = filter.sessionId ? null : factPeriod(filter.from, filter.to);
	// Each site, or each program when the reader sees every site: one set of grouped queries.
	if (period !== null && (by === 'site' || (by === 'program' && scope.siteIds === null && !filter.siteId))) {
		const counts = await groupedFromFacts(
			db,
			scope,
			filter,
			period,
			by,
			groups.map((g) => g.key),
			today
		);
		return groups.map((g) => ({
			key: g.key,
			label: g.label,
			...(g.program_id ? { programId: g.program_id } : {}),
			counts: counts.get(g.key)!
		}));
	}
	if (by === 'session') {
		const counts = await sessionsFromVisits(db, scope, filter, today);
		return groups.map((g) => ({ key: g.key, label: g.label, date: g.date!, status: g.status!, counts: groupCounts(counts.get(g.key)!) }));
	}
	const out: AttendanceGroup[] = [];
	for (const g of groups) {
		const f: AttendanceFilter =
			by === 'program'
				? { ...filter, programId: g.key, siteId: filter.siteId ?? null }
				: by === 'site'
					? { ...filter, siteId: g.key }
					: { from: g.date!, to: g.date!, siteId: g.site_id!, sessionId: g.key };
		out.push({
			key: g.key,
			label: g.label,
			...(g.date ? { date: g.date, status: g.status! } : {}),
			...(g.program_id ? { programId: g.program_id } : {}),
			counts: groupCounts(await attendance(db, scope, f, today))
		});
	}
	return out;
}

/**
 * Each session of the period with its counts, as `attendance()` gives one session asked for on its
 * own date at its site (新規/継続 as of that day there), in one set of queries grouped by session.
 */
async function sessionsFromVisits(db: Queryable, scope: SiteScope, filter: AttendanceFilter, today: IsoDate): Promise<Map<string, AttendanceCounts>> {
	const params = filterParams(scope, filter);
	const visits = `with pv as (${RESOLVED_VISITS(PERIOD_SESSIONS)})`;
	const [sessions, totals, bands, children, households, newness] = await Promise.all([
		db.query<{ sid: string; status: string; d: string }>(`select ps.id::text as sid, ps.status, ps.d from (${PERIOD_SESSIONS}) ps`, params),
		db.query<Totals & { sid: string }>(
			`${visits}
			 select sid::text as sid, count(*) filter (where not walkin)::int as families,
			        count(*) filter (where walkin)::int as walk_ins,
			        coalesce(sum((data->>'adults')::int), 0)::int as adults,
			        coalesce(sum(jsonb_array_length(data->'childIds')) filter (where not walkin), 0)::int as registered_children,
			        jsonb_build_object(${AGE_BANDS.map((b) => `'${b}', coalesce(sum((data->'walkInChildren'->>'${b}')::int) filter (where walkin), 0)`).join(', ')}) as walk_in_bands
			 from pv group by sid`,
			params
		),
		db.query<BandRow & { sid: string }>(
			`${visits}
			 select pv.sid::text as sid, hiroba_age_band(c.ym, pv.d) as band, count(*)::int as n
			 from pv cross join lateral jsonb_array_elements_text(pv.data->'childIds') as cid(id)
			 ${CHILD_BIRTH}
			 where not pv.walkin group by 1, 2`,
			params
		),
		db.query<BandRow & { sid: string }>(
			`${visits}
			 select sid, band, count(*)::int as n from (
			   select distinct pv.sid::text as sid, cid.id, hiroba_age_band(c.ym, pv.d) as band
			   from pv cross join lateral jsonb_array_elements_text(pv.data->'childIds') as cid(id)
			 ${CHILD_BIRTH}
			   where not pv.walkin and pv.hid is not null
			 ) x group by 1, 2`,
			params
		),
		db.query<AreaRow & { sid: string }>(
			`${visits}
			 select ph.sid::text as sid, h.data->>'areaKind' as area, h.data->>'town' as town, h.data->>'heardFrom' as heard, count(*)::int as n
			 from (select distinct sid, hid from pv where not walkin and hid is not null) ph
			 join households h on h.id = ph.hid
			 group by 1, 2, 3, 4`,
			params
		),
		// As of each session's date, at its site: the household's first visit there ever and in the 年度.
		db.query<KindRow & { sid: string }>(
			`${visits},
			 ph as (select distinct pv.sid, pv.d, pv.hid, s.site_id from pv join sessions s on s.id = pv.sid where not pv.walkin and pv.hid is not null)
			 select ph.sid::text as sid, case when f.fe >= ph.d then 'first' when f.fi >= ph.d then 'year' else 'returning' end as kind, count(*)::int as n
			 from ph cross join lateral (
			   select min(r.first_ever) as fe, min(r.first_date) filter (where r.period = hiroba_fiscal_year(ph.d)::text) as fi
			   from report_households r
			   where r.household_id = ph.hid and r.lvl = 0 and r.key = ph.site_id and length(r.period) = 4
			 ) f
			 group by 1, 2`,
			params
		)
	]);
	const noVisits: Totals = {
		families: 0,
		walk_ins: 0,
		adults: 0,
		registered_children: 0,
		walk_in_bands: { age0: 0, age1: 0, age2: 0, age3plus: 0, school: 0 }
	};
	const out = new Map<string, AttendanceCounts>();
	for (const s of sessions.rows) {
		const counts: SessionCounts = {
			held: s.status === 'open' || s.status === 'closed' ? 1 : 0,
			cancelled: s.status === 'cancelled' ? 1 : 0,
			not_opened: s.status === 'scheduled' && s.d < today ? 1 : 0,
			upcoming: s.status === 'scheduled' && s.d >= today ? 1 : 0
		};
		const of = <T extends { sid: string }>(rows: T[]) => rows.filter((r) => r.sid === s.sid);
		out.set(
			s.sid,
			assemble(counts, totals.rows.find((r) => r.sid === s.sid) ?? noVisits, of(bands.rows), of(children.rows), of(households.rows), of(newness.rows))
		);
	}
	return out;
}

/** The period's counts of each program (level 1) or each site (level 0), from the facts. */
async function groupedFromFacts(
	db: Queryable,
	scope: SiteScope,
	filter: AttendanceFilter,
	period: string,
	by: 'program' | 'site',
	keys: string[],
	today: IsoDate
): Promise<Map<string, GroupCounts>> {
	const col = by === 'program' ? 'program_id' : 'site_id';
	const params = filterParams(scope, filter);
	type TotalsRow = { key: string; households: number; first_ever: number; first_this_year: number; again: number; ward: number; outside: number } & Record<
		`c_${BandKey}`,
		number
	>;
	const [sessions, totals, kept] = await Promise.all([
		db.query<SessionCounts & { key: string }>(SESSION_COUNTS(col), [...params, today]),
		db.query<SessionTotalsRow & { key: string }>(SESSION_TOTALS(`r.${col}::text`), params),
		db.query<TotalsRow>(`select * from report_period_totals where lvl = $1 and key = any($2::uuid[]) and period = $3`, [by === 'program' ? 1 : 0, keys, period])
	]);
	const zeroSessions: SessionCounts = { held: 0, cancelled: 0, not_opened: 0, upcoming: 0 };
	const out = new Map<string, GroupCounts>();
	for (const key of keys) {
		const { totals: t, bands } = totalsOf(totals.rows.find((r) => (r.key as unknown as string) === key) ?? {});
		const k = kept.rows.find((r) => r.key === key);
		const c = assemble(
			sessions.rows.find((r) => r.key === key) ?? zeroSessions,
			t,
			bands,
			k ? [...AGE_BANDS.map((b) => ({ band: b, n: k[`c_${b}`] })), { band: null, n: k.c_unknown }] : [],
			k
				? [
						{ area: 'ward', town: null, heard: null, n: k.ward },
						{ area: 'outside', town: null, heard: null, n: k.outside }
					]
				: [],
			k
				? [
						{ kind: 'first', n: k.first_ever },
						{ kind: 'year', n: k.first_this_year },
						{ kind: 'returning', n: k.again }
					]
				: []
		);
		out.set(key, groupCounts(c));
	}
	return out;
}

async function breakdownGroups(db: Queryable, scope: SiteScope, filter: AttendanceFilter, by: BreakdownBy) {
	const params = [scope.siteIds, filter.programId ?? null, filter.siteId ?? null];
	type G = { key: string; label: string; date?: IsoDate; status?: string; site_id?: string; program_id?: string };
	if (by === 'program') {
		const r = await db.query<G>(
			`select p.id::text as key, p.data->>'nameJa' as label from programs p
			 where not p.deleted and ($2::uuid is null or p.id = $2::uuid)
			   and exists (select 1 from sites st where st.program_id = p.id and not st.deleted
			               and ($1::uuid[] is null or st.id = any($1::uuid[])) and ($3::uuid is null or st.id = $3::uuid))
			 order by (p.data->>'sort')::int nulls last, p.data->>'nameJa'`,
			params
		);
		return r.rows;
	}
	if (by === 'site') {
		const r = await db.query<G>(
			`select st.id::text as key, st.data->>'nameJa' as label, st.program_id::text as program_id from sites st
			 where not st.deleted and ($1::uuid[] is null or st.id = any($1::uuid[]))
			   and ($2::uuid is null or st.program_id = $2::uuid) and ($3::uuid is null or st.id = $3::uuid)
			 order by st.data->>'nameJa'`,
			params
		);
		return r.rows;
	}
	const r = await db.query<G>(
		`select s.id::text as key, st.data->>'nameJa' as label, s.session_date::text as date, s.status, s.site_id::text as site_id
		 from sessions s join sites st on st.id = s.site_id
		 where not s.deleted and ($1::uuid[] is null or s.site_id = any($1::uuid[]))
		   and ($2::uuid is null or st.program_id = $2::uuid) and ($3::uuid is null or s.site_id = $3::uuid)
		   and s.session_date between $4 and $5 and ($6::uuid is null or s.id = $6::uuid)
		 order by s.session_date, st.data->>'nameJa'`,
		[...params, filter.from, filter.to, filter.sessionId ?? null]
	);
	return r.rows;
}

/** A month of a 年度's trend: 延べ, and how many households came, new or again. */
export interface MonthPoint {
	month: YearMonth;
	visits: AttendanceCounts['visits'];
	households: number;
	newness: AttendanceCounts['newness'];
}

/**
 * Month by month counts of a 年度 and of the one before it (for "against the previous 年度"), in
 * the scope and for the program or site asked for. Each month is judged as its own period. Read
 * from the sessions' rows and the kept per-month totals (two queries) where one level holds the
 * answer; a consultant's several sites are merged month by month.
 */
export async function attendanceTrend(
	db: Store,
	scope: SiteScope,
	filter: { fiscalYear: number; programId?: string | null; siteId?: string | null },
	today: IsoDate
): Promise<{ current: MonthPoint[]; previous: MonthPoint[] }> {
	await refreshReportFacts(db);
	const current = fiscalYearMonths(filter.fiscalYear);
	const previous = fiscalYearMonths(filter.fiscalYear - 1);
	const monthFilter = (month: YearMonth): AttendanceFilter => {
		const from = `${month}-01`;
		return { from, to: addDays(addMonths(from, 1), -1), programId: filter.programId ?? null, siteId: filter.siteId ?? null };
	};
	const target = await factTarget(db, scope, monthFilter(current[0]!));
	const key = target.lvl !== 0 ? target.key : target.keys.length === 1 ? target.keys[0]! : null;
	if (key === null) {
		const point = async (month: YearMonth): Promise<MonthPoint> => {
			const c = await attendance(db, scope, monthFilter(month), today);
			return { month, visits: c.visits, households: c.distinct.households, newness: c.newness };
		};
		const all: MonthPoint[] = [];
		for (const m of [...current, ...previous]) all.push(await point(m));
		return { current: all.slice(0, 12), previous: all.slice(12) };
	}
	const whole: AttendanceFilter = {
		from: `${previous[0]}-01`,
		to: fiscalYearRange(filter.fiscalYear).end,
		programId: filter.programId ?? null,
		siteId: filter.siteId ?? null
	};
	const [totals, households] = await Promise.all([
		db.query<SessionTotalsRow & { month: string }>(SESSION_TOTALS('substr(r.session_date, 1, 7)', 'month'), filterParams(scope, whole)),
		db.query<{ period: string; households: number; first_ever: number; first_this_year: number; again: number }>(
			`select period, households, first_ever, first_this_year, again from report_period_totals where lvl = $1 and key = $2::uuid and period = any($3::text[])`,
			[target.lvl, key, [...current, ...previous]]
		)
	]);
	const point = (month: YearMonth): MonthPoint => {
		const { totals: t, bands } = totalsOf(totals.rows.find((r) => (r.month as unknown as string) === month) ?? {});
		const h = households.rows.find((r) => r.period === month);
		const c = assemble({ held: 0, cancelled: 0, not_opened: 0, upcoming: 0 }, t, bands, [], [], []);
		return {
			month,
			visits: c.visits,
			households: h?.households ?? 0,
			newness: { firstEver: h?.first_ever ?? 0, firstThisYear: h?.first_this_year ?? 0, returning: h?.again ?? 0 }
		};
	};
	return { current: current.map(point), previous: previous.map(point) };
}
