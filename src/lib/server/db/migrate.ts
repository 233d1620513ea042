import type { Store } from './store';

/** Plain SQL migrations, `NNNN_name.sql`, bundled at build time so the built server carries them. */
const files = import.meta.glob('./migrations/*.sql', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const MIGRATIONS: ReadonlyArray<{ version: string; sql: string }> = Object.entries(files)
	.map(([path, sql]) => ({ version: path.replace(/^.*\/(\d+)_[^/]*\.sql$/, '$1'), name: path, sql }))
	.sort((a, b) => a.version.localeCompare(b.version));

/** Arbitrary constant: the advisory lock that serialises migrations across server processes. */
const MIGRATION_LOCK = 72_620_000;

/**
 * Apply every migration not yet applied, each in its own transaction, in order. Safe to call at
 * every start and from several processes at once: the advisory lock lets one apply, the others
 * then see the versions recorded and skip them.
 */
export async function migrate(store: Store): Promise<string[]> {
	await store.exec(`create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())`);
	const applied: string[] = [];
	for (const m of MIGRATIONS) {
		const did = await store.transaction(async (tx) => {
			await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
			const seen = await tx.query('select 1 from schema_migrations where version = $1', [m.version]);
			if (seen.rows.length > 0) return false;
			await tx.exec(m.sql);
			await tx.query('insert into schema_migrations (version) values ($1)', [m.version]);
			return true;
		});
		if (did) applied.push(m.version);
	}
	return applied;
}

export async function schemaVersion(store: Store): Promise<string | null> {
	const r = await store.query<{ v: string | null }>('select max(version) as v from schema_migrations');
	return r.rows[0]?.v ?? null;
}
