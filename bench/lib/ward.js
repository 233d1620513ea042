/**
 * A large fictional ward for the report benchmark, generated inside the database (one INSERT … SELECT
 * per table, seeded, so every run gets the same ward): three programs and 30 sites as the ward
 * runs them (8 outdoor, 17 halls, 5 のびのび), their sessions of one 年度 (weekday halls, weekly
 * parks with about one in eight rained off, のびのび twice a month), households that mostly keep to
 * a home site, their children, visits spread over the sessions (1 in 20 a walk-in, 1 in 30 by a card
 * whose visit names no household), and consultations at the consultant halls.
 *
 * By default the sessions are those of one 年度, all held or rained off. With `from`, `to` and
 * `today` (ISO dates) they run over that span instead, as a centre's calendar stands on `today`:
 * earlier sessions held or rained off, today's open, later ones scheduled; visits go to the held
 * sessions and today's, and families registered on `from`. `hlc` stamps every row (default '0',
 * which no tablet would accept).
 *
 * Nothing here is real: names are codes, towns are numbered.
 */

/**
 * @param {{ query: (sql: string, params?: unknown[]) => Promise<{ rows: any[] }>, exec: (sql: string) => Promise<void> }} db
 * @param {{ visits: number, households: number, consultations: number, fiscalYear: number, from?: string, to?: string, today?: string, hlc?: string }} size
 */
export async function generateWard(db, size) {
	const fy = size.fiscalYear;
	const from = size.from ?? `${fy}-04-01`;
	const to = size.to ?? `${fy + 1}-03-31`;
	// Rows as the centre wrote them, stamped `hlc` (a tablet's clock reads the stamps it pulls).
	const hlc = size.hlc ?? '0';
	if (!/^[0-9A-Za-z:_-]+$/.test(hlc)) throw new Error(`not a stamp: ${hlc}`);
	for (const d of [from, to, size.today]) if (d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`not an ISO date: ${d}`);
	// Rained off (a random draw per outdoor session, as before), or, with a today: open or scheduled.
	const status = size.today
		? `case when b.d > '${size.today}'::date then 'scheduled' when b.d = '${size.today}'::date then 'open'
		        when s.outdoor and random() < 0.125 then 'cancelled' else 'closed' end`
		: `case when s.outdoor and random() < 0.125 then 'cancelled' else 'closed' end`;
	await db.query('select setseed(0.42)');
	await db.exec(`
		create temp table b_programs as
		select * from (values
			('10000000-0000-7000-8000-000000000001'::uuid, 'ohisama', 'おひさまぴよぴよ', true, 1, 8),
			('10000000-0000-7000-8000-000000000002'::uuid, 'nikoniko', 'にこにこ', false, 2, 17),
			('10000000-0000-7000-8000-000000000003'::uuid, 'nobinobi', 'のびのびひろば', false, 3, 5)
		) as p(id, code, name, outdoor, sort, sites);
		insert into programs (id, hlc, seq, data)
		select id, '${hlc}', nextval('sync_seq'), jsonb_build_object('code', code, 'nameJa', name, 'outdoor', outdoor, 'sort', sort) from b_programs;

		create temp table b_sites as
		select ('20000000-0000-7000-8000-' || lpad((p.sort * 100 + n)::text, 12, '0'))::uuid as id, p.id as program_id, p.code, p.outdoor, n,
		       (p.code = 'nikoniko' and n <= 4) as consultant
		from b_programs p cross join lateral generate_series(1, p.sites) as n;
		insert into sites (id, hlc, seq, data)
		select id, '${hlc}', nextval('sync_seq'), jsonb_build_object('programId', program_id, 'nameJa', code || '会場' || n, 'place', 'ベンチ区' || n, 'outdoor', outdoor,
		       'hasConsultant', consultant, 'active', true)
		from b_sites;

		create temp table b_days as
		select d::date as d, extract(isodow from d)::int as dow, extract(day from d)::int as dom
		from generate_series('${from}'::date, '${to}'::date, '1 day') as d;

		create temp table b_sessions as
		select gen_random_uuid() as id, s.id as site_id, s.code, to_char(b.d, 'YYYY-MM-DD') as d,
		       ${status} as status
		from b_sites s join b_days b on
		     (s.code = 'nikoniko' and b.dow between 1 and 5)
		  or (s.code = 'ohisama' and b.dow = 1 + s.n % 5)
		  or (s.code = 'nobinobi' and b.dow = 3 and (b.dom between 8 and 14 or b.dom between 22 and 28));
		insert into sessions (id, hlc, seq, data)
		select id, '${hlc}', nextval('sync_seq'), jsonb_build_object('siteId', site_id, 'date', d, 'startTime', '10:00', 'endTime', '12:00', 'status', status,
		       'cancelReason', case when status = 'cancelled' then 'rain' end)
		from b_sessions;
		-- Held sessions numbered site by site: a site's are base .. base + n - 1.
		create temp table b_open as
		select id, site_id, d, row_number() over (order by site_id, d, id) - 1 as si
		from b_sessions where status in ('closed', 'open');
		create index on b_open (si);
		create temp table b_site_open as select site_id, min(si) as base, count(*) as n from b_open group by site_id;
	`);
	await db.exec(`
		create temp table b_households as
		select gen_random_uuid() as id, g, (select array_agg(id) from b_sites)[1 + (g * 7919) % 30] as home,
		       upper(substr(md5(g::text || 'card'), 1, 16)) as card
		from generate_series(1, ${size.households}) as g;
		insert into households (id, hlc, seq, data)
		select id, '${hlc}', nextval('sync_seq'), jsonb_build_object('cardCode', card, 'nickname', null,
		       'areaKind', case when g % 10 = 0 then 'outside' else 'ward' end,
		       'town', case when g % 10 = 0 then null else 'ベンチ町' || (g % 40 + 1) || '丁目' end,
		       'heardFrom', (array['health_checkup','website','ward_newsletter','friend','poster','facility','passing_by','other'])[1 + g % 8],
		       'consentVersion', '2026-04', 'consentDate', '${from}', 'registeredSiteId', home, 'language', 'ja', 'cardPrintRequested', false)
		from b_households;

		create temp table b_children as
		select gen_random_uuid() as id, h.id as household_id, k,
		       to_char(date '${fy - 6}-01-01' + ((h.g * 31 + k * 977) % 2500) * interval '1 day', 'YYYY-MM') as birth_ym
		from b_households h cross join lateral generate_series(1, 1 + (h.g % 2)) as k;
		insert into children (id, hlc, seq, data)
		select id, '${hlc}', nextval('sync_seq'), jsonb_build_object('householdId', household_id, 'birthYm', birth_ym, 'nickname', null) from b_children;
		create temp table b_kids as select household_id, jsonb_agg(id order by k) as ids from b_children group by household_id;
		create index on b_kids (household_id);
	`);
	const total = (await db.query('select count(*)::int as n from b_open')).rows[0].n;
	await db.exec(`
		insert into visits (id, hlc, seq, data)
		select gen_random_uuid(), '${hlc}', nextval('sync_seq'),
		       case when v.kind = 'walkin' then jsonb_build_object('sessionId', o.id, 'householdId', null, 'cardCode', null, 'childIds', '[]'::jsonb,
		              'walkInChildren', jsonb_build_object('age0', v.g % 2, 'age1', (v.g / 2) % 2, 'age2', 0, 'age3plus', (v.g / 4) % 2, 'school', 0),
		              'adults', 1, 'checkedInAt', o.d || 'T01:00:00.000Z', 'checkedOutAt', null, 'method', 'walkin')
		       else jsonb_build_object('sessionId', o.id, 'householdId', case when v.kind = 'card' then null else h.id end, 'cardCode', h.card,
		              'childIds', coalesce(k.ids, '[]'::jsonb), 'walkInChildren', null, 'adults', 1 + (v.g % 7 = 0)::int,
		              'checkedInAt', o.d || 'T01:00:00.000Z', 'checkedOutAt', null, 'method', case when v.g % 3 = 0 then 'scanner' else 'camera' end)
		       end
		from (
		  select g, case when g % 20 = 0 then 'walkin' when g % 30 = 1 then 'card' else 'family' end as kind,
		         1 + (g::bigint * 104729) % ${size.households} as hg, random() as r, random() as r2
		  from generate_series(1, ${size.visits}) as g
		) v
		join b_households h on h.g = v.hg
		left join b_kids k on k.household_id = h.id
		join b_site_open so on so.site_id = h.home
		-- 4 in 5 at the family's home site, the rest anywhere in the ward.
		join b_open o on o.si = case when v.r2 < 0.8 then so.base + floor(v.r * so.n)::int else floor(v.r * ${total})::int end;
	`);
	await db.exec(`
		insert into staff (id, hlc, seq, data)
		values ('30000000-0000-7000-8000-000000000001', '${hlc}', nextval('sync_seq'),
		        jsonb_build_object('displayName', '相談員 ベンチ', 'role', 'consultant', 'pinHash', null, 'siteIds', (select jsonb_agg(id) from b_sites where consultant), 'active', true));
		insert into consultations (id, hlc, seq, data)
		select gen_random_uuid(), '${hlc}', nextval('sync_seq'), jsonb_build_object('sessionId', o.id, 'staffId', '30000000-0000-7000-8000-000000000001',
		       'householdId', null, 'childId', null, 'childAgeBand', 'age1', 'topics', jsonb_build_array((array['sleep','feeding','language','play','growth'])[1 + g % 5]),
		       'durationMin', 10 + g % 30, 'sealed', null, 'urgency', case when g % 50 = 0 then 'urgent' when g % 10 = 0 then 'watch' else 'normal' end,
		       'followUp', case when g % 25 = 0 then 'refer_center' when g % 4 = 0 then 'next_time' else 'none' end, 'consultedAt', o.d || 'T02:00:00.000Z')
		from generate_series(1, ${size.consultations}) as g
		join (select row_number() over (order by s.n) - 1 as c, so.base, so.n from b_sites s join b_site_open so on so.site_id = s.id where s.consultant) cs on cs.c = g % 4
		join b_open o on o.si = cs.base + (g * 7) % cs.n;
		analyze;
	`);
	const counts = await db.query(
		`select (select count(*) from visits)::int as visits, (select count(*) from sessions)::int as sessions, (select count(*) from households)::int as households,
		        (select count(*) from children)::int as children, (select count(*) from consultations)::int as consultations`
	);
	return counts.rows[0];
}
