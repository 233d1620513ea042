/**
 * The host's rules on their own (scripts/lib/host.js): which request targets and Host headers may
 * reach the app from the public server, and which headers every public response starts with.
 * tests/host.spec.ts checks the same over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { appPath, baselineHeaders, isInternalPath, isPlainAuthority } from '../scripts/lib/host.js';

/** `text` with its %-escapes escaped again, `times` times over. */
const escapeTimes = (text: string, times: number): string => (times === 0 ? text : escapeTimes(text.replace(/%/g, '%25'), times - 1));

describe('isInternalPath', () => {
	// Each spelling, and what the app would route it as.
	const internal: Array<[string, string | null]> = [
		['/internal', '/internal'],
		['/internal/admin/devices', '/internal/admin/devices'],
		['/internal/admin/devices?x=1', '/internal/admin/devices'],
		['/./internal/admin/devices', '/internal/admin/devices'],
		['/%2e/internal/admin/devices', '/internal/admin/devices'],
		['/%2E/internal/admin/devices', '/internal/admin/devices'],
		['/x/../internal/admin/devices', '/internal/admin/devices'],
		['/x/%2e%2e/internal/admin/devices', '/internal/admin/devices'],
		['/%2E%2E/internal', '/internal'],
		['/kiosk/..%2finternal/admin/devices', '/internal/admin/devices'],
		['/%2e%2e%2finternal/admin/devices', '/internal/admin/devices'],
		['/%2finternal/admin/devices', '//internal/admin/devices'],
		['/%2Finternal', '//internal'],
		['//internal/admin/devices', '//internal/admin/devices'],
		['/\\internal/admin/devices', '//internal/admin/devices'],
		['/%5cinternal/admin/devices', '//internal/admin/devices'],
		['/x\\..\\internal/admin/devices', '/internal/admin/devices'],
		['/INTERNAL/admin/devices', '/INTERNAL/admin/devices'],
		['/InTeRnAl/admin/devices', '/InTeRnAl/admin/devices'],
		['/%69nternal/admin/devices', '/internal/admin/devices'],
		['/%49NTERNAL', '/INTERNAL'],
		['/%2569nternal/admin/devices', '/internal/admin/devices'],
		['/%252e%252e/internal/admin/devices', '/internal/admin/devices'],
		['/%25252e%25252e/internal', '/internal'],
		[`/${escapeTimes('%2e%2e', 6)}/internal`, '/internal'],
		['/x/%252e%252e%252finternal', '/internal'],
		['/inter%09nal/admin/devices', '/internal/admin/devices'],
		['/inter%0anal', '/internal'],
		['/internal/admin/%2e%2e/admin/devices', '/internal/admin/devices'],
		// Cannot be told for sure: refused.
		['/internal%', null],
		['/%zz/internal', null],
		['/%E0%A4%A', null],
		['/%2525', null],
		// Escaped so many times over that it does not settle within the rounds allowed.
		[`/${escapeTimes('%2e%2e', 10)}/internal`, null],
		['internal/admin/devices', null],
		['@evil.example/internal/admin/devices', null],
		['http://localhost/internal/admin/devices', null],
		['*', null],
		['', null]
	];
	it.each(internal)('refuses %j (the app would see %j)', (url, seen) => {
		expect(appPath(url)).toBe(seen);
		expect(isInternalPath(url)).toBe(true);
	});
	it('refuses no target at all', () => {
		expect(isInternalPath(undefined)).toBe(true);
	});

	const allowed: Array<[string, string]> = [
		['/', '/'],
		['/kiosk', '/kiosk'],
		['/staff', '/staff'],
		['/centre/login?next=/internal/admin/devices', '/centre/login'],
		['/api/v1/sync/pull?since=0', '/api/v1/sync/pull'],
		['/_app/immutable/entry/start.BwLeq6AD.js', '/_app/immutable/entry/start.BwLeq6AD.js'],
		['/service-worker.js', '/service-worker.js'],
		['/internals', '/internals'],
		['/kiosk/internal', '/kiosk/internal'],
		['/internal%3F/admin', '/internal%3F/admin'],
		['/%E3%81%B2%E3%82%8D%E3%81%B0', '/ひろば']
	];
	it.each(allowed)('lets %j through (as %j)', (url, seen) => {
		expect(appPath(url)).toBe(seen);
		expect(isInternalPath(url)).toBe(false);
	});
});

describe('isPlainAuthority', () => {
	it.each(['localhost', 'localhost:3000', '127.0.0.1:3000', 'centre.example.jp', 'site_7.local:3000', '[::1]:3000', '[2001:db8::1]'])('accepts %j', (host) => {
		expect(isPlainAuthority(host)).toBe(true);
	});
	it.each([
		'localhost/internal/admin/devices#',
		'localhost:3000/internal/admin/devices?',
		'evil@localhost',
		'a b',
		'localhost:3000#',
		'localhost\\internal',
		''
	])('refuses %j', (host) => {
		expect(isPlainAuthority(host)).toBe(false);
	});
	it('leaves a missing Host to adapter-node, which refuses it', () => {
		expect(isPlainAuthority(undefined)).toBe(true);
	});
});

describe('baselineHeaders', () => {
	it('always sets nosniff, a same-origin referrer policy, the permissions policy, DENY and a CSP with frame-ancestors', () => {
		const h = baselineHeaders({ tls: false });
		expect(h).toMatchObject({
			'x-content-type-options': 'nosniff',
			'referrer-policy': 'same-origin',
			'x-frame-options': 'DENY'
		});
		expect(h['permissions-policy']).toMatch(/camera=\(self\)/);
		expect(h['content-security-policy']).toBe("frame-ancestors 'none'; object-src 'none'; base-uri 'self'");
		// Nothing that could stop the pages' scripts, the service worker or the decoder worker.
		expect(h['content-security-policy']).not.toMatch(/default-src|script-src|worker-src|connect-src/);
	});
	it('adds HSTS with TLS of its own, or behind a TLS proxy (ORIGIN https:), and not otherwise', () => {
		expect(baselineHeaders({ tls: false })['strict-transport-security']).toBeUndefined();
		expect(baselineHeaders({ tls: false, origin: 'http://centre.example.jp' })['strict-transport-security']).toBeUndefined();
		expect(baselineHeaders({ tls: true })['strict-transport-security']).toBe('max-age=31536000');
		expect(baselineHeaders({ tls: false, origin: 'https://centre.example.jp' })['strict-transport-security']).toBe('max-age=31536000');
	});
});
