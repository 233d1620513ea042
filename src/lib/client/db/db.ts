/**
 * The tablet's database: one Dexie class holding the whole schema history (add a `version(n)` below
 * the last one; never edit an old one). Synced tables hold rows as `{ ...data, id, hlc, deleted }`;
 * a deletion is kept as a tombstone row so the merge rule can still compare stamps.
 *
 * Local-only tables: `outbox` (changes not yet acknowledged by the centre) and `meta` (device
 * credentials, pull cursor, clock state). They never sync.
 */
import Dexie, { type DexieOptions, type Table } from 'dexie';
import type { PushableTable, SyncTable, TableData } from '$lib/sync/protocol';

export interface SyncMeta {
	id: string;
	hlc: string;
	deleted: boolean;
}

export type Row<T extends SyncTable> = TableData[T] & SyncMeta;

export interface OutboxEntry {
	seq?: number;
	table: PushableTable;
	id: string;
	hlc: string;
	deleted: boolean;
	data: unknown;
	/**
	 * Stamps of versions of this record the centre may hold that this change replaces: the local
	 * row's when the change was made, and every unsent change it superseded (one may have been on the
	 * wire). If the change must be stamped again because the clock ran ahead, the new stamp comes
	 * after every one of these the centre could have taken (not ahead of its clock).
	 */
	after?: string[];
	/** pending: waiting to be pushed. rejected: the centre refused it; kept for staff to see. */
	state: 'pending' | 'rejected';
	error?: { code: string; message: string };
	createdAt: number;
}

/**
 * Local-only: a consultation being written, saved as it is typed so that a reload, a crash or the
 * staff lock loses nothing. The form's content is encrypted under this tablet's own key (a
 * non-extractable AES-GCM key in `meta`), never stored in clear; on save it is sealed to the centre
 * and the draft goes (consultations.ts). The id is the consultation's own, so a draft saved twice
 * (two tabs, a reload racing the save) is still one record.
 */
export interface DraftRow {
	id: string;
	staffId: string;
	sessionId: string;
	/** The stamp of the saved version this draft corrects; null for a new consultation. */
	baseHlc: string | null;
	updatedAt: number;
	iv: Uint8Array;
	ct: ArrayBuffer;
}

export interface MetaEntry {
	key: string;
	value: unknown;
}

export class HirobaDB extends Dexie {
	programs!: Table<Row<'programs'>, string>;
	sites!: Table<Row<'sites'>, string>;
	sessions!: Table<Row<'sessions'>, string>;
	topics!: Table<Row<'topics'>, string>;
	towns!: Table<Row<'towns'>, string>;
	staff!: Table<Row<'staff'>, string>;
	households!: Table<Row<'households'>, string>;
	children!: Table<Row<'children'>, string>;
	visits!: Table<Row<'visits'>, string>;
	consultations!: Table<Row<'consultations'>, string>;
	/** Card codes that no longer check in (reissued or merged at the centre); named as the synced table. */
	card_retirements!: Table<Row<'card_retirements'>, string>;
	/** Local-only. */
	outbox!: Table<OutboxEntry, number>;
	/** Local-only. */
	meta!: Table<MetaEntry, string>;
	/** Local-only: consultations being written, encrypted under the tablet's own key. */
	drafts!: Table<DraftRow, string>;

	constructor(name = 'hiroba', options?: DexieOptions) {
		super(name, options);
		this.version(1).stores({
			programs: 'id',
			sites: 'id, programId',
			sessions: 'id, siteId, date',
			topics: 'id',
			staff: 'id',
			households: 'id, cardCode',
			children: 'id, householdId',
			visits: 'id, sessionId, householdId, cardCode',
			consultations: 'id, sessionId',
			outbox: '++seq, [table+id], state',
			meta: 'key'
		});
		// v2: the push reads pending changes in order straight from an index, a batch at a time,
		// instead of loading and sorting the whole backlog for every batch.
		this.version(2).stores({
			outbox: '++seq, [table+id], state, [state+seq]'
		});
		// v3: consultation drafts (local-only), and today's consultations of one staff member.
		this.version(3).stores({
			drafts: 'id, staffId',
			consultations: 'id, sessionId, staffId'
		});
		// v4: retired card codes, pulled from the centre by every tablet, looked up by code at each scan.
		this.version(4).stores({
			card_retirements: 'id, cardCode'
		});
		// v5: the ward's 町丁 with readings, reference data from the centre (the kiosk's town list).
		this.version(5).stores({
			towns: 'id'
		});
	}

	syncTable<T extends SyncTable>(table: T): Table<Row<T>, string> {
		return this.table(table) as Table<Row<T>, string>;
	}

	async getMeta<T>(key: string): Promise<T | undefined> {
		return (await this.meta.get(key))?.value as T | undefined;
	}

	/**
	 * Several values in one read, in the order of `keys` (undefined where there is none): inside a
	 * transaction one wait on the database instead of one per key.
	 */
	async getMetas<T extends unknown[]>(keys: { [K in keyof T]: string }): Promise<{ [K in keyof T]: T[K] | undefined }> {
		const rows = await this.meta.bulkGet(keys as string[]);
		return rows.map((row) => row?.value) as { [K in keyof T]: T[K] | undefined };
	}

	async setMeta(key: string, value: unknown): Promise<void> {
		await this.meta.put({ key, value });
	}
}

export const META = {
	device: 'device',
	cursor: 'cursor',
	clock: 'clock',
	/** Milliseconds to add to this tablet's clock to read the centre's (learnt from its Date header). */
	clockOffset: 'clockOffset',
	/** Which version of the centre's rules for what a tablet holds the local reference data follows. */
	pullEpoch: 'pullEpoch',
	/** The Tokyo date old visits were last pruned on (engine.ts pruneLocal). */
	prunedOn: 'prunedOn',
	hasPushed: 'hasPushed',
	/**
	 * No pending outbox entry has a lower seq than this (engine.ts #ackBatch): a read of what waits
	 * starts here, so IndexedDB seeks past a drained backlog's deleted entries instead of walking them.
	 */
	outboxFloor: 'outboxFloor',
	lastSuccessAt: 'lastSuccessAt',
	/** The session the kiosk is checking families in to. */
	kioskSession: 'kioskSession',
	/** Failed staff PIN attempts per staff member and the wait still to run (staff-lock.svelte.ts). */
	pinLockout: 'pinLockout',
	/** Which camera the kiosk uses. */
	camera: 'camera',
	/** The centre's public key that notes are sealed to ({ kid, jwk }), from every pull. */
	sealKey: 'sealKey',
	/** This tablet's own AES-GCM key for drafts: a non-extractable CryptoKey. */
	draftKey: 'draftKey'
} as const;

export interface DeviceCredentials {
	deviceId: string;
	token: string;
	name: string;
	sites: { id: string; nameJa: string; programId: string }[];
	enrolledAt: string;
}

/** The tablet's node id in hlc stamps (the centre refuses a stamp with another node). */
export { deviceNode as hlcNode } from '$lib/domain/hlc';
