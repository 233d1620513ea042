-- Hiroba centre store, first schema.
--
-- Every synced entity has one table of the same shape: the record as it syncs (`data`, checked by
-- the shared zod schema before it gets here), its hybrid-logical-clock stamp (`hlc`, the merge
-- rule: a greater stamp wins), a tombstone flag (`deleted`: rows are never removed, so deletions
-- flow down to tablets), and `seq`, the centre's sequence number of the row's latest change, which
-- is what pull cursors count. Typed columns generated from `data` carry the indexes that pulls and
-- reports need. Writers of these tables hold the sync write lock (see server/sync/records.ts).

create sequence sync_seq;

create table programs (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	code text generated always as (data ->> 'code') stored
);
create index programs_seq on programs (seq);

create table sites (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	program_id uuid generated always as ((data ->> 'programId')::uuid) stored
);
create index sites_seq on sites (seq);

create table sessions (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	site_id uuid generated always as ((data ->> 'siteId')::uuid) stored,
	-- ISO text, not date: a text-to-date cast is not immutable, and ISO text sorts by date anyway.
	session_date text generated always as (data ->> 'date') stored,
	status text generated always as (data ->> 'status') stored
);
create index sessions_seq on sessions (seq);
create index sessions_site_date on sessions (site_id, session_date);

create table topics (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now()
);
create index topics_seq on topics (seq);

create table staff (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	-- Centre-only: never part of `data`, so never sent to a tablet.
	login_name text unique,
	password_hash text
);
create index staff_seq on staff (seq);

create table households (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	card_code text generated always as (data ->> 'cardCode') stored
);
create index households_seq on households (seq);
create unique index households_card_code on households (card_code);

create table children (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	household_id uuid generated always as ((data ->> 'householdId')::uuid) stored
);
create index children_seq on children (seq);
create index children_household on children (household_id);

create table visits (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	session_id uuid generated always as ((data ->> 'sessionId')::uuid) stored,
	household_id uuid generated always as ((data ->> 'householdId')::uuid) stored,
	card_code text generated always as (data ->> 'cardCode') stored
);
create index visits_seq on visits (seq);
create index visits_session on visits (session_id);
create index visits_card_code on visits (card_code) where card_code is not null;

create table consultations (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	session_id uuid generated always as ((data ->> 'sessionId')::uuid) stored,
	household_id uuid generated always as ((data ->> 'householdId')::uuid) stored,
	staff_id uuid generated always as ((data ->> 'staffId')::uuid) stored
);
create index consultations_seq on consultations (seq);
create index consultations_session on consultations (session_id);

-- Enrolled tablets. Only a SHA-256 of the bearer token is kept: the token is 256 random bits, so a
-- fast hash is enough, and a stolen database yields no usable token.
create table devices (
	id uuid primary key,
	name text not null,
	site_ids uuid[] not null,
	token_hash text not null unique,
	state text not null default 'active' check (state in ('active', 'retired', 'revoked')),
	enrolled_at timestamptz not null default now(),
	last_seen_at timestamptz,
	state_changed_at timestamptz,
	pushed_count bigint not null default 0
);

-- Single-use enrollment codes, valid for 15 minutes; kept by hash.
create table enrollment_codes (
	code_hash text primary key,
	site_ids uuid[] not null,
	created_at timestamptz not null default now(),
	created_by text not null,
	expires_at timestamptz not null,
	used_at timestamptz,
	used_by_device uuid
);

-- Fixed-window counters for rate limits; in the store so that several server processes share them.
create table rate_limits (
	key text primary key,
	window_start timestamptz not null,
	count integer not null
);

-- Who did what: every read of a consultation note, every export, every device and staff change.
create table audit_log (
	id bigserial primary key,
	at timestamptz not null default now(),
	actor text not null,
	action text not null,
	subject text,
	detail jsonb
);
create index audit_log_at on audit_log (at);
