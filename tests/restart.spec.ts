/**
 * `npm start` on an empty data folder, then a stop and a start on the same folder: the first start
 * loads the demo data and prints a working enrollment code; what a tablet pushed before the stop is
 * there after it, exactly once, for another tablet to pull.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

		const b = await enroll(server.url, server.enrollmentCode!, 'tablet after restart');
		expect(b.status).toBe(201);
		expect(b.body.sites.map((s) => s.id)).toEqual(a.sites.map((s) => s.id));

		const all = await pullAll(server.url, b.body.token, '0', 100);
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

	it('refuses a second server on the same data folder', async () => {
		await expect(startServer({ dataDir: place.dataDir, timeoutMs: 20_000 })).rejects.toThrow(/already running/);
	});
});
