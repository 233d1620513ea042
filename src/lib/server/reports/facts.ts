/**
 * Attendance facts (migration 0007): what the attendance report reads instead of every visit.
 *
 * Every write to visits, sessions, sites, households and children marks, in the same transaction
 * and by triggers, what it touched (`report_dirty`). `refreshReportFacts` recounts exactly that:
 * the touched sessions' 延べ rows and every fact row of the touched households, from the visits as
 * they are now. A recount is idempotent and reads committed data only, so a write that commits
 * during a refresh leaves its own mark for the next one; refreshes are serialised by a lock. The
 * report refreshes before it reads, so it is never stale; the sync route also refreshes after a
 * push, so a report seldom waits.
 *
 * The reference query in attendance.ts (`attendanceFromVisits`) counts from the visits directly;
 * tests hold the two equal on a ward counted by hand and on random histories of edits.
 */
import type { Queryable, Store } from '../db/store';

/** Arbitrary constant: the advisory lock that serialises refreshes across server processes. */
const REFRESH_LOCK = 72_620_009;
export const WARD_KEY = '00000000-0000-0000-0000-000000000000';

/** Households recounted per statement: bounds the memory of a first refresh over a large store. */
const HOUSEHOLD_CHUNK = 5_000;
const SESSION_CHUNK = 5_000;

export interface RefreshStats {
	sessions: number;
	households: number;
}

/**
 * Marks taken per transaction: a first refresh over a large store (or after a site changes
 * program) runs as a series of bounded transactions, so tablets' pushes go on in between.
 */
const MARKS_PER_TRANSACTION = 5_000;

/** Recount whatever changed since the last refresh. Cheap when nothing did. */
export async function refreshReportFacts(store: Store): Promise<RefreshStats> {
	const total: RefreshStats = { sessions: 0, households: 0 };
	for (;;) {
		const pending = await store.query('select 1 from report_dirty limit 1');
		if (pending.rows.length === 0) return total;
		const done = await refreshBatch(store);
		total.sessions += done.sessions;
		total.households += done.households;
	}
}

/**
 * Marks that reach further, turned into the sessions and households they reach (each statement
 * takes away exactly the marks it turns): a site's every session; a session's own row and its
 * families; a card's household; the sessions a child came to (its birth month sets its band there).
 */
const EXPAND_MARKS = [
	`with d as (delete from report_dirty where kind = 'T' returning key)
	 insert into report_dirty (kind, key) select 'S', s.id::text from d join sessions s on s.site_id = d.key::uuid on conflict do nothing`,
	`with d as (delete from report_dirty where kind = 'S' returning key)
	 insert into report_dirty (kind, key)
	 select 'e', key from d
	 union
	 select 'h', coalesce(v.household_id, h.id)::text
	 from d join visits v on v.session_id = d.key::uuid
	 left join households h on v.household_id is null and h.card_code = v.card_code
	 where coalesce(v.household_id, h.id) is not null
	 on conflict do nothing`,
	`with d as (delete from report_dirty where kind = 'k' returning key)
	 insert into report_dirty (kind, key) select 'h', h.id::text from d join households h on h.card_code = d.key on conflict do nothing`,
	`with d as (delete from report_dirty where kind = 'C' returning key)
	 insert into report_dirty (kind, key)
	 select distinct 'e', v.session_id::text
	 from d join children c on c.id = d.key::uuid
	 join households h on h.id = c.household_id
	 join visits v on v.household_id = h.id or (v.household_id is null and v.card_code = h.card_code)
	 where v.data->'childIds' ? c.id::text and v.session_id is not null
	 on conflict do nothing`
];

async function refreshBatch(store: Store): Promise<RefreshStats> {
	return store.transaction(async (tx) => {
		await tx.query('select pg_advisory_xact_lock($1)', [REFRESH_LOCK]);
		for (const sql of EXPAND_MARKS) await tx.query(sql);
		// Then sessions and households, a batch at a time, each once however many marks reached it.
		const dirty = await tx.query<{ kind: string; key: string }>(
			`delete from report_dirty d using (select kind, key from report_dirty where kind in ('e', 'h') limit $1) x
			 where d.kind = x.kind and d.key = x.key returning d.kind, d.key`,
			[MARKS_PER_TRANSACTION]
		);
		const sessionIds = dirty.rows.filter((r) => r.kind === 'e').map((r) => r.key);
		const householdIds = dirty.rows.filter((r) => r.kind === 'h').map((r) => r.key);
		for (let i = 0; i < sessionIds.length; i += SESSION_CHUNK) await recountSessions(tx, sessionIds.slice(i, i + SESSION_CHUNK));
		for (let i = 0; i < householdIds.length; i += HOUSEHOLD_CHUNK) await recountHouseholds(tx, householdIds.slice(i, i + HOUSEHOLD_CHUNK));
		return { sessions: sessionIds.length, households: householdIds.length };
	});
}

const BANDS = ['age0', 'age1', 'age2', 'age3plus', 'school'] as const;

/** 延べ of each session: one row, or none for a deleted (or unknown) session. */
async function recountSessions(tx: Queryable, ids: string[]): Promise<void> {
	await tx.query('delete from report_sessions where session_id = any($1::uuid[])', [ids]);
	const walkin = `v.data->>'method' = 'walkin'`;
	await tx.query(
		`with v as (
		   select v.session_id, v.data, s.session_date from visits v join sessions s on s.id = v.session_id
		   where v.session_id = any($1::uuid[]) and not v.deleted
		 ),
		 vt as (
		   select session_id,
		          count(*) filter (where not (${walkin}))::int as families,
		          count(*) filter (where ${walkin})::int as walk_ins,
		          coalesce(sum((v.data->>'adults')::int), 0)::int as adults,
		          ${BANDS.map((b) => `coalesce(sum((v.data->'walkInChildren'->>'${b}')::int) filter (where ${walkin}), 0)::int as w_${b}`).join(', ')}
		   from v group by session_id
		 ),
		 rb as (
		   select session_id, ${BANDS.map((b) => `count(*) filter (where band = '${b}')::int as r_${b}`).join(', ')},
		          count(*) filter (where band is null)::int as r_unknown
		   from (
		     select v.session_id, hiroba_age_band(c.data->>'birthYm', v.session_date) as band
		     from v cross join lateral jsonb_array_elements_text(v.data->'childIds') as cid(id)
		     left join children c on c.id = cid.id::uuid and not c.deleted
		     where not (${walkin})
		   ) banded group by session_id
		 )
		 insert into report_sessions (session_id, site_id, program_id, session_date, families, walk_ins, adults,
		   ${BANDS.map((b) => `r_${b}`).join(', ')}, r_unknown, ${BANDS.map((b) => `w_${b}`).join(', ')})
		 select s.id, s.site_id, st.program_id, s.session_date, coalesce(vt.families, 0), coalesce(vt.walk_ins, 0), coalesce(vt.adults, 0),
		        ${BANDS.map((b) => `coalesce(rb.r_${b}, 0)`).join(', ')}, coalesce(rb.r_unknown, 0), ${BANDS.map((b) => `coalesce(vt.w_${b}, 0)`).join(', ')}
		 from sessions s join sites st on st.id = s.site_id
		 left join vt on vt.session_id = s.id left join rb on rb.session_id = s.id
		 where s.id = any($1::uuid[]) and not s.deleted`,
		[ids]
	);
}

/**
 * A household's visits (by its id, or by its card where a visit names only the card) at every
 * level, with the 年度 and the date: the rows its facts are counted from. `$1` the households.
 */
const HOUSEHOLD_VISITS = `
	hh as (
		select h.id, h.card_code, h.data->>'areaKind' as area, h.data->>'town' as town, h.data->>'heardFrom' as heard
		from households h where h.id = any($1::uuid[])
	),
	hv as (
		select hh.id as hid, v.data->'childIds' as child_ids, v.session_id
		from hh join visits v on v.household_id = hh.id
		where not v.deleted and not (v.data->>'method' = 'walkin')
		union all
		select hh.id, v.data->'childIds', v.session_id
		from hh join visits v on v.card_code = hh.card_code and v.household_id is null
		where not v.deleted and not (v.data->>'method' = 'walkin')
	),
	x as (
		select hv.hid, hv.child_ids, s.session_date as d, hiroba_fiscal_year(s.session_date) as fy, l.lvl, l.key
		from hv join sessions s on s.id = hv.session_id and not s.deleted
		join sites st on st.id = s.site_id
		cross join lateral (values (0::smallint, s.site_id), (1::smallint, st.program_id), (2::smallint, '${WARD_KEY}'::uuid)) as l(lvl, key)
		where l.key is not null
	)`;

/**
 * Recount the households' facts, and move the kept totals by the difference: their rows' share
 * taken out before, put back after (so a refresh costs what the households touched, not the size
 * of the ward's months).
 */
async function recountHouseholds(tx: Queryable, ids: string[]): Promise<void> {
	await addToTotals(tx, ids, -1);
	await tx.query('delete from report_households where household_id = any($1::uuid[])', [ids]);
	await tx.query('delete from report_children where household_id = any($1::uuid[])', [ids]);
	await tx.query(
		`with ${HOUSEHOLD_VISITS},
		 m as (
		   select lvl, key, hid, fy, substr(d, 1, 7) as period, min(d) as first_date from x group by lvl, key, hid, fy, substr(d, 1, 7)
		   union all
		   select lvl, key, hid, fy, fy::text, min(d) from x group by lvl, key, hid, fy
		 )
		 insert into report_households (lvl, key, period, household_id, first_date, first_in_fy, first_ever, area, town, heard)
		 select m.lvl, m.key, m.period, m.hid, m.first_date,
		        min(m.first_date) over (partition by m.lvl, m.key, m.hid, m.fy),
		        min(m.first_date) over (partition by m.lvl, m.key, m.hid),
		        hh.area, hh.town, hh.heard
		 from m join hh on hh.id = m.hid`,
		[ids]
	);
	await tx.query(
		`with ${HOUSEHOLD_VISITS},
		 xc as (select x.lvl, x.key, x.hid, x.fy, x.d, cid.id::uuid as child_id from x cross join lateral jsonb_array_elements_text(x.child_ids) as cid(id)),
		 m as (
		   select lvl, key, hid, child_id, substr(d, 1, 7) as period, min(d) as first_date from xc group by lvl, key, hid, child_id, substr(d, 1, 7)
		   union all
		   select lvl, key, hid, child_id, fy::text, min(d) from xc group by lvl, key, hid, child_id, fy
		 )
		 insert into report_children (lvl, key, period, child_id, household_id, first_date, band)
		 select m.lvl, m.key, m.period, m.child_id, m.hid, m.first_date, hiroba_age_band(c.data->>'birthYm', m.first_date)
		 from m left join children c on c.id = m.child_id and not c.deleted
		 on conflict do nothing`,
		[ids]
	);
	await addToTotals(tx, ids, 1);
}

/** Add (`sign` 1) or take out (-1) these households' share of the totals of every group they are in. */
async function addToTotals(tx: Queryable, ids: string[], sign: 1 | -1): Promise<void> {
	const cols = ['households', 'first_ever', 'first_this_year', 'again', 'ward', 'outside', ...BANDS.map((b) => `c_${b}`), 'c_unknown'];
	// A period starts on the 1st of its month, or on 1 April for a 年度.
	await tx.query(
		`with hh as (
		   select h.lvl, h.key, h.period, count(*)::int as households,
		          count(*) filter (where h.first_ever >= ps.start)::int as first_ever,
		          count(*) filter (where h.first_ever < ps.start and h.first_in_fy >= ps.start)::int as first_this_year,
		          count(*) filter (where h.first_in_fy < ps.start)::int as again,
		          count(*) filter (where h.area = 'ward')::int as ward,
		          count(*) filter (where h.area is distinct from 'ward')::int as outside
		   from report_households h
		   cross join lateral (select case when length(h.period) = 4 then h.period || '-04-01' else h.period || '-01' end as start) as ps
		   where h.household_id = any($1::uuid[])
		   group by h.lvl, h.key, h.period
		 ),
		 cc as (
		   select c.lvl, c.key, c.period, ${BANDS.map((b) => `count(*) filter (where c.band = '${b}')::int as c_${b}`).join(', ')},
		          count(*) filter (where c.band is null)::int as c_unknown
		   from report_children c where c.household_id = any($1::uuid[])
		   group by c.lvl, c.key, c.period
		 )
		 insert into report_period_totals as t (lvl, key, period, ${cols.join(', ')})
		 select hh.lvl, hh.key, hh.period, ${cols.map((c) => (c.startsWith('c_') ? `$2 * coalesce(cc.${c}, 0)` : `$2 * hh.${c}`)).join(', ')}
		 from hh left join cc on cc.lvl = hh.lvl and cc.key = hh.key and cc.period = hh.period
		 on conflict (lvl, key, period) do update set ${cols.map((c) => `${c} = t.${c} + excluded.${c}`).join(', ')}`,
		[ids, sign]
	);
	if (sign === 1) await tx.query('delete from report_period_totals where households = 0');
}
