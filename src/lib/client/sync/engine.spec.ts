/**
 * Two simulated tablets and one centre (the real route handlers on a real store): records created
 * offline on either tablet arrive exactly once, reference data flows down, and an edit made on both
 * sides resolves by hlc the same way everywhere.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { setDeviceState } from '$lib/server/auth/devices';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import { Tablet } from '../../../../tests/tablet';
import * as f from '../../../../tests/factories';
import { META } from '../db/db';

const HOUR = 60 * 60 * 1000;

async function centreIds(store: Store, table: string): Promise<string[]> {
	const r = await store.query<{ id: string }>(`select id::text from ${table} where not deleted order by id`);
	return r.rows.map((x) => x.id);
}

describe.each(testStores())('two tablets and the centre on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let a: Tablet;
	let b: Tablet;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		a = new Tablet('A');
		b = new Tablet('B');
		await a.enroll(await enrollmentCode(store, [fx.siteId]));
		await b.enroll(await enrollmentCode(store, [fx.siteId]));
		await Promise.all([a.sync(), b.sync()]);
	});
	afterEach(() => {
		a.close();
		b.close();
	});

	it('brings reference data down to a freshly enrolled tablet', async () => {
		expect(await a.ids('sites')).toEqual([fx.siteId]);
		expect(await a.ids('sessions')).toEqual([fx.sessionId]);
		expect(await a.ids('staff')).toEqual([fx.staffId]);
		expect(await a.ids('programs')).toEqual([fx.programId]);
		expect(a.engine.status).toMatchObject({ state: 'idle', pending: 0, lastError: null });
		expect(a.engine.status.lastSuccessAt).toBe(a.time);
	});

	it('delivers every record made offline on either tablet exactly once, and shares the site’s visits', async () => {
		const ha = uuidv7();
		const hb = uuidv7();
		const householdA = f.household({ nickname: 'はる', registeredSiteId: fx.siteId });
		const householdB = f.household({ registeredSiteId: fx.siteId });
		await a.save('households', ha, householdA);
		const ca = uuidv7();
		await a.save('children', ca, f.child(ha));
		const va = uuidv7();
		await a.save('visits', va, f.visit(fx.sessionId, { householdId: ha, cardCode: householdA.cardCode, childIds: [ca] }));
		await b.save('households', hb, householdB);
		const vb = uuidv7();
		await b.save('visits', vb, f.visit(fx.sessionId, { householdId: hb, cardCode: householdB.cardCode }));
		const cb = uuidv7();
		await b.save('consultations', cb, f.consultation(fx.sessionId, fx.staffId, { householdId: hb }));
		await a.engine.refreshCounts();
		expect(a.engine.status.pending).toBe(3);

		await a.sync();
		await b.sync();
		await a.sync();
		await b.sync(); // a second round changes nothing

		expect(await centreIds(store, 'households')).toEqual([ha, hb].sort());
		expect(await centreIds(store, 'children')).toEqual([ca]);
		expect(await centreIds(store, 'visits')).toEqual([va, vb].sort());
		expect(await centreIds(store, 'consultations')).toEqual([cb]);
		const counts = await store.query<{ n: number }>('select count(*)::int as n from visits');
		expect(counts.rows[0]!.n).toBe(2);

		// Each tablet now knows the other's families and today's visits at its site...
		expect(await a.ids('households')).toEqual([ha, hb].sort());
		expect(await b.ids('households')).toEqual([ha, hb].sort());
		expect(await a.ids('visits')).toEqual([va, vb].sort());
		expect(await b.ids('visits')).toEqual([va, vb].sort());
		expect((await b.db.households.get(ha))?.nickname).toBe('はる');
		// ...but consultations stay where they were written.
		expect(await a.ids('consultations')).toEqual([]);
		for (const t of [a, b]) {
			expect(await t.db.outbox.count()).toBe(0);
			expect(t.engine.status.pending).toBe(0);
		}
	});

	it('resolves an edit made on both tablets by hlc, the same way on both and at the centre', async () => {
		const id = uuidv7();
		const h = f.household({ registeredSiteId: fx.siteId });
		await a.save('households', id, h);
		await a.sync();
		await b.sync();
		// Both edit offline; B's edit is later.
		a.time += 1_000;
		await a.save('households', id, { ...h, nickname: 'A の編集' });
		b.time += 2_000;
		await b.save('households', id, { ...h, nickname: 'B の編集' });
		// The later edit reaches the centre first; the earlier one arrives after it and loses.
		await b.sync();
		await a.sync();
		await b.sync();
		for (const t of [a, b]) expect((await t.db.households.get(id))?.nickname).toBe('B の編集');
		const row = await store.query<{ n: string }>(`select data->>'nickname' as n from households where id = $1`, [id]);
		expect(row.rows[0]!.n).toBe('B の編集');
	});

	it.each([
		['fast', 6 * HOUR],
		['slow', -6 * HOUR]
	])('orders an edit after the one it saw, though the other tablet’s clock is 6 hours %s', async (_name, skew) => {
		const id = uuidv7();
		const h = f.household({ registeredSiteId: fx.siteId });
		b.time += skew;
		await b.save('households', id, { ...h, nickname: '速い時計' });
		await b.sync();
		await a.sync(); // A sees B's version, and its clock follows B's stamp
		await a.save('households', id, { ...h, nickname: '後の編集' });
		await a.sync();
		await b.sync();
		for (const t of [a, b]) expect((await t.db.households.get(id))?.nickname).toBe('後の編集');
	});

	it('carries a deletion (an undone check-in) to the centre and the other tablet as a tombstone', async () => {
		const id = uuidv7();
		const v = f.visit(fx.sessionId);
		await a.save('visits', id, v);
		await a.sync();
		await b.sync();
		expect(await b.ids('visits')).toEqual([id]);
		await a.save('visits', id, v, true);
		await a.sync();
		await b.sync();
		expect(await b.ids('visits')).toEqual([]);
		expect((await b.db.visits.get(id))?.deleted).toBe(true);
		expect(await centreIds(store, 'visits')).toEqual([]);
	});

	it('keeps writes across a reload and pushes them from the new page', async () => {
		const idb = new IDBFactory();
		const t1 = new Tablet('C', { indexedDB: idb });
		await t1.enroll(await enrollmentCode(store, [fx.siteId]));
		const id = uuidv7();
		await t1.save('visits', id, f.visit(fx.sessionId));
		t1.close(); // the page goes away before any sync
		const t2 = t1.reload(idb);
		await t2.engine.refreshCounts();
		expect(t2.engine.status.pending).toBe(1);
		await t2.sync();
		expect(await centreIds(store, 'visits')).toEqual([id]);
		expect(await t2.db.outbox.count()).toBe(0);
		t2.close();
	});

	it('reports a failed sync, keeps the outbox, schedules a retry with backoff, then recovers', async () => {
		const idb = new IDBFactory();
		const offline = new Tablet('D', { indexedDB: idb, fetch: async () => Promise.reject(new TypeError('Failed to fetch')) });
		await offline.enroll(await enrollmentCode(store, [fx.siteId]));
		const id = uuidv7();
		await offline.save('visits', id, f.visit(fx.sessionId));
		await offline.sync();
		expect(offline.engine.status).toMatchObject({ state: 'offline', pending: 1 });
		expect(offline.engine.status.lastError?.code).toBe('network');
		// Equal jitter: between half and all of base × 2^(n-1), capped.
		expect(offline.engine.status.nextRetryAt! - offline.time).toBe(1_500); // random() = 0.5, base 2 s
		expect(offline.engine.backoffDelay(3)).toBe(6_000);
		expect(offline.engine.backoffDelay(30)).toBe(225_000);
		expect(await offline.db.outbox.count()).toBe(1);
		offline.close();
		// The network comes back: the same database, a working connection.
		const online = new Tablet('D', { indexedDB: idb, dbName: offline.db.name, time: offline.time });
		await online.sync();
		expect(online.engine.status).toMatchObject({ state: 'idle', pending: 0, lastError: null });
		expect(await centreIds(store, 'visits')).toEqual([id]);
		online.close();
	});

	it('wipes everything when the centre says the device is revoked', async () => {
		await a.save('visits', uuidv7(), f.visit(fx.sessionId));
		const device = await a.db.getMeta<{ deviceId: string }>(META.device);
		await setDeviceState(store, device!.deviceId, 'revoked', 'test');
		await a.sync();
		expect(a.engine.status.state).toBe('revoked');
		for (const t of a.db.tables) expect(await t.count()).toBe(0);
	});

	it('a retired device pushes what it holds, then wipes', async () => {
		const id = uuidv7();
		await a.save('visits', id, f.visit(fx.sessionId));
		const device = await a.db.getMeta<{ deviceId: string }>(META.device);
		await setDeviceState(store, device!.deviceId, 'retired', 'test');
		await a.sync();
		expect(await centreIds(store, 'visits')).toEqual([id]);
		expect(a.engine.status.state).toBe('retired');
		for (const t of a.db.tables) expect(await t.count()).toBe(0);
	});

	it('keeps a rejected change on the tablet, visible, and goes on with the rest', async () => {
		const good = uuidv7();
		const bad = uuidv7();
		await a.save('visits', bad, f.visit(fx.otherSessionId)); // another site's session
		await a.save('visits', good, f.visit(fx.sessionId));
		await a.sync();
		expect(await centreIds(store, 'visits')).toEqual([good]);
		const left = await a.db.outbox.toArray();
		expect(left).toHaveLength(1);
		expect(left[0]).toMatchObject({ id: bad, state: 'rejected', error: { code: 'forbidden_site' } });
		expect(a.engine.status).toMatchObject({ pending: 0, rejected: 1, state: 'idle' });
		expect(await a.db.visits.get(bad)).toBeDefined();
	});

	it('warns when the centre has this device’s pushes but the local store has lost them', async () => {
		await a.save('visits', uuidv7(), f.visit(fx.sessionId));
		await a.sync();
		expect(a.engine.status.evicted).toBe(false);
		// The browser evicts the data but the credentials come back (e.g. restored from a backup).
		const creds = await a.db.getMeta(META.device);
		for (const t of a.db.tables) await t.clear();
		await a.db.setMeta(META.device, creds);
		await a.sync();
		expect(a.engine.status.evicted).toBe(true);
	});

	it('drains a backlog larger than one batch, showing progress', async () => {
		const t = new Tablet('E', { batchSize: 50 });
		await t.enroll(await enrollmentCode(store, [fx.siteId]));
		const seen: Array<{ done: number; total: number }> = [];
		t.engine.subscribe((s) => s.progress && seen.push(s.progress));
		const ids: string[] = [];
		for (let i = 0; i < 180; i++) ids.push(uuidv7());
		const { saveRecords } = await import('../db/writes');
		await saveRecords(
			t.db,
			'visits',
			ids.map((id) => ({ id, data: f.visit(fx.sessionId) }))
		);
		await t.sync();
		expect(await centreIds(store, 'visits')).toEqual([...ids].sort());
		expect([...new Set(seen.map((p) => p.done))]).toEqual([0, 50, 100, 150, 180]);
		expect(seen.every((p) => p.total === 180)).toBe(true);
		t.close();
	});
});
