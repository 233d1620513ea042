-- Retired card codes: a household's old code after its card was reissued, and the code of a
-- duplicate household merged into the one kept. Reference data that flows from the centre to every
-- tablet (pull.ts), so a scan of an old card is refused and said to be refused at any site, even
-- where the family is not held; a tablet never writes it. Same shape as the synced tables of 0001.
create table card_retirements (
	id uuid primary key,
	hlc text not null,
	deleted boolean not null default false,
	seq bigint not null,
	data jsonb not null,
	origin_device uuid,
	updated_at timestamptz not null default now(),
	card_code text generated always as (data ->> 'cardCode') stored,
	-- Centre-only: never part of `data`, so never sent to a tablet. The household the code now leads
	-- to (the one whose card was reissued, or the one a duplicate was merged into), so that a visit
	-- made with the old card before a tablet learnt of it still counts for that family.
	household_id uuid
);
create index card_retirements_seq on card_retirements (seq);
create unique index card_retirements_card_code on card_retirements (card_code);
create index card_retirements_household on card_retirements (household_id);
