/**
 * What the centre learns of a tablet's sync: the count of changes waiting in its outbox (the
 * X-Hiroba-Pending header, sent by the real engine on every push and pull) and the time of its last
 * pull that caught up. A header that is not a non-negative whole number is ignored (the request is
 * served all the same), and an absurd count is capped.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { uuidv7 } from '$lib/domain/ids';
import { MAX_REPORTED_PENDING, PENDING_HEADER, parsePendingHeader } from '$lib/sync/protocol';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { BASE_URL, inProcessFetch } from '../../../../tests/in-process';
import { enrollDevice, enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import { Tablet } from '../../../../tests/tablet';
import * as f from '../../../../tests/factories';

describe('parsePendingHeader', () => {
	it('reads a non-negative whole number, caps it, and ignores anything else', () => {
		expect(parsePendingHeader(null)).toBeNull();
		expect(parsePendingHeader('0')).toBe(0);
		expect(parsePendingHeader(' 42 ')).toBe(42);
		expect(parsePendingHeader('5000000')).toBe(MAX_REPORTED_PENDING);
		for (const bad of ['', '-1', '1.5', '1e3', 'abc', '0x10', '12 34', '9'.repeat(13), '４２']) expect(parsePendingHeader(bad), bad).toBeNull();
	});
});

describe.each(testStores())('a tablet’s sync state at the centre on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let device: { deviceId: string; token: string };
	const call = inProcessFetch();

	const state = async (id = device.deviceId) =>
		(
			await store.query<{ pending: number | null; reported: Date | null; synced: Date | null }>(
				'select pending_count as pending, pending_reported_at as reported, last_sync_at as synced from devices where id = $1',
				[id]
			)
		).rows[0]!;
	const pull = (query: string, headers: Record<string, string> = {}) =>
		call(`${BASE_URL}/api/v1/sync/pull?${query}`, { headers: { authorization: `Bearer ${device.token}`, ...headers } });

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		device = await enrollDevice(store, [fx.siteId], '若葉 1');
	});

	it('keeps the count a pull reports, and the time of a pull that caught up', async () => {
		expect(await state()).toEqual({ pending: null, reported: null, synced: null });
		const res = await pull('since=0', { [PENDING_HEADER]: '7' });
		expect(res.status).toBe(200);
		const s = await state();
		expect(s.pending).toBe(7);
		expect(Date.now() - new Date(s.reported!).getTime()).toBeLessThan(5_000);
		expect(Date.now() - new Date(s.synced!).getTime()).toBeLessThan(5_000);
	});

	it('notes the last sync only on the page that brings the tablet up to date', async () => {
		const first = await pull('since=0&limit=1');
		const page = (await first.json()) as { more: boolean; cursor: string };
		expect(page.more).toBe(true);
		expect((await state()).synced).toBeNull();
		let cursor = page.cursor;
		for (;;) {
			const body = (await (await pull(`since=${cursor}&limit=1000`)).json()) as { more: boolean; cursor: string };
			cursor = body.cursor;
			if (!body.more) break;
		}
		expect((await state()).synced).not.toBeNull();
		// A refused pull is no sync.
		await store.query('update devices set last_sync_at = null');
		expect((await pull('since=abc')).status).toBe(400);
		expect((await state()).synced).toBeNull();
	});

	it('writes the device row only when what the devices page shows would change: not for an idle tablet within a minute', async () => {
		const seen = async () =>
			(await store.query<{ t: string }>(`select last_seen_at::text || '|' || last_sync_at::text as t from devices where id = $1`, [device.deviceId])).rows[0]!
				.t;
		const body = (await (await pull('since=0', { [PENDING_HEADER]: '0' })).json()) as { cursor: string };
		const after = await seen();
		// An up-to-date pull reporting the same count, and an empty push, moments later: nothing written.
		expect((await pull(`since=${body.cursor}`, { [PENDING_HEADER]: '0' })).status).toBe(200);
		const push = (changes: unknown[], pending: string) =>
			call(`${BASE_URL}/api/v1/sync/push`, {
				method: 'POST',
				headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json', [PENDING_HEADER]: pending },
				body: JSON.stringify({ protocol: 1, changes })
			});
		expect((await push([], '0')).status).toBe(200);
		expect(await seen()).toBe(after);
		// A count that moved is written at once, and so is a push that applied something.
		await pull(`since=${body.cursor}`, { [PENDING_HEADER]: '2' });
		expect((await state()).pending).toBe(2);
		// A minute later the same idle pull notes the contact and the caught-up sync again.
		await store.query(`update devices set last_seen_at = last_seen_at - interval '61 seconds', last_sync_at = last_sync_at - interval '61 seconds'`);
		const stale = await seen();
		await pull(`since=${body.cursor}`, { [PENDING_HEADER]: '2' });
		expect(await seen()).not.toBe(stale);
	});

	it('serves a request with an unreadable count and keeps the count it had; caps an absurd one', async () => {
		await pull('since=0', { [PENDING_HEADER]: '3' });
		for (const bad of ['-1', 'lots', '2.5', '9'.repeat(20)]) {
			const res = await pull('since=0', { [PENDING_HEADER]: bad });
			expect(res.status, bad).toBe(200);
			expect((await state()).pending, bad).toBe(3);
		}
		// Without the header (an older app), too.
		expect((await pull('since=0')).status).toBe(200);
		expect((await state()).pending).toBe(3);
		await pull('since=0', { [PENDING_HEADER]: '123456789' });
		expect((await state()).pending).toBe(MAX_REPORTED_PENDING);
	});

	it('keeps the count a push reports (a push is no sync)', async () => {
		const res = await call(`${BASE_URL}/api/v1/sync/push`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token}`, [PENDING_HEADER]: '12' },
			body: JSON.stringify({ protocol: 1, changes: [] })
		});
		expect(res.status).toBe(200);
		expect(await state()).toMatchObject({ pending: 12, synced: null });
	});

	describe('from the real sync engine', () => {
		let tablet: Tablet;
		/** What the engine sent, request by request. */
		let sent: Array<{ path: string; pending: string | null }>;
		/** Set to drop the centre's answers to pushes (the centre still gets them). */
		let losePushAnswers: boolean;

		beforeEach(async () => {
			sent = [];
			losePushAnswers = false;
			const inner = inProcessFetch();
			tablet = new Tablet('若葉', {
				batchSize: 2,
				fetch: async (input, init) => {
					const req = new Request(input instanceof URL ? input.href : input, init);
					sent.push({ path: new URL(req.url).pathname, pending: req.headers.get(PENDING_HEADER) });
					const res = await inner(req);
					if (losePushAnswers && req.url.includes('/sync/push')) throw new TypeError('network connection lost');
					return res;
				}
			});
			await tablet.enroll(await enrollmentCode(store, [fx.siteId]));
		});

		it('tells the centre what waits on every push and pull; a tablet that caught up reports 0', async () => {
			await tablet.sync();
			for (let i = 0; i < 5; i++) await tablet.save('visits', uuidv7(), f.visit(fx.sessionId));
			await tablet.engine.refreshCounts();
			sent = [];
			await tablet.sync();
			expect(sent).toEqual([
				{ path: '/api/v1/sync/push', pending: '5' },
				{ path: '/api/v1/sync/push', pending: '3' },
				{ path: '/api/v1/sync/push', pending: '1' },
				{ path: '/api/v1/sync/pull', pending: '0' }
			]);
			const tabletId = (await store.query<{ id: string }>('select id::text from devices where name = $1', ['若葉'])).rows[0]!.id;
			expect(await state(tabletId)).toMatchObject({ pending: 0 });
			expect((await state(tabletId)).synced).not.toBeNull();
		});

		it('leaves the centre knowing what a tablet that lost its connection still holds', async () => {
			await tablet.sync();
			const tabletId = (await store.query<{ id: string }>('select id::text from devices where name = $1', ['若葉'])).rows[0]!.id;
			const synced = (await state(tabletId)).synced;
			// A centre write so that the next pull is not empty; irrelevant to the count.
			await store.transaction((tx) => writeCentreRecords(tx, 'sessions', [{ data: f.session(fx.siteId) }]));
			for (let i = 0; i < 3; i++) await tablet.save('visits', uuidv7(), f.visit(fx.sessionId));
			await tablet.engine.refreshCounts();
			losePushAnswers = true;
			await tablet.sync();
			expect(tablet.engine.status).toMatchObject({ state: 'offline', pending: 3 });
			// The centre has the visits (pushes are idempotent) and the count as the tablet last told it.
			expect(await state(tabletId)).toMatchObject({ pending: 3, synced });

			losePushAnswers = false;
			await tablet.sync();
			expect(tablet.engine.status).toMatchObject({ state: 'idle', pending: 0 });
			expect((await state(tabletId)).pending).toBe(0);
		});
	});
});
