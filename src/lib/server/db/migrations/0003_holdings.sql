-- Which families a tablet may hold (DESIGN.md "Data minimisation"): a tablet holds the households
-- and children of families registered at or seen at its sites in the last 13 months, not the ward.
--
-- One row per household and site where the family registered or visited. `last_seen` is the
-- latest such date (ISO text, as sessions.session_date). `live` says whether the row still counts:
-- it turns true when the family registers or visits (server/sync/holdings.ts), and false when the
-- maintenance job finds `last_seen` older than 13 months. `seq` is the sync sequence number taken
-- when `live` last changed: a pull sends an eviction to the site's tablets when it turns false.
-- Writers hold the sync write lock, as for the synced tables, so `seq` order is commit order.
create table household_sites (
	household_id uuid not null,
	site_id uuid not null,
	last_seen text not null,
	live boolean not null,
	seq bigint not null,
	primary key (household_id, site_id)
);
create index household_sites_site_seq on household_sites (site_id, seq);
create index household_sites_live_seen on household_sites (last_seen) where live;

-- The site a household registered at, for the same purpose.
alter table households add column registered_site_id uuid generated always as ((data ->> 'registeredSiteId')::uuid) stored;

-- Existing data: every registration and every visit becomes a row, live when within 13 months of
-- today in Tokyo.
insert into household_sites (household_id, site_id, last_seen, live, seq)
select household_id, site_id, max(seen), false, 0
from (
	select h.id as household_id, h.registered_site_id as site_id, h.data ->> 'consentDate' as seen
	from households h
	where h.registered_site_id is not null and not h.deleted
	union all
	select coalesce(v.household_id, h.id), s.site_id, s.session_date
	from visits v
	join sessions s on s.id = v.session_id
	left join households h on v.household_id is null and h.card_code = v.card_code
	where not v.deleted and coalesce(v.household_id, h.id) is not null
) seen
group by household_id, site_id;

update household_sites
set live = true, seq = nextval('sync_seq')
where last_seen >= to_char((now() at time zone 'Asia/Tokyo')::date - interval '13 months', 'YYYY-MM-DD');

-- Stamps refused as ahead of the centre's clock (push.ts). Such a change is stamped again by its
-- tablet, lower; were the refused version replayed once the centre's clock had caught up with it,
-- it would win over the restamped one and every later edit. So a refused stamp stays refused: the
-- maintenance job forgets it a day after its time has passed.
create table refused_stamps (
	id uuid not null,
	hlc text not null,
	device_id uuid not null,
	refused_at timestamptz not null default now(),
	primary key (id, hlc)
);
create index refused_stamps_device on refused_stamps (device_id);
