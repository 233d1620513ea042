/**
 * Every local write of a synced record goes through here: the row and its outbox entry commit in
 * one Dexie transaction, together with the clock state, so a write is never saved without being
 * queued for the centre, nor queued without being saved.
 *
 * Offline: the write lands in IndexedDB at once and waits in the outbox; the sync engine pushes it
 * when the centre can be reached. Nothing here needs the network.
 */
import { HlcClock, type HlcState } from '$lib/domain/hlc';
import { TABLE_SCHEMAS, type PushableTable, type TableData } from '$lib/sync/protocol';
import { META, hlcNode, type DeviceCredentials, type HirobaDB, type OutboxEntry, type Row } from './db';

export interface WriteOptions {
	deleted?: boolean;
	/** The clock's physical time source (tests give each tablet its own). */
	now?: () => number;
}

export class NotEnrolledError extends Error {
	constructor() {
		super('this tablet is not enrolled');
	}
}

/** Superseded stamps kept per outbox entry (edits between two syncs; more is a runaway loop). */
const MAX_AFTER = 50;

/**
 * The tablet's hybrid logical clock, on the tablet's time corrected by the offset learnt from the
 * centre (engine.ts: the centre refuses stamps too far ahead of its own clock). Call inside a
 * transaction that includes `meta`, and store `clock.state` back in it.
 */
export async function tabletClock(db: HirobaDB, device: DeviceCredentials, now: () => number = Date.now): Promise<HlcClock> {
	const [offset, state] = await db.getMetas<[number, HlcState]>([META.clockOffset, META.clock]);
	return clockFor(device, state, offset, now);
}

function clockFor(device: DeviceCredentials, state: HlcState | undefined, offset: number | undefined, now: () => number = Date.now): HlcClock {
	return new HlcClock(hlcNode(device.deviceId), state ?? undefined, () => now() + (offset ?? 0));
}

/** Save one record (create, edit or delete) and queue it for the centre. */
export async function saveRecord<T extends PushableTable>(db: HirobaDB, table: T, id: string, data: TableData[T], opts: WriteOptions = {}): Promise<Row<T>> {
	const [row] = await saveRecords(db, table, [{ id, data, deleted: opts.deleted }], opts);
	return row!;
}

/** Save several records of one table in one transaction (registration, bulk import). */
export async function saveRecords<T extends PushableTable>(
	db: HirobaDB,
	table: T,
	items: Array<{ id: string; data: TableData[T]; deleted?: boolean }>,
	opts: Pick<WriteOptions, 'now'> = {}
): Promise<Row<T>[]> {
	const schema = TABLE_SCHEMAS[table];
	// Validate before touching the database: a bad record is refused and changes nothing.
	const parsed = items.map((item) => ({ ...item, data: schema.parse(item.data) as TableData[T] }));
	return db.transaction('rw', [db.syncTable(table), db.outbox, db.meta], async () => {
		// The reads are independent: issued together, they cost one wait on the database, not four
		// (each wait is a trip through the event loop, and a slow tablet feels every one).
		const ids = parsed.map((p) => p.id);
		const [[device, offset, clockState], current, stale] = await Promise.all([
			db.getMetas<[DeviceCredentials, number, HlcState]>([META.device, META.clockOffset, META.clock]),
			db.syncTable(table).bulkGet(ids),
			// One pending entry per record: an older unsent version is replaced by the newer one, which
			// inherits what that one replaced.
			db.outbox
				.where('[table+id]')
				.anyOf(ids.map((id) => [table, id]))
				.filter((e) => e.state === 'pending')
				.toArray()
		]);
		if (!device) throw new NotEnrolledError();
		const clock = clockFor(device, clockState, offset, opts.now);
		const unsent = new Map(stale.map((e) => [e.id, e]));
		const rows: Row<T>[] = [];
		const entries: OutboxEntry[] = [];
		const now = Date.now();
		for (const [k, item] of parsed.entries()) {
			// After the version it replaces, whatever the clock says (it may have been set back).
			const hlc = clock.tickAfter(current[k]?.hlc);
			const deleted = item.deleted ?? false;
			const prev = unsent.get(item.id);
			const after = [...new Set([...(prev?.after ?? []), ...(prev ? [prev.hlc] : []), ...(current[k] ? [current[k]!.hlc] : [])])].slice(-MAX_AFTER);
			const entry: OutboxEntry = { table, id: item.id, hlc, deleted, data: item.data, state: 'pending', createdAt: now, after };
			unsent.set(item.id, entry);
			rows.push({ ...item.data, id: item.id, hlc, deleted } as Row<T>);
			entries.push(entry);
		}
		// The outbox's replaced entries go before the new ones are added: IndexedDB runs a
		// transaction's requests in the order they were made, so issuing them together keeps it.
		await Promise.all([
			db.outbox.bulkDelete(stale.map((e) => e.seq!)),
			db.syncTable(table).bulkPut(rows),
			db.outbox.bulkAdd(entries),
			db.setMeta(META.clock, clock.state)
		]);
		return rows;
	});
}
