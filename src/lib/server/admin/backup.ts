/**
 * Logical backup and restore, portable between PGlite and PostgreSQL: a gzip'd JSON document
 * `{ format: 'hiroba-backup', version: 1, schemaVersion, createdAt, sequence, tables: { name: rows } }`
 * holding every table but schema_migrations, each row as `to_jsonb(row)`.
 *
 * A backup is read in one repeatable-read transaction, so it is one consistent moment of the store,
 * and is streamed to disk (one row per line) rather than built in memory. A restore replaces
 * everything in one transaction under the sync write lock, so a tablet never sees half of it, and
 * moves the sync sequence only forward: a tablet's pull cursor from before the restore stays valid,
 * and every change after it gets a number the tablet has not seen yet.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { close, constants, createWriteStream, fchmod, fsync, open, type WriteStream } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import { z } from 'zod';
import { ApiError } from '$lib/sync/errors';
import { SYNC_TABLES } from '$lib/sync/protocol';
import type { Queryable, Store } from '../db/store';
import { takeWriteLock } from '../sync/records';

export const BACKUP_FORMAT = 'hiroba-backup';
export const BACKUP_VERSION = 1;
/** Rows fetched per round trip when reading, and inserted per statement when restoring. */
const BATCH = 2000;

export interface BackupSummary {
	file: string;
	bytes: number;
	createdAt: string;
	schemaVersion: string | null;
	sequence: number;
	tables: Record<string, number>;
}

export interface RestoreSummary {
	file: string;
	/** When the backup was made. */
	createdAt: string;
	schemaVersion: string | null;
	/** The sync sequence after the restore: never lower than before it. */
	sequence: number;
	tables: Record<string, number>;
}

const backupDocument = z.object({
	format: z.literal(BACKUP_FORMAT),
	version: z.literal(BACKUP_VERSION),
	schemaVersion: z.string().nullable(),
	createdAt: z.string(),
	sequence: z.number().int().min(0),
	tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown())))
});

/** A double-quoted identifier. Names come from the catalog, never from input; quoting is belt and braces. */
function ident(name: string): string {
	return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Every table of the store but schema_migrations and the report facts (derived from the others,
 * rebuilt after a restore), parents before children (by foreign keys), so that a restore can
 * insert them in this order.
 */
async function listTables(db: Queryable): Promise<string[]> {
	const t = await db.query<{ name: string }>(
		`select tablename as name from pg_tables
		 where schemaname = current_schema() and tablename <> 'schema_migrations' and tablename not like 'report\\_%'
		 order by tablename`
	);
	const fk = await db.query<{ child: string; parent: string }>(
		`select c.relname as child, p.relname as parent
		 from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
		 where k.contype = 'f' and c.relnamespace = current_schema()::regnamespace and c.oid <> p.oid`
	);
	const names = t.rows.map((r) => r.name);
	const ordered: string[] = [];
	const visiting = new Set<string>();
	const visit = (name: string) => {
		if (ordered.includes(name) || visiting.has(name)) return;
		visiting.add(name);
		for (const e of fk.rows) if (e.child === name && names.includes(e.parent)) visit(e.parent);
		ordered.push(name);
	};
	names.forEach(visit);
	return ordered;
}

async function storedSchemaVersion(db: Queryable): Promise<string | null> {
	const r = await db.query<{ v: string | null }>('select max(version) as v from schema_migrations');
	return r.rows[0]?.v ?? null;
}

/** The last value the sync sequence handed out (0 if none). */
async function currentSequence(db: Queryable): Promise<number> {
	const r = await db.query<{ v: string }>(`select coalesce(pg_sequence_last_value('sync_seq'), 0)::text as v`);
	return Number(r.rows[0]!.v);
}

function fsError(e: unknown, file: string): never {
	const code = (e as NodeJS.ErrnoException).code;
	if (code === 'ENOENT') throw new ApiError('not_found', `no such file or folder: ${file}`);
	if (code === 'EACCES' || code === 'EPERM') throw new ApiError('forbidden', `the server may not access ${file}`);
	if (code === 'EISDIR') throw new ApiError('bad_request', `${file} is a folder, not a file`);
	throw e;
}

// Plain descriptors, not FileHandles: a stream over a FileHandle keeps it referenced until the
// stream closes it, so the handle could not be flushed to disk after the stream and before closing.
const openFd = promisify(open);
const fchmodFd = promisify(fchmod);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/**
 * A new file beside `file` that nobody else can have prepared: an unpredictable name, created
 * exclusively (O_EXCL: never an existing file, whose mode and other links would stay) and without
 * following a link (O_NOFOLLOW: a link planted at the name is refused, never written through).
 */
async function openTemporary(file: string): Promise<{ path: string; fd: number }> {
	const path = join(dirname(file), `.${basename(file)}.${randomBytes(12).toString('hex')}.partial`);
	const fd = await openFd(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
	try {
		await fchmodFd(fd, 0o600); // open()'s mode is narrowed by the umask, never widened; to be sure
	} catch (e) {
		await closeFd(fd).catch(() => {});
		await rm(path, { force: true }).catch(() => {});
		throw e;
	}
	return { path, fd };
}

/** Make a rename in `dir` survive a crash (best effort: not every file system lets a folder be synced). */
async function syncFolder(dir: string): Promise<void> {
	let fd: number | null = null;
	try {
		fd = await openFd(dir, constants.O_RDONLY);
		await fsyncFd(fd);
	} catch {
		/* the backup is in place; only its durability across a power cut is not promised */
	} finally {
		if (fd !== null) await closeFd(fd).catch(() => {});
	}
}

/**
 * Write a backup of the whole store to `file` (an absolute path), readable only by its owner. The
 * file appears complete or not at all: it is written to a private temporary file beside it, flushed
 * to disk, then renamed into place. The rename replaces whatever was at `file` (a file of another
 * mode, a link) rather than writing through it, so the result is always our own 0600 file.
 */
export async function backupTo(store: Store, file: string): Promise<BackupSummary> {
	let tmp: { path: string; fd: number };
	try {
		tmp = await openTemporary(file);
	} catch (e) {
		fsError(e, file);
	}
	const gzip = createGzip();
	// The descriptor stays open after the stream finishes, to be flushed to disk before it is closed.
	// Then the stream closes it (closeStream): a destroyed stream closes its descriptor, autoClose or
	// not, so the stream is the one place that does, exactly once. (Closed a second time, the number
	// may by then belong to another file of this process: a store's, a socket.)
	const out = createWriteStream('', { fd: tmp.fd, autoClose: false });
	const written = new Promise<void>((resolve, reject) => {
		out.on('finish', resolve);
		out.on('error', reject);
		gzip.on('error', reject);
	});
	written.catch(() => {}); // observed below; never an unhandled rejection meanwhile
	gzip.pipe(out);
	const write = async (text: string) => {
		if (!gzip.write(text)) await Promise.race([once(gzip, 'drain'), written]);
	};
	const createdAt = new Date().toISOString();
	try {
		const summary = await store.transaction(async (tx) => {
			// One snapshot for every table. (Not the sync read lock: pushes need not wait for a backup.)
			await tx.query('set transaction isolation level repeatable read, read only');
			const version = await storedSchemaVersion(tx);
			const tables = await listTables(tx);
			const sequence = await currentSequence(tx);
			const counts: Record<string, number> = {};
			await write(
				`{"format":${JSON.stringify(BACKUP_FORMAT)},"version":${BACKUP_VERSION},"schemaVersion":${JSON.stringify(version)},` +
					`"createdAt":${JSON.stringify(createdAt)},"sequence":${sequence},"tables":{`
			);
			for (const [i, table] of tables.entries()) {
				await write(`${i === 0 ? '' : ','}\n${JSON.stringify(table)}:[`);
				let n = 0;
				// The alias is not a column name of any table: `to_jsonb(x)` would take a column `x` over the row.
				await tx.query(`declare backup_cursor no scroll cursor for select to_jsonb(backup_row)::text as r from ${ident(table)} as backup_row`);
				for (;;) {
					const page = await tx.query<{ r: string }>(`fetch forward ${BATCH} from backup_cursor`);
					for (const row of page.rows) await write(`${n++ === 0 ? '' : ','}\n${row.r}`);
					if (page.rows.length < BATCH) break;
				}
				await tx.query('close backup_cursor');
				await write('\n]');
				counts[table] = n;
			}
			await write('\n}}\n');
			return { schemaVersion: version, sequence, tables: counts };
		});
		gzip.end();
		await written;
		await fsyncFd(tmp.fd);
		await closeStream(out);
		await rename(tmp.path, file);
		await syncFolder(dirname(file));
		const { size } = await stat(file);
		return { file, bytes: size, createdAt, ...summary };
	} catch (e) {
		gzip.destroy();
		// A write still in flight finishes before the stream closes the descriptor (its number could
		// otherwise be reused and the late write land elsewhere).
		await closeStream(out).catch(() => {});
		await rm(tmp.path, { force: true }).catch(() => {});
		if (!(e instanceof ApiError) && typeof (e as NodeJS.ErrnoException).syscall === 'string') fsError(e, file);
		throw e;
	}
}

/**
 * Close a file stream and with it its descriptor, once: after any write in flight, and not again if
 * it is closed already. A failure to close (the last chance for a delayed write error) is thrown.
 */
function closeStream(out: WriteStream): Promise<void> {
	return new Promise((resolve, reject) => {
		if (out.closed) return resolve();
		let failure: Error | null = null;
		out.once('error', (e) => (failure = e));
		out.once('close', () => (failure ? reject(failure) : resolve()));
		out.destroy();
	});
}

/** Read and check a backup file. */
async function readBackup(file: string): Promise<z.infer<typeof backupDocument>> {
	let raw: Buffer;
	try {
		raw = await readFile(file);
	} catch (e) {
		fsError(e, file);
	}
	let text: string;
	try {
		text = (await promisify(gunzip)(raw)).toString('utf8');
	} catch {
		throw new ApiError('bad_request', `${file} is not a Hiroba backup (not gzip data)`);
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new ApiError('bad_request', `${file} is not a Hiroba backup (not JSON)`);
	}
	const doc = backupDocument.safeParse(json);
	if (!doc.success) {
		const format = (json as { format?: unknown })?.format;
		if (format !== BACKUP_FORMAT) throw new ApiError('bad_request', `${file} is not a Hiroba backup`);
		throw new ApiError('bad_request', `${file} is not a backup this version can read: ${z.prettifyError(doc.error)}`);
	}
	return doc.data;
}

/**
 * Replace everything in the store with the backup in `file`. Refuses a backup of another schema
 * version, or one whose tables are not this store's tables, before touching anything.
 */
export async function restoreFrom(store: Store, file: string): Promise<RestoreSummary> {
	const doc = await readBackup(file);
	const current = await storedSchemaVersion(store);
	if (doc.schemaVersion !== current) {
		throw new ApiError(
			'bad_request',
			`the backup is of schema version ${doc.schemaVersion ?? 'none'}, this store is at ${current ?? 'none'}: restore it with the Hiroba version that made it`
		);
	}
	const tables = await listTables(store);
	const missing = tables.filter((t) => !(t in doc.tables));
	const extra = Object.keys(doc.tables).filter((t) => !tables.includes(t));
	if (missing.length > 0 || extra.length > 0) {
		throw new ApiError(
			'bad_request',
			`the backup's tables do not match this store's (missing: ${missing.join(', ') || 'none'}; unknown: ${extra.join(', ') || 'none'})`
		);
	}

	return store.transaction(async (tx) => {
		// Pushes wait, and pulls (shared lock) wait, until the restore has committed.
		await takeWriteLock(tx);
		const before = await currentSequence(tx);
		await tx.query(`truncate ${tables.map(ident).join(', ')}`);
		const counts: Record<string, number> = {};
		for (const table of tables) {
			// Generated columns are computed again from the restored row, never inserted.
			const cols = await tx.query<{ c: string }>(
				`select column_name as c from information_schema.columns
				 where table_schema = current_schema() and table_name = $1 and is_generated = 'NEVER' order by ordinal_position`,
				[table]
			);
			const list = cols.rows.map((r) => ident(r.c)).join(', ');
			const rows = doc.tables[table]!;
			for (let i = 0; i < rows.length; i += BATCH) {
				await tx.query(
					`insert into ${ident(table)} (${list}) overriding system value
					 select ${list} from jsonb_populate_recordset(null::${ident(table)}, $1::jsonb)`,
					[JSON.stringify(rows.slice(i, i + BATCH))]
				);
			}
			counts[table] = rows.length;
		}
		// The report facts are counted again from what was restored, at the next report.
		await tx.query(`truncate report_sessions, report_households, report_children, report_period_totals, report_dirty`);
		await tx.query(`insert into report_dirty (kind, key) select 'S', id::text from sessions`);

		// The sync sequence moves only forward: past what it was, what the backup had seen, and every
		// restored row, so no pull cursor ever points past a number that will be handed out again.
		const maxSeq = await tx.query<{ v: string }>(
			`select coalesce(max(m), 0)::text as v from (${SYNC_TABLES.map((t) => `select max(seq) as m from ${ident(t)}`).join(' union all ')}) s`
		);
		const sequence = Math.max(before, doc.sequence, Number(maxSeq.rows[0]!.v));
		if (sequence > 0) await tx.query(`select setval('sync_seq', $1::bigint, true)`, [sequence]);

		// Serial and identity columns (audit_log.id): their sequences continue after the restored rows.
		const serials = await tx.query<{ t: string; c: string; s: string }>(
			`select table_name as t, column_name as c, pg_get_serial_sequence(quote_ident(table_name), column_name) as s
			 from information_schema.columns
			 where table_schema = current_schema() and (column_default like 'nextval(%' or is_identity = 'YES')`
		);
		for (const { t, c, s } of serials.rows) {
			if (!s || !tables.includes(t)) continue;
			await tx.query(
				`select setval($1::regclass, greatest(v, 1), v > 0) from (
				   select greatest(coalesce(pg_sequence_last_value($1::regclass), 0), coalesce((select max(${ident(c)}) from ${ident(t)}), 0)) as v
				 ) x`,
				[s]
			);
		}
		return { file, createdAt: doc.createdAt, schemaVersion: doc.schemaVersion, sequence, tables: counts };
	});
}
