/**
 * What a push puts on the wire: the protocol's document, one change per outbox entry, in seq order;
 * and never more than the centre takes in one request (MAX_PUSH_BYTES, counted in UTF-8 bytes),
 * however many bytes a character of the records' text takes. A fake centre keeps every body.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { uuidv7 } from '$lib/domain/ids';
import { MAX_PUSH_BYTES, MAX_PUSH_CHANGES, PROTOCOL_VERSION } from '$lib/sync/protocol';
import { HirobaDB, META, type DeviceCredentials, type OutboxEntry } from '../db/db';
import { SyncEngine } from './engine';

let db: HirobaDB;
/** Every push body the centre received, as sent. */
let bodies: string[];

const fakeFetch: typeof fetch = async (input, init) => {
	const path = new URL(String(input)).pathname;
	if (path === '/api/v1/sync/push') {
		const body = String(init?.body);
		bodies.push(body);
		const { changes } = JSON.parse(body) as { changes: Array<{ id: string }> };
		return Response.json({ results: changes.map((c) => ({ id: c.id, status: 'applied' })) });
	}
	return Response.json({
		changes: [],
		evict: [],
		cursor: '1',
		more: false,
		devicePushed: 0,
		sealKey: { kid: 'AAAAAAAAAAAAAAAA', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }
	});
};

beforeEach(async () => {
	db = new HirobaDB(`push-body-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
	const device: DeviceCredentials = { deviceId: uuidv7(), token: 't', name: '受付1', sites: [], enrolledAt: new Date().toISOString() };
	await db.setMeta(META.device, device);
	bodies = [];
});
afterEach(() => db.close());

/** Outbox entries as the tablet's writes leave them (the engine reads only the outbox). */
async function waiting(n: number, data: (i: number) => unknown): Promise<OutboxEntry[]> {
	const entries: OutboxEntry[] = Array.from({ length: n }, (_, i) => ({
		table: 'households',
		id: uuidv7(),
		hlc: `${String(1_700_000_000_000 + i).padStart(15, '0')}:0000:${'a'.repeat(16)}`,
		deleted: i % 7 === 3,
		data: data(i),
		state: 'pending',
		createdAt: 1_700_000_000_000 + i
	}));
	await db.outbox.bulkAdd(entries);
	return entries;
}

const syncAll = () => new SyncEngine(db, { baseUrl: 'https://centre.example', fetch: fakeFetch }).syncNow();

describe('the push body', () => {
	it('is the protocol document: every waiting change, in order, as it was written', async () => {
		const entries = await waiting(MAX_PUSH_CHANGES + 20, (i) => ({ nameJa: `山田 ${i}`, note: 'quote " backslash \\ tab \t é 👪', n: i }));
		await syncAll();
		expect(bodies).toHaveLength(2);
		const docs = bodies.map((b) => JSON.parse(b) as { protocol: unknown; changes: unknown[] });
		for (const doc of docs) expect(Object.keys(doc)).toEqual(['protocol', 'changes']);
		expect(docs.map((d) => d.protocol)).toEqual([PROTOCOL_VERSION, PROTOCOL_VERSION]);
		expect(docs.map((d) => d.changes.length)).toEqual([MAX_PUSH_CHANGES, 20]);
		expect(docs.flatMap((d) => d.changes)).toEqual(entries.map((e) => ({ table: e.table, id: e.id, hlc: e.hlc, deleted: e.deleted, data: e.data })));
		expect(await db.outbox.count()).toBe(0);
	});

	it('stays within the centre’s byte limit when the text is three bytes a character, and still sends everything once', async () => {
		// 200 changes of about 6 KB of kana each (3 bytes a character in UTF-8): 1.2 MB in all.
		const entries = await waiting(200, (i) => ({ nameJa: 'あ'.repeat(2000), n: i }));
		await syncAll();
		const sizes = bodies.map((b) => Buffer.byteLength(b, 'utf8'));
		expect(bodies.length).toBeGreaterThan(1);
		for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_PUSH_BYTES);
		const sent = bodies.flatMap((b) => (JSON.parse(b) as { changes: Array<{ id: string }> }).changes.map((c) => c.id));
		expect(sent).toEqual(entries.map((e) => e.id));
		expect(await db.outbox.count()).toBe(0);
	});
});
