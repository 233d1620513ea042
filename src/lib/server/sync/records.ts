/**
 * Writing synced rows. Every write to a synced table goes through `upsertRows` inside a
 * transaction that holds the sync write lock, so sequence numbers become visible in the order they
 * were taken: a pull that has seen seq N can never later miss a row with seq < N committed by a
 * slower transaction (the classic cursor gap of sequence-based sync on a multi-connection database).
 */
import { hlcAfter } from '$lib/domain/hlc';
import { uuidv7 } from '$lib/domain/ids';
import { TABLE_SCHEMAS, SYNC_TABLES, type SyncTable, type TableData } from '$lib/sync/protocol';
import { jsonbParam, type Queryable } from '../db/store';
import { keepRevisions, noteConsultationWrites } from '../consultations/cases';
import { noteHouseholdWrites, noteVisitWrites } from './holdings';

/** Arbitrary constant: exclusive for writers of synced tables, shared for pulls. */
export const SYNC_WRITE_LOCK = 72_620_001;

export async function takeWriteLock(tx: Queryable): Promise<void> {
	await tx.query('select pg_advisory_xact_lock($1)', [SYNC_WRITE_LOCK]);
}

export async function takeReadLock(tx: Queryable): Promise<void> {
	await tx.query('select pg_advisory_xact_lock_shared($1)', [SYNC_WRITE_LOCK]);
}

/** Table names come only from this list, never from input, before they reach SQL text. */
export function tableName(table: SyncTable): string {
	if (!(SYNC_TABLES as readonly string[]).includes(table)) throw new Error(`not a sync table: ${table}`);
	return table;
}

export interface WriteOptions {
	/**
	 * False: the families of these households and visits are not noted as seen at their sites, so no
	 * tablet comes to hold them by this write (a visit resolved through a retired card, retirements.ts).
	 */
	noteSightings?: boolean;
}

export interface RowVersion {
	id: string;
	hlc: string;
	deleted: boolean;
	data: unknown;
}

/**
 * Insert or replace rows whose stamp is newer than the stored one, in one set-based statement, and
 * note where the families of written households and visits were seen (holdings.ts), so every
 * writer keeps the tablets' shares up to date; every consultation version is kept as a revision and
 * a referral opens a follow-up case (consultations/cases.ts). Returns the ids written. Caller holds the write lock
 * and has already validated `data`.
 */
export async function upsertRows(
	tx: Queryable,
	table: SyncTable,
	rows: RowVersion[],
	originDevice: string | null,
	now: number = Date.now(),
	opts: WriteOptions = {}
): Promise<Set<string>> {
	if (rows.length === 0) return new Set();
	const t = tableName(table);
	const r = await tx.query<{ id: string }>(
		`insert into ${t} (id, hlc, deleted, data, seq, origin_device, updated_at)
		 select x.id, x.hlc, x.deleted, x.data, nextval('sync_seq'), $2::uuid, now()
		 from jsonb_to_recordset($1::jsonb) as x(id uuid, hlc text, deleted boolean, data jsonb, ord int)
		 order by x.ord
		 on conflict (id) do update set
		   hlc = excluded.hlc, deleted = excluded.deleted, data = excluded.data, seq = excluded.seq,
		   origin_device = excluded.origin_device, updated_at = excluded.updated_at
		 where ${t}.hlc < excluded.hlc
		 returning id::text`,
		[jsonbParam(rows.map((row, ord) => ({ ...row, ord }))), originDevice]
	);
	const written = new Set(r.rows.map((x) => x.id));
	if ((table === 'households' || table === 'visits') && opts.noteSightings !== false) {
		const done = rows.filter((row) => written.has(row.id));
		if (table === 'households') await noteHouseholdWrites(tx, done as Parameters<typeof noteHouseholdWrites>[1], now);
		else await noteVisitWrites(tx, done as Parameters<typeof noteVisitWrites>[1], now);
	}
	if (table === 'consultations') {
		await keepRevisions(tx, rows, originDevice);
		await noteConsultationWrites(
			tx,
			rows.filter((row) => written.has(row.id)),
			originDevice ? `device:${originDevice}` : 'centre',
			now
		);
	}
	return written;
}

export async function storedVersions(tx: Queryable, table: SyncTable, ids: string[]): Promise<Map<string, { hlc: string; deleted: boolean; data: unknown }>> {
	const out = new Map<string, { hlc: string; deleted: boolean; data: unknown }>();
	if (ids.length === 0) return out;
	const r = await tx.query<{ id: string; hlc: string; deleted: boolean; data: unknown }>(
		`select id::text, hlc, deleted, data from ${tableName(table)} where id = any($1::uuid[])`,
		[ids]
	);
	for (const row of r.rows) out.set(row.id, row);
	return out;
}

export const CENTRE_NODE = 'centre';

/**
 * A write made at the centre (seed, operator, coordinator): validates with the shared schema, stamps
 * each row after the version it replaces, and writes under the lock. Rows then flow down by pull.
 */
export async function writeCentreRecords<T extends SyncTable>(
	tx: Queryable,
	table: T,
	records: Array<{ id?: string; data: TableData[T]; deleted?: boolean }>,
	now: number = Date.now(),
	opts: WriteOptions = {}
): Promise<string[]> {
	await takeWriteLock(tx);
	const schema = TABLE_SCHEMAS[table];
	const withIds = records.map((r) => ({ ...r, id: r.id ?? uuidv7(now) }));
	const stored = await storedVersions(
		tx,
		table,
		withIds.map((r) => r.id)
	);
	const rows: RowVersion[] = withIds.map((r) => ({
		id: r.id,
		hlc: hlcAfter(stored.get(r.id)?.hlc ?? null, CENTRE_NODE, now),
		deleted: r.deleted ?? false,
		data: schema.parse(r.data)
	}));
	await upsertRows(tx, table, rows, null, now, opts);
	return withIds.map((r) => r.id);
}
