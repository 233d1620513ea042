/**
 * A fingerprint of everything a store holds, to show that a refused request changed nothing: every
 * table's full rows (not only ids), and the sync sequence. Three things are bookkeeping of attempts
 * rather than data, move on a refusal by design, and are left out: `devices.last_seen_at`
 * (authenticating a device notes when it was seen), the `rate_limits` counters (a refused attempt
 * must still count), and `refused_stamps` (a stamp refused as ahead stays refused; push.ts).
 */
import type { Store } from '../src/lib/server/db/store';

export type Snapshot = Record<string, string>;

const VOLATILE_COLUMNS: Record<string, string[]> = { devices: ['last_seen_at'] };
const SKIPPED_TABLES = new Set(['rate_limits', 'refused_stamps']);

export async function storeSnapshot(store: Store, opts: { skip?: string[] } = {}): Promise<Snapshot> {
	const skip = new Set([...SKIPPED_TABLES, ...(opts.skip ?? [])]);
	const tables = await store.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`);
	const out: Snapshot = {};
	for (const { name } of tables.rows) {
		if (skip.has(name)) continue;
		const drop = (VOLATILE_COLUMNS[name] ?? []).map((c) => ` - '${c}'`).join('');
		const r = await store.query<{ n: number; h: string }>(
			`select count(*)::int as n, md5(coalesce(string_agg(r, '|' order by r), '')) as h
			 from (select (to_jsonb(t)${drop})::text as r from "${name}" t) x`
		);
		out[name] = `${r.rows[0]!.n}:${r.rows[0]!.h}`;
	}
	const seq = await store.query<{ v: string }>(`select last_value::text || ':' || is_called::text as v from sync_seq`);
	out['sync_seq'] = seq.rows[0]!.v;
	return out;
}
