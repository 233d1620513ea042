/**
 * A simulated tablet: its own IndexedDB (fake-indexeddb, a separate factory per tablet so tablets
 * share nothing), its own clock, and the real Dexie database and sync engine.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { HirobaDB, META, hlcNode, type DeviceCredentials } from '../src/lib/client/db/db';
import { saveRecord } from '../src/lib/client/db/writes';
import { SyncEngine, type SyncEngineOptions } from '../src/lib/client/sync/engine';
import { enrollTablet } from '../src/lib/client/sync/enroll';
import type { PushableTable, TableData } from '../src/lib/sync/protocol';
import { BASE_URL, inProcessFetch } from './in-process';

let counter = 0;

export class Tablet {
	readonly db: HirobaDB;
	readonly engine: SyncEngine;
	/** The tablet's wall clock; tests move it to model wrong or skewed clocks. */
	time: number;

	constructor(
		readonly name: string,
		opts: Partial<SyncEngineOptions> & { time?: number; indexedDB?: IDBFactory; dbName?: string } = {}
	) {
		this.time = opts.time ?? Date.now();
		this.db = new HirobaDB(opts.dbName ?? `tablet-${name}-${++counter}`, { indexedDB: opts.indexedDB ?? new IDBFactory(), IDBKeyRange });
		this.engine = new SyncEngine(this.db, {
			baseUrl: BASE_URL,
			fetch: inProcessFetch(),
			now: () => this.time,
			random: () => 0.5,
			...opts
		});
	}

	enroll(code: string, fetchImpl: typeof fetch = inProcessFetch()) {
		return enrollTablet(this.db, { baseUrl: BASE_URL, code, name: this.name, fetch: fetchImpl });
	}

	save<T extends PushableTable>(table: T, id: string, data: TableData[T], deleted = false) {
		return saveRecord(this.db, table, id, data, { deleted, now: () => this.time });
	}

	async sync(): Promise<void> {
		await this.engine.syncNow();
	}

	/** Reopen the same IndexedDB as after a page reload: a new Dexie instance and engine. */
	reload(indexedDB: IDBFactory): Tablet {
		return new Tablet(this.name, { indexedDB, dbName: this.db.name, time: this.time });
	}

	async ids(table: PushableTable | 'sites' | 'staff' | 'topics' | 'programs'): Promise<string[]> {
		return (await this.db.syncTable(table).toArray())
			.filter((r) => !r.deleted)
			.map((r) => r.id)
			.sort();
	}

	/** This tablet's node id in stamps, once enrolled. */
	async node(): Promise<string | null> {
		const d = await this.db.getMeta<DeviceCredentials>(META.device);
		return d ? hlcNode(d.deviceId) : null;
	}

	async cursor(): Promise<string | undefined> {
		return this.db.getMeta<string>(META.cursor);
	}

	close() {
		this.engine.stop();
		this.db.close();
	}
}
