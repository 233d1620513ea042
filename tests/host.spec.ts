/**
 * The host's guarantees (scripts/lib/host.js): the admin route is reachable only through the admin
 * socket, which only its owner can open; every response carries the security headers.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from './server-process';

describe('the public server and the admin channel', () => {
	let place: Place;
	let server: RunningServer;

	beforeAll(async () => {
		place = await makePlace('pglite');
		server = await startServer({ dataDir: place.dataDir, env: { HIROBA_NO_DEMO: '1' } });
	});

	afterAll(async () => {
		await server?.stop();
		await place?.dispose();
	});

	it('starts without demo data when HIROBA_NO_DEMO is set, and says there is no site to enroll for', () => {
		expect(server.banner).not.toMatch(/Demo data loaded/);
		expect(server.enrollmentCode).toBeNull();
		expect(server.banner).toMatch(/No sites yet/);
	});

	it('never lets a public request reach /internal/, whatever headers it sends', async () => {
		const paths = [
			'/internal/admin/devices',
			'/%69nternal/admin/devices',
			'//internal/admin/devices',
			'/INTERNAL/admin/devices',
			'/internal/admin/%2e%2e/admin/devices'
		];
		for (const path of paths) {
			const res = await fetch(`${server.url}${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-hiroba-admin': 'guess' },
				body: '{}'
			});
			expect(res.status, path).toBe(404);
			expect(await res.text()).not.toMatch(/devices/);
		}
	});

	it('keeps the admin socket private to its owner', () => {
		expect(statSync(join(place.dataDir, 'admin.sock')).mode & 0o777).toBe(0o600);
	});

	it('sends the security headers with API responses', async () => {
		const res = await fetch(`${server.url}/api/v1/sync/pull`);
		expect(res.status).toBe(401);
		expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
		expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		expect(res.headers.get('referrer-policy')).toBe('no-referrer');
		expect(res.headers.get('permissions-policy')).toMatch(/camera=\(self\)/);
	});

	it('answers admin commands through the socket while it runs', async () => {
		const r = await runAdmin(['devices', '--json'], { dataDir: place.dataDir });
		expect(r.code).toBe(0);
		expect(r.json()).toEqual({ devices: [] });
	});
});

describe('the admin command with no server and no store', () => {
	it('does not make a new store in a folder that has none', async () => {
		const place = await makePlace('pglite');
		try {
			const r = await runAdmin(['sites', '--json'], { dataDir: join(place.dataDir, 'typo') });
			expect(r.code).toBe(1);
			expect(r.json<{ error: { message: string } }>().error.message).toMatch(/no Hiroba store/);
		} finally {
			await place.dispose();
		}
	});
});
