/**
 * Which sealing keys the store's notes need, and whether this centre holds them: what an operator
 * must know about a backup (it opens no note without the key folder) and after a restore.
 */
import type { Queryable } from '../db/store';
import { getKeyring } from './keyring';

export interface KeyReport {
	/** The key folder (HIROBA_KEY_DIR). */
	dir: string;
	current: string;
	/** Key ids held in the folder. */
	held: string[];
	/** Sealed texts in the store per key id. */
	sealedByKey: Record<string, number>;
	/** Key ids that sealed texts name and the folder lacks: those texts cannot be opened here. */
	missing: string[];
}

export async function keyReport(db: Queryable): Promise<KeyReport> {
	const keyring = await getKeyring();
	const r = await db.query<{ kid: string; n: number }>(
		`select kid, count(*)::int as n from (
		   select split_part(data->>'sealed', '.', 2) as kid from consultation_revisions where data->>'sealed' is not null
		   union all select split_part(detail->'comment'->>'sealed', '.', 2) from followup_events where detail->'comment'->>'sealed' is not null
		 ) s group by kid order by kid`
	);
	const sealedByKey = Object.fromEntries(r.rows.map((row) => [row.kid, row.n]));
	return {
		dir: keyring.dir,
		current: keyring.current.kid,
		held: keyring.kids,
		sealedByKey,
		missing: Object.keys(sealedByKey).filter((kid) => !keyring.privateKeyFor(kid))
	};
}
