-- The consultation log at the centre (DESIGN.md "Domain", issue 8).
--
-- `consultations` holds each consultation's newest version, as every synced table does; its note is
-- sealed to the centre's key (`data.sealed`, seal.ts) and opens only with the key folder, which is
-- not in this database. Every version a tablet ever sent is kept beside it in
-- `consultation_revisions`: a correction is a new revision, never a silent overwrite.
create table consultation_revisions (
	consultation_id uuid not null,
	hlc text not null,
	deleted boolean not null,
	data jsonb not null,
	origin_device uuid,
	received_at timestamptz not null default now(),
	primary key (consultation_id, hlc)
);

alter table consultations add column urgency text generated always as (data ->> 'urgency') stored;
alter table consultations add column follow_up text generated always as (data ->> 'followUp') stored;
create index consultations_staff on consultations (staff_id);

-- Every version already stored is its own first revision.
insert into consultation_revisions (consultation_id, hlc, deleted, data, origin_device, received_at)
select id, hlc, deleted, data, origin_device, updated_at from consultations;

-- The follow-up queue: a consultation with a referral becomes a case, worked at the centre
-- (open → in progress → closed) by an owner before a due date. Cases stay at the centre.
create table followup_cases (
	id uuid primary key,
	consultation_id uuid not null unique,
	status text not null default 'open' check (status in ('open', 'in_progress', 'closed')),
	owner_staff_id uuid,
	-- ISO date (YYYY-MM-DD), as sessions keep theirs.
	due_date text,
	opened_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	closed_at timestamptz,
	-- Bumped by every change: a coordinator's form carries the version it was read at, so two
	-- people changing one case at once cannot overwrite each other unseen.
	version integer not null default 1
);
create index followup_cases_open on followup_cases (status, opened_at);

-- Who changed what on a case, and when. `detail` holds the field's old and new value; a comment
-- is sealed to the centre's key like a note.
create table followup_events (
	id bigserial primary key,
	case_id uuid not null references followup_cases (id),
	at timestamptz not null default now(),
	actor text not null,
	action text not null,
	detail jsonb not null default '{}'
);
create index followup_events_case on followup_events (case_id, id);
