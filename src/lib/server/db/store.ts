/**
 * One query layer over two PostgreSQL engines: embedded PGlite in a data folder (the default, no
 * set-up) or a PostgreSQL server when DATABASE_URL is set. Both speak the same SQL; code above this
 * file never knows which one it has. Results that differ between the drivers (int8, date) are cast
 * in SQL by the callers, so rows look the same from both.
 */
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { logError } from '../log';

export interface QueryResult<T> {
	rows: T[];
	rowCount: number;
}

export interface Queryable {
	query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
	/** Several statements, no parameters (migrations). */
	exec(sql: string): Promise<void>;
}

export interface Store extends Queryable {
	readonly kind: 'pglite' | 'postgres';
	transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
	close(): Promise<void>;
}

export type StoreConfig = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; schema?: string };

export class StoreLockedError extends Error {
	constructor(
		readonly pid: number,
		dir: string
	) {
		super(`the data folder ${dir} is in use by process ${pid}; stop it first, or use \`npm run admin\` which talks to it`);
	}
}

function pidAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
 * The embedded store belongs to one process at a time: two PGlite instances on one folder would
 * corrupt it. A lock file with our pid guards it; a lock left by a dead process is taken over.
 */
function lockDataDir(dir: string): () => void {
	const lockPath = join(dir, 'hiroba.lock');
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			const fd = openSync(lockPath, 'wx', 0o600);
			writeFileSync(fd, String(process.pid));
			closeSync(fd);
			return () => {
				try {
					if (readFileSync(lockPath, 'utf8') === String(process.pid)) unlinkSync(lockPath);
				} catch {
					/* already gone */
				}
			};
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
			const pid = Number(readFileSync(lockPath, 'utf8'));
			if (pid && pid !== process.pid && pidAlive(pid)) throw new StoreLockedError(pid, dir);
			unlinkSync(lockPath);
		}
	}
	throw new Error(`could not lock ${dir}`);
}

async function openPglite(dataDir: string): Promise<Store> {
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	const unlock = lockDataDir(dataDir);
	try {
		const { PGlite } = await import('@electric-sql/pglite');
		const pgDir = join(dataDir, 'pglite');
		const db = await PGlite.create({ dataDir: pgDir });
		const wrap = (q: Pick<typeof db, 'query' | 'exec'>): Queryable => ({
			async query<T>(sql: string, params?: unknown[]) {
				const r = await q.query<T>(sql, params);
				return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
			},
			async exec(sql: string) {
				await q.exec(sql);
			}
		});
		let closed = false;
		return {
			kind: 'pglite',
			...wrap(db),
			transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
			async close() {
				if (closed) return;
				closed = true;
				await db.close();
				unlock();
			}
		};
	} catch (e) {
		unlock();
		throw e;
	}
}

async function openPostgres(url: string, schema?: string): Promise<Store> {
	const pg = (await import('pg')).default;
	// Dates stay strings (`YYYY-MM-DD`): turning them into JS Dates would shift them by time zone.
	const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid, format)) };
	const pool = new pg.Pool({ connectionString: url, max: 10, types, options: schema ? `-c search_path=${schema}` : undefined });
	pool.on('error', (e) => logError('store idle client', e));
	if (schema) {
		const c = await pool.connect();
		try {
			await c.query(`create schema if not exists "${schema.replace(/"/g, '')}"`);
		} finally {
			c.release();
		}
	}
	const wrap = (q: { query: InstanceType<typeof pg.Pool>['query'] }): Queryable => ({
		async query<T>(sql: string, params?: unknown[]) {
			const r = await q.query(sql, params as unknown[]);
			return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
		},
		async exec(sql: string) {
			await q.query(sql);
		}
	});
	return {
		kind: 'postgres',
		...wrap(pool),
		async transaction(fn) {
			const client = await pool.connect();
			try {
				await client.query('begin');
				const result = await fn(wrap(client as unknown as InstanceType<typeof pg.Pool>));
				await client.query('commit');
				return result;
			} catch (e) {
				await client.query('rollback').catch(() => {});
				throw e;
			} finally {
				client.release();
			}
		},
		close: () => pool.end()
	};
}

export async function openStore(config: StoreConfig): Promise<Store> {
	return config.kind === 'pglite' ? openPglite(config.dataDir) : openPostgres(config.url, config.schema);
}

export function storeConfigFromEnv(env: Record<string, string | undefined> = process.env): StoreConfig {
	if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL };
	return { kind: 'pglite', dataDir: dataDirFromEnv(env) };
}

export function dataDirFromEnv(env: Record<string, string | undefined> = process.env): string {
	return env.HIROBA_DATA_DIR || join(process.cwd(), 'data');
}
