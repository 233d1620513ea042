-- Centre sign-in failures, counted per (address, login name) and per address across all names
-- (login_name = ''). Several server processes share the counts, so they live in the store. Each
-- row is a backoff: after a few failures, the next try from that address waits until
-- blocked_until, and each further failure doubles the wait. No row ever refuses another address.
create table login_throttle (
	address text not null,
	login_name text not null,
	failures integer not null,
	last_failure_at timestamptz not null,
	blocked_until timestamptz,
	primary key (address, login_name)
);
create index login_throttle_last_failure on login_throttle (last_failure_at);
