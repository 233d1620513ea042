/**
 * A fingerprint of everything a store holds, to show that a refused request changed nothing: every
 * table's full rows (not only ids), and every sequence. Three things are bookkeeping of attempts
 * rather than data, move on a refusal by design, and are left out unless asked for:
 * `devices.last_seen_at` and the device's sync state (authenticating a device notes when it was
 * seen and what it says waits in its outbox; a pull that changes nothing still notes when the
 * tablet caught up: last_sync_at, pending_count, pending_reported_at), the `rate_limits`
 * counters (a refused attempt must still count), and `refused_stamps` (a stamp refused as ahead
 * stays refused; push.ts).
 */
import type { Store } from '../src/lib/server/db/store';

export type Snapshot = Record<string, string>;

const VOLATILE_COLUMNS: Record<string, string[]> = { devices: ['last_seen_at', 'last_sync_at', 'pending_count', 'pending_reported_at'] };
const SKIPPED_TABLES = ['rate_limits', 'refused_stamps'];

/**
 * A function that takes the fingerprint in one query, built once from the catalog (a test that
 * snapshots after every request should not read the catalog each time). `include` keeps tables
 * that are left out by default.
 */
export async function snapshotter(store: Store, opts: { include?: string[] } = {}): Promise<() => Promise<Snapshot>> {
	const skip = new Set(SKIPPED_TABLES.filter((t) => !opts.include?.includes(t)));
	const tables = await store.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`);
	const sequences = await store.query<{ name: string }>(
		`select sequencename as name from pg_sequences where schemaname = current_schema() order by sequencename`
	);
	const sql = [
		...tables.rows
			.filter((t) => !skip.has(t.name))
			.map(({ name }) => {
				const row = `(to_jsonb(x)${(VOLATILE_COLUMNS[name] ?? []).map((c) => ` - '${c}'`).join('')})::text`;
				return `select '${name}' as name, count(*)::text || ':' || md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as value from "${name}" x`;
			}),
		...sequences.rows.map(({ name }) => `select '${name}', last_value::text || ':' || is_called::text from "${name}"`)
	].join('\nunion all ');
	return async () => Object.fromEntries((await store.query<{ name: string; value: string }>(sql)).rows.map((r) => [r.name, r.value]));
}

export async function storeSnapshot(store: Store, opts: { include?: string[] } = {}): Promise<Snapshot> {
	return (await snapshotter(store, opts))();
}
