/**
 * `npm start` on an empty data folder, then a stop and a start on the same folder: the first start
 * loads the demo data and prints a working enrollment code; what a tablet pushed before the stop is
 * there after it, exactly once, for another tablet to pull.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokyoDate } from '../src/lib/domain/dates';
import type { Change, EnrollResponse } from '../src/lib/sync/protocol';
import * as f from './factories';
import { enroll, pullAll, push, Tablet } from './device-api';
import { makePlace, startServer, type Place, type RunningServer } from './server-process';

describe('a server restart on PGlite', () => {
	let place: Place;
	let server: RunningServer | null = null;
	let a: EnrollResponse;
	let b: EnrollResponse;
	const tablet = new Tablet('tablet-restart');
	const pushed: Change[] = [];

	beforeAll(async () => {
		place = await makePlace('pglite');
	});

	afterAll(async () => {
		await server?.stop();
		await place?.dispose();
	});

	it('starts on an empty folder with demo data, the three faces and a working enrollment code', async () => {
		server = await startServer({ dataDir: place.dataDir });
		const banner = server.banner;
		for (const face of ['/kiosk', '/staff', '/centre', '/api/v1/']) expect(banner).toContain(`${server.url}${face}`);
		expect(banner).toMatch(/Store: PGlite/);
		expect(banner).toMatch(/Demo data loaded/);
		expect(banner).toMatch(/PIN \d{6}\b/);
		expect(banner).toMatch(/login \S+ \/ \S+/);
		expect(server.enrollmentCode).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);

		const r = await enroll(server.url, server.enrollmentCode!, 'tablet before restart');
		expect(r.status).toBe(201);
		a = r.body;
		tablet.as(a.deviceId);
		expect(a.sites.length).toBeGreaterThan(0);
	});

	it('takes a tablet’s pushes', async () => {
		const siteId = a.sites[0]!.id;
		const session = tablet.change('sessions', f.session(siteId, { date: tokyoDate(), status: 'open', startTime: '13:00', endTime: '15:00' }));
		pushed.push(session);
		for (let i = 0; i < 60; i++) {
			const household = tablet.change('households', f.household({ registeredSiteId: siteId }));
			const child = tablet.change('children', f.child(household.id));
			const visit = tablet.change('visits', f.visit(session.id, { householdId: household.id, cardCode: household.data.cardCode, childIds: [child.id] }));
			pushed.push(household, child, visit);
		}
		// Two pushes, the way an outbox drains in batches.
		for (const batch of [pushed.slice(0, 100), pushed.slice(100)]) {
			const r = await push(server!.url, a.token, batch);
			expect(r.status).toBe(200);
			expect(r.body.results.every((x) => x.status === 'applied')).toBe(true);
		}
	});

	it('stops cleanly on SIGTERM, releasing the data folder', async () => {
		expect(await server!.stop()).toBe(0);
		server = null;
		expect(existsSync(join(place.dataDir, 'admin.sock'))).toBe(false);
		expect(existsSync(join(place.dataDir, 'hiroba.lock'))).toBe(false);
	});

	it('starts again on the same folder with everything there exactly once', async () => {
		server = await startServer({ dataDir: place.dataDir });
		expect(server.banner).not.toMatch(/Demo data loaded/);
		expect(server.enrollmentCode).not.toBeNull();

		const r = await enroll(server.url, server.enrollmentCode!, 'tablet after restart');
		expect(r.status).toBe(201);
		b = r.body;
		expect(b.sites.map((s) => s.id)).toEqual(a.sites.map((s) => s.id));

		const all = await pullAll(server.url, b.token, '0', 100);
		expect(all.pages).toBeGreaterThan(1);
		const count = new Map<string, number>();
		for (const c of all.changes) count.set(c.id, (count.get(c.id) ?? 0) + 1);
		for (const change of pushed) {
			expect(count.get(change.id), `${change.table} ${change.id}`).toBe(1);
			const got = all.changes.find((c) => c.id === change.id)!;
			expect(got).toEqual({ table: change.table, id: change.id, hlc: change.hlc, deleted: false, data: change.data });
		}

		// The first tablet's retry of everything it sent is recognised, not applied twice.
		for (const batch of [pushed.slice(0, 100), pushed.slice(100)]) {
			const r = await push(server.url, a.token, batch);
			expect(r.body.results.every((x) => x.status === 'duplicate')).toBe(true);
		}
	});

	it('sends a pull page gzip’d to a client that accepts gzip, and the same answer plain to one that does not', async () => {
		const path = '/api/v1/sync/pull?since=0&limit=100';
		const plain = await rawGet(server!.url + path, { authorization: `Bearer ${b.token}` });
		const packed = await rawGet(server!.url + path, { authorization: `Bearer ${b.token}`, 'accept-encoding': 'gzip, deflate, br, zstd' });
		expect([plain.status, packed.status]).toEqual([200, 200]);
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(packed.headers['content-encoding']).toBe('gzip');
		for (const res of [plain, packed]) expect(res.headers.vary).toMatch(/accept-encoding/i);
		const page = JSON.parse(plain.body.toString('utf8')) as { changes: unknown[]; more: boolean };
		expect(page.changes).toHaveLength(100);
		expect(JSON.parse(gunzipSync(packed.body).toString('utf8'))).toEqual(page);
		expect(packed.body.length).toBeLessThan(plain.body.length / 3);
	});

	it('refuses a second server on the same data folder', async () => {
		await expect(startServer({ dataDir: place.dataDir, timeoutMs: 20_000 })).rejects.toThrow(/already running/);
	});
});

/** A GET whose answer is kept as sent (node:http decodes nothing), with its headers. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
	return new Promise((resolve, reject) => {
		http
			.get(url, { headers }, (res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
				res.on('error', reject);
			})
			.on('error', reject);
	});
}
