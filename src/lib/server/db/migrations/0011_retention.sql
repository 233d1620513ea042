-- Retention (issue 10): how long consultation notes, visits and households are kept is a setting
-- of the ward (its 文書管理規程 decides), and what expires is purged on a schedule, audited with
-- counts (server/centre/retention.ts).

-- Centre-only settings, one JSON value per key. Never synced.
create table centre_settings (
	key text primary key,
	value jsonb not null,
	updated_at timestamptz not null default now(),
	updated_by text not null
);

-- One row per day the scheduled purge ran: several server processes share a store, and only the
-- one whose insert lands purges that day.
create table retention_runs (
	day text primary key,
	ran_at timestamptz not null default now(),
	counts jsonb not null default '{}'
);

-- When a consultation's note (and its revisions' notes) was removed for having outlived its
-- retention: the record's other fields stay for the statistics, and the page says why the note is gone.
alter table consultations add column note_purged_at timestamptz;

-- A purged visit leaves the report facts like an undone one: its session and family are counted
-- again (0007_report_facts.sql; the marking function reads the rows as `changed`).
create trigger report_visits_delete after delete on visits referencing old table as changed for each statement execute function report_mark_visits();
