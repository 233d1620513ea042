/**
 * What the sync panel reads after a reload with the centre out of reach: the last success kept
 * from the earlier page, and the failure as a code (the screen turns it into Japanese).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { uuidv7 } from '$lib/domain/ids';
import { HirobaDB, META, type DeviceCredentials } from '../db/db';
import { SyncEngine } from './engine';

let engine: SyncEngine | null = null;
afterEach(() => engine?.stop());

describe('the engine after a reload while offline', () => {
	it('shows the last success kept in the database, and the network failure', async () => {
		const db = new HirobaDB(`status-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
		const device: DeviceCredentials = { deviceId: uuidv7(), token: 't', name: 'A', sites: [], enrolledAt: new Date().toISOString() };
		await db.setMeta(META.device, device);
		const lastSuccess = Date.parse('2026-11-30T06:00:00Z');
		await db.setMeta(META.lastSuccessAt, lastSuccess);
		engine = new SyncEngine(db, {
			baseUrl: 'https://centre.example',
			fetch: () => Promise.reject(new TypeError('Failed to fetch')),
			intervalMs: 3_600_000
		});
		expect(engine.status.lastSuccessAt).toBeNull();
		engine.start();
		await engine.syncNow();
		await engine.loadLastSuccess();
		expect(engine.status.lastSuccessAt).toBe(lastSuccess);
		expect(engine.status.state).toBe('offline');
		expect(engine.status.lastError?.code).toBe('network');
	});
});
