/**
 * One query layer over two PostgreSQL engines: embedded PGlite in a data folder (the default, no
 * set-up) or a PostgreSQL server when DATABASE_URL is set. Both speak the same SQL; code above this
 * file never knows which one it has. Results that differ between the drivers (int8, date) are cast
 * in SQL by the callers, so rows look the same from both.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
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

const JSONB_VERSION = Buffer.of(1);

/**
 * A large value for a `$n::jsonb` parameter, sent in jsonb's binary form (a version byte, then the
 * JSON text as UTF-8) rather than as text. Both drivers send a Buffer as binary; as text, PGlite
 * measures a string's UTF-8 length one character at a time in JavaScript, which for a push's rows
 * (hundreds of kilobytes) cost more than encoding them natively here.
 */
export function jsonbParam(value: unknown): Buffer {
	return Buffer.concat([JSONB_VERSION, Buffer.from(JSON.stringify(value), 'utf8')]);
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

/**
 * Make a folder and everything under it private to its owner: folders 0700, files 0600. Symbolic
 * links below the folder are neither followed nor changed (lstat), and sockets (the admin socket)
 * are left as they are. Only modes that differ are changed, so a walk over a settled folder writes
 * nothing.
 */
export function makePrivate(dir: string): void {
	const walk = (path: string, top: boolean) => {
		let st;
		try {
			// The folder itself may be a link the operator made on purpose; what is inside is not followed.
			st = top ? statSync(path) : lstatSync(path);
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed meanwhile
			throw e;
		}
		if (st.isDirectory()) {
			if ((st.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
			for (const name of readdirSync(path)) walk(join(path, name), false);
		} else if (st.isFile() && (st.mode & 0o777) !== 0o600) {
			chmodSync(path, 0o600);
		}
	};
	walk(dir, true);
}

/**
 * Diagnostics for the benchmarks (`HIROBA_QUERY_STATS=1`): every statement's calls and time, from
 * the call to its answer, by its text (never its parameters: DESIGN.md, the centre logs no record
 * data or SQL parameters). On SIGUSR2 the server prints them as one JSON line and starts again.
 */
const queryStats = process.env.HIROBA_QUERY_STATS === '1' ? new Map<string, { calls: number; ms: number }>() : null;
if (queryStats) {
	process.on('SIGUSR2', () => {
		const rows = [...queryStats].map(([sql, x]) => ({ sql, calls: x.calls, ms: Math.round(x.ms * 10) / 10 })).sort((a, b) => b.ms - a.ms);
		queryStats.clear();
		process.stdout.write(`[hiroba] query stats ${JSON.stringify(rows)}\n`);
	});
}

function timed<T>(sql: string, run: Promise<T>): Promise<T> {
	if (!queryStats) return run;
	const started = performance.now();
	return run.finally(() => {
		const key = sql.replace(/\s+/g, ' ').trim();
		const x = queryStats.get(key) ?? { calls: 0, ms: 0 };
		x.calls++;
		x.ms += performance.now() - started;
		queryStats.set(key, x);
	});
}

async function openPglite(dataDir: string): Promise<Store> {
	// Everything the process creates from here on is born private. PGlite creates files and folders
	// as it runs (new relations, WAL segments, folders for new databases), at its own modes less the
	// umask. Process-wide is acceptable here: this process is the Hiroba server (or an admin command
	// hosting it), and all it writes to disk is the store, backups and the admin socket, which are
	// all private; it makes nothing other users are meant to read. A worker thread may not set it
	// (the build's prerendering opens the store in one); the walks below still cover what exists.
	if (isMainThread) process.umask(0o077);
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	// A folder that existed keeps its old mode unless changed (mkdir's mode is for new folders only).
	chmodSync(dataDir, 0o700);
	const unlock = lockDataDir(dataDir);
	try {
		// Stores made before this was done have PGlite's own modes (0644, 0666): only the folder kept
		// other users out, and a copy of the folder (cp -r, an archive) would not keep even that.
		makePrivate(dataDir);
		const { PGlite, types } = await import('@electric-sql/pglite');
		const pgDir = join(dataDir, 'pglite');
		// A jsonb parameter given as a Buffer (jsonbParam) goes as it is, in binary; any other the way
		// PGlite's own serializer sends it.
		const own = types.serializers[types.JSONB]!;
		const jsonb = (x: unknown) => (Buffer.isBuffer(x) ? (x as unknown as string) : own(x));
		const db = await PGlite.create({ dataDir: pgDir, serializers: { [types.JSONB]: jsonb } });
		// A new store is unpacked from PGlite's initial database at modes of its own (0666): again.
		makePrivate(dataDir);
		const wrap = (q: Pick<typeof db, 'query' | 'exec'>): Queryable => ({
			async query<T>(sql: string, params?: unknown[]) {
				const r = await timed(sql, q.query<T>(sql, params));
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
			const r = await timed(sql, q.query(sql, params as unknown[]));
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
