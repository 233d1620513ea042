-- Centre sign-in sessions. The cookie carries a random token; only its SHA-256 is kept here, so
-- several server processes share sessions and a stolen database yields no usable cookie.
create table staff_sessions (
	token_hash text primary key,
	staff_id uuid not null references staff (id),
	created_at timestamptz not null default now(),
	last_seen_at timestamptz not null default now(),
	expires_at timestamptz not null,
	user_agent text
);
create index staff_sessions_staff on staff_sessions (staff_id);
