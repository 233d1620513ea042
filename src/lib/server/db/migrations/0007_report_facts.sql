-- Attendance facts, kept by the writers' own transactions marking what changed and a refresh that
-- recounts only that (src/lib/server/reports/facts.ts). A 年度 report then reads one row per
-- session for 延べ, and one row per household and per child of the 年度 for 実, instead of joining
-- 300,000 visits to their sessions, sites, households and children.
--
-- Levels: 0 = a site (key: the site), 1 = a program (key: the program), 2 = the ward (key: the nil
-- uuid). Periods: 'YYYY-MM' (a month) or 'YYYY' (a 年度, named by the year it starts in).

-- What changed since the last refresh. kind: 'e' a session's visits (recount its row),
-- 'S' a session itself (date, site, status, deleted: recount it and the households of its visits),
-- 'T' a site (its program may have changed: every session of it), 'h' a household,
-- 'k' a card code named by a visit without a household, 'C' a child (its birth month: the sessions
-- it came to).
create table report_dirty (
	kind char(1) not null,
	key text not null,
	primary key (kind, key)
);

-- 延べ per session (whatever its status; a deleted session has no row).
create table report_sessions (
	session_id uuid primary key,
	site_id uuid not null,
	program_id uuid,
	session_date text not null,
	families integer not null,
	walk_ins integer not null,
	adults integer not null,
	-- children of registered families by band at the session date (u: child unknown here)
	r_age0 integer not null,
	r_age1 integer not null,
	r_age2 integer not null,
	r_age3plus integer not null,
	r_school integer not null,
	r_unknown integer not null,
	-- walk-in children by the band staff tapped
	w_age0 integer not null,
	w_age1 integer not null,
	w_age2 integer not null,
	w_age3plus integer not null,
	w_school integer not null
);
create index report_sessions_date on report_sessions (session_date);
create index report_sessions_site_date on report_sessions (site_id, session_date);

-- Each registered household that came in a period, at each level: its first visit in the period,
-- in the 年度, and ever (at that level), and where it lives and how it heard, as of the refresh.
create table report_households (
	lvl smallint not null,
	key uuid not null,
	period text not null,
	household_id uuid not null,
	first_date text not null,
	first_in_fy text not null,
	first_ever text not null,
	area text,
	town text,
	heard text,
	primary key (lvl, key, period, household_id)
);
create index report_households_household on report_households (household_id);
-- A household's 年度 rows at a level and key: its first visit there ever and in each 年度.
create index report_households_years on report_households (household_id, lvl, key) where length(period) = 4;

-- Each registered child that came in a period, at each level, with its band at its first visit in
-- the period (null: the child is not known here, or its birth month is after the visit).
create table report_children (
	lvl smallint not null,
	key uuid not null,
	period text not null,
	child_id uuid not null,
	household_id uuid not null,
	first_date text not null,
	band text,
	primary key (lvl, key, period, child_id)
);
create index report_children_household on report_children (household_id);

-- Per level, key and period: how many households came, how many of them for the first time ever
-- (at that level), for the first time in the 年度, or again, from the ward or outside it, and its
-- children by band: the trend and the rows one level down read these instead of every household's
-- and child's. Each refresh moves them by the difference its households make.
create table report_period_totals (
	lvl smallint not null,
	key uuid not null,
	period text not null,
	households integer not null,
	first_ever integer not null,
	first_this_year integer not null,
	again integer not null,
	ward integer not null,
	outside integer not null,
	-- children, each once, by band at their first visit in the period
	c_age0 integer not null,
	c_age1 integer not null,
	c_age2 integer not null,
	c_age3plus integer not null,
	c_school integer not null,
	c_unknown integer not null,
	primary key (lvl, key, period)
);

create index visits_household on visits (household_id) where household_id is not null;

-- Marking. Statement-level triggers with transition tables: one insert per written batch.
create function report_mark_visits() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key)
	select 'e', session_id::text from changed where session_id is not null
	union select 'h', household_id::text from changed where household_id is not null
	union select 'k', card_code from changed where household_id is null and card_code is not null
	on conflict do nothing;
	return null;
end $$;

create function report_mark_visits_update() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key)
	select 'e', session_id::text from (select session_id, household_id, card_code from changed union all select session_id, household_id, card_code from was) v where session_id is not null
	union select 'h', household_id::text from (select household_id from changed union all select household_id from was) v where household_id is not null
	union select 'k', card_code from (select household_id, card_code from changed union all select household_id, card_code from was) v where household_id is null and card_code is not null
	on conflict do nothing;
	return null;
end $$;

create trigger report_visits_insert after insert on visits referencing new table as changed for each statement execute function report_mark_visits();
create trigger report_visits_update after update on visits referencing old table as was new table as changed for each statement execute function report_mark_visits_update();

create function report_mark_sessions() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key) select distinct 'S', id::text from changed on conflict do nothing;
	return null;
end $$;
create trigger report_sessions_insert after insert on sessions referencing new table as changed for each statement execute function report_mark_sessions();
create trigger report_sessions_update after update on sessions referencing new table as changed for each statement execute function report_mark_sessions();

create function report_mark_households() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key) select distinct 'h', id::text from changed on conflict do nothing;
	return null;
end $$;
create trigger report_households_insert after insert on households referencing new table as changed for each statement execute function report_mark_households();
create trigger report_households_update after update on households referencing new table as changed for each statement execute function report_mark_households();

create function report_mark_children() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key)
	select distinct 'C', id::text from changed
	union select 'h', household_id::text from changed where household_id is not null
	on conflict do nothing;
	return null;
end $$;
create function report_mark_children_update() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key)
	select distinct 'C', id::text from changed
	union select 'h', household_id::text from (select household_id from changed union all select household_id from was) v where household_id is not null
	on conflict do nothing;
	return null;
end $$;
create trigger report_children_insert after insert on children referencing new table as changed for each statement execute function report_mark_children();
create trigger report_children_update after update on children referencing old table as was new table as changed for each statement execute function report_mark_children_update();

create function report_mark_sites() returns trigger language plpgsql as $$
begin
	insert into report_dirty (kind, key) select distinct 'T', id::text from changed on conflict do nothing;
	return null;
end $$;
create trigger report_sites_update after update on sites referencing new table as changed for each statement execute function report_mark_sites();

-- Whatever is already stored is counted at the first refresh.
insert into report_dirty (kind, key) select 'S', id::text from sessions on conflict do nothing;
