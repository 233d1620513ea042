-- The ward's 町丁 as reference data managed at the centre (issue 10): what the kiosk offers a
-- family registering, with readings in hiragana and romaji so that a family who reads neither kanji
-- nor Japanese finds its town. Same shape as the other synced tables (0001_init.sql); it flows to
-- every tablet and never up (it is not a pushable table).
create table towns (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	name_ja text generated always as (data ->> 'nameJa') stored
);
create index towns_seq on towns (seq);
create unique index towns_name_ja on towns (name_ja) where not deleted;

-- Until now the list was code. A store that already has families keeps offering the towns they
-- registered with (readings blank, for the centre to fill in at /centre/towns); an empty store
-- gets its list from the centre, or from the demo seed.
insert into towns (id, hlc, deleted, seq, data)
select gen_random_uuid(),
       lpad(((extract(epoch from clock_timestamp()) * 1000)::bigint)::text, 15, '0') || ':00000:centre',
       false,
       nextval('sync_seq'),
       jsonb_build_object('nameJa', town, 'kana', '', 'romaji', '', 'sort', (row_number() over (order by town))::int * 10, 'active', true)
from (select distinct data ->> 'town' as town from households where data ->> 'town' is not null and not deleted) t;
