/**
 * The stores server tests run against: embedded PGlite always, and a PostgreSQL server as well
 * when TEST_DATABASE_URL is set (each test file then gets a schema of its own).
 */
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../src/lib/server/db/store';
import { migrate } from '../src/lib/server/db/migrate';
import { useStore } from '../src/lib/server/db';
import { ApiError } from '../src/lib/sync/errors';
import { afterAll, beforeAll } from 'vitest';
import { migratedCopy } from './templates';

export interface TestStore {
	name: 'pglite' | 'postgres';
	open(): Promise<Store>;
	/** Remove everything the store left behind. */
	dispose(): Promise<void>;
}

export function testStores(): TestStore[] {
	const list: TestStore[] = [];
	let dir: string | null = null;
	list.push({
		name: 'pglite',
		async open() {
			// A copy of the run's migrated template (tests/templates.ts): a new cluster costs seconds.
			dir ??= migratedCopy();
			const s = await openStore({ kind: 'pglite', dataDir: dir });
			await migrate(s);
			return s;
		},
		async dispose() {
			if (dir) rmSync(dir, { recursive: true, force: true });
			dir = null;
		}
	});
	const url = process.env.TEST_DATABASE_URL;
	if (url) {
		const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
		list.push({
			name: 'postgres',
			async open() {
				const s = await openStore({ kind: 'postgres', url, schema });
				await migrate(s);
				return s;
			},
			async dispose() {
				const s = await openStore({ kind: 'postgres', url });
				await s.exec(`drop schema if exists ${schema} cascade`);
				await s.close();
			}
		});
	}
	return list;
}

/** Empty every table, keeping the schema: cheaper than a new store between property-test runs. */
export async function truncateAll(store: Store): Promise<void> {
	const r = await store.query<{ tablename: string }>(
		`select tablename from pg_tables where schemaname = current_schema() and tablename <> 'schema_migrations'`
	);
	// DELETE rather than TRUNCATE: a test's few rows go in milliseconds, where TRUNCATE makes new
	// files for every table and index (about half a second per call on PGlite). Replica mode skips
	// the foreign-key and report-fact triggers, so the order of the tables does not matter.
	await store.transaction(async (tx) => {
		await tx.exec('set local session_replication_role = replica');
		await tx.exec(r.rows.map((x) => `delete from "${x.tablename}";`).join('\n'));
	});
}

/**
 * Open a test store before the suite and close it after. With `serve`, the app's route handlers
 * (and everything that calls getStore()) use it too.
 */
export function openForSuite(ts: TestStore, set: (store: Store) => void, opts: { serve?: boolean } = {}): void {
	let store: Store | null = null;
	beforeAll(async () => {
		store = await ts.open();
		if (opts.serve) useStore(store);
		set(store);
	});
	afterAll(async () => {
		if (opts.serve) useStore(null);
		await store?.close();
		await ts.dispose();
	});
}

/** The stable code of the ApiError a promise rejects with, or 'ok'. */
export async function errorCodeOf(p: Promise<unknown>): Promise<string> {
	try {
		await p;
		return 'ok';
	} catch (e) {
		return e instanceof ApiError ? e.code : String(e);
	}
}
