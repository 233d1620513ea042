/**
 * The host's guarantees (scripts/lib/host.js): the admin route is reachable only through the admin
 * socket, which only its owner can open; every response carries the security headers, with HSTS
 * over TLS. Requests go out through node:http, not fetch, so that a path is sent as spelt (fetch
 * resolves `/./` and `/../` itself) and the Host header can be what an attacker would send.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from './server-process';

interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** One request with the path exactly as given. */
function raw(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}): Promise<RawResponse> {
	const url = new URL(base);
	const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
	const headers = { ...(body ? { 'content-length': String(body.length) } : {}), ...opts.headers };
	const request = url.protocol === 'https:' ? https.request : http.request;
	return new Promise((resolve, reject) => {
		const req = request({ host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers, ca: opts.ca }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

/** The headers every public response must carry. */
function expectBaseline(res: RawResponse, what: string) {
	expect(res.headers['x-content-type-options'], what).toBe('nosniff');
	expect(res.headers['referrer-policy'], what).toBe('same-origin');
	expect(res.headers['permissions-policy'], what).toBe('camera=(self), microphone=(), geolocation=()');
	expect(res.headers['x-frame-options'], what).toBe('DENY');
	expect(res.headers['content-security-policy'], what).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
	expect(res.headers['content-security-policy'], what).toMatch(/(^|; )object-src 'none'(;|$)/);
}

/** The paths of every kind of response: server-rendered, prerendered, static, API, errors. */
async function everyKindOfPath(base: string, ca?: Buffer): Promise<string[]> {
	const kiosk = await raw(base, '/kiosk', { ca });
	const asset = kiosk.body.match(/\/_app\/immutable\/[^"'\s]+\.js/)?.[0];
	if (!asset) throw new Error(`no /_app/immutable/ script in /kiosk:\n${kiosk.body.slice(0, 500)}`);
	return ['/', '/kiosk', '/staff', '/centre/login', asset, '/service-worker.js', '/api/v1/sync/pull', '/no-such-page', '/internal/admin/devices'];
}

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

	it('never lets a public request reach /internal/, however the path is spelt and whatever headers it sends', async () => {
		const paths = [
			'/internal/admin/devices',
			'/%69nternal/admin/devices',
			'//internal/admin/devices',
			'/INTERNAL/admin/devices',
			'/InTeRnAl/admin/devices',
			'/internal/admin/%2e%2e/admin/devices',
			'/./internal/admin/devices',
			'/%2e/internal/admin/devices',
			'/x/../internal/admin/devices',
			'/kiosk/%2e%2e/internal/admin/devices',
			'/%2E%2E/internal/admin/devices',
			'/%2finternal/admin/devices',
			'/\\internal/admin/devices',
			'/x\\..\\internal/admin/devices',
			'/%5cinternal/admin/devices',
			'/%2569nternal/admin/devices',
			'/%252e%252e/internal/admin/devices',
			'/x/%252e%252e%252finternal/admin/devices',
			'/internal/admin/devices%'
		];
		for (const path of paths) {
			const res = await raw(server.url, path, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-hiroba-admin': 'guess' },
				body: '{}'
			});
			// The host's own answer, before the app: never the app's 404 (which would mean it ran).
			expect(res.status, path).toBe(404);
			expect(res.body, path).toBe('Not found');
			expectBaseline(res, path);
		}
	});

	it('refuses a Host header that would choose the path the app routes', async () => {
		// adapter-node builds the URL as http://<Host><target>: a Host with a path in it would make
		// /no-such-page reach the device API, or the admin route past every check on the target.
		const hosts = ['localhost/api/v1/sync/pull#', 'localhost/internal/admin/devices#', '127.0.0.1/internal/admin/devices?', 'evil@127.0.0.1'];
		for (const host of hosts) {
			const res = await raw(server.url, '/no-such-page', {
				method: 'POST',
				headers: { host, 'content-type': 'application/json', 'x-hiroba-admin': 'guess' },
				body: '{}'
			});
			expect(res.status, host).toBe(400);
			expect(res.body, host).toBe('Bad Request');
			expectBaseline(res, host);
		}
		// A request target that is not a path never reaches the app either.
		const odd = await raw(server.url, '@127.0.0.1/internal/admin/devices', { method: 'POST', body: '{}' });
		expect([400, 404], odd.body).toContain(odd.status);
		expect(odd.body).not.toMatch(/devices|error/);
	});

	it('keeps the admin socket private to its owner', () => {
		expect(statSync(join(place.dataDir, 'admin.sock')).mode & 0o777).toBe(0o600);
	});

	it('sends the security headers with every response, prerendered pages and static files included', async () => {
		const paths = await everyKindOfPath(server.url);
		const seen: Record<string, number> = {};
		for (const path of paths) {
			const res = await raw(server.url, path);
			seen[path] = res.status;
			expectBaseline(res, path);
			expect(res.headers['strict-transport-security'], path).toBeUndefined();
		}
		expect(Object.values(seen).filter((status) => status === 200).length).toBeGreaterThanOrEqual(5);
		expect(seen['/api/v1/sync/pull']).toBe(401);
		expect(seen['/no-such-page']).toBe(404);

		// What actually arrives: a server-rendered page has SvelteKit's own full policy in place of the
		// baseline; a prerendered one has the baseline in the header and its full policy in a <meta>.
		const login = await raw(server.url, '/centre/login');
		expect(login.headers['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
		const kiosk = await raw(server.url, '/kiosk');
		expect(kiosk.headers['content-security-policy']).toBe("frame-ancestors 'none'; object-src 'none'; base-uri 'self'");
		expect(kiosk.body).toMatch(/<meta http-equiv="content-security-policy" content="[^"]*script-src/);
		const api = await raw(server.url, '/api/v1/sync/pull');
		expect(JSON.parse(api.body)).toMatchObject({ error: { code: 'unauthorized' } });
	});

	it('tells the centre login page, in Japanese, how long a failing address must wait', async () => {
		const attempt = () =>
			raw(server.url, '/centre/login', {
				method: 'POST',
				// As a browser without JavaScript posts the form: the answer is the page, with the action's status.
				headers: { origin: server.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ loginName: 'someone', password: 'not the password' }).toString()
			});
		for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(401);
		const slowed = await attempt();
		expect(slowed.status).toBe(429);
		expect(slowed.body).toMatch(/ログインの失敗が続いたため、あと\d+秒お待ちください。/);
	});

	it('answers admin commands through the socket while it runs', async () => {
		const r = await runAdmin(['devices', '--json'], { dataDir: place.dataDir });
		expect(r.code).toBe(0);
		expect(r.json()).toEqual({ devices: [] });
	});
});

describe('the public server over TLS', () => {
	let place: Place;
	let server: RunningServer;
	let certDir: string;
	let cert: Buffer;

	beforeAll(async () => {
		certDir = mkdtempSync(join(tmpdir(), 'hiroba-tls-'));
		// prettier-ignore
		execFileSync('openssl', [
			'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
			'-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')
		], { stdio: 'ignore' });
		cert = readFileSync(join(certDir, 'cert.pem'));
		place = await makePlace('pglite', { from: 'migrated' });
		server = await startServer({
			dataDir: place.dataDir,
			env: { HIROBA_NO_DEMO: '1', TLS_CERT_FILE: join(certDir, 'cert.pem'), TLS_KEY_FILE: join(certDir, 'key.pem') }
		});
	});

	afterAll(async () => {
		await server?.stop();
		await place?.dispose();
		if (certDir) rmSync(certDir, { recursive: true, force: true });
	});

	it('adds HSTS to every response, besides the other headers', async () => {
		expect(server.url).toMatch(/^https:/);
		for (const path of await everyKindOfPath(server.url, cert)) {
			const res = await raw(server.url, path, { ca: cert });
			expectBaseline(res, path);
			expect(res.headers['strict-transport-security'], path).toBe('max-age=31536000');
		}
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
