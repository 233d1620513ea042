-- What the centre knows of each tablet's sync: how many changes it said were waiting in its outbox
-- (the X-Hiroba-Pending header of its last push or pull, and when it said so), and when it last
-- finished a pull (caught up with the centre). `last_seen_at` is any contact, even a refused one.
-- Null until a tablet of this version reports: an older app sends no header.
alter table devices
	add column pending_count integer check (pending_count >= 0),
	add column pending_reported_at timestamptz,
	add column last_sync_at timestamptz;
