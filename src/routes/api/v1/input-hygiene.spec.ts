/**
 * Text that PostgreSQL cannot store (NUL, a lone surrogate) or that nobody types (controls,
 * non-characters), through the device API's real route handlers: a poisoned change is rejected on
 * its own and the rest of the push applies; nothing else a request carries reaches SQL as text
 * unchecked, so none of it can make a 5xx.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deviceNode, hlcAfter } from '$lib/domain/hlc';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { BASE_URL, inProcessFetch } from '../../../../tests/in-process';
import { enrollDevice, enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import * as f from '../../../../tests/factories';

const call = inProcessFetch();
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
	call(`${BASE_URL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** One of each kind of character the text rule refuses (see domain/text.ts). */
const POISONS: Array<[string, string]> = [
	['NUL', '\u0000'],
	['a lone high surrogate', '\ud800'],
	['a lone low surrogate', '\udfff'],
	['a C1 control', '\u0085'],
	['a non-character', '\uffff'],
	['a supplementary-plane non-character', '\u{10fffe}']
];

interface Verdict {
	id: string;
	status: string;
	error?: { code: string; message: string };
}

describe.each(testStores())('input hygiene on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let token: string;
	const auth = () => ({ authorization: `Bearer ${token}` });
	let deviceId: string;
	const change = (table: string, data: unknown) => ({ table, id: uuidv7(), hlc: hlcAfter(null, deviceNode(deviceId)), deleted: false, data });
	const count = async (table: string) => (await store.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]!.n;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		({ token, deviceId } = await enrollDevice(store, [fx.siteId], 'にこにこ若葉 1'));
	});

	it.each(POISONS)('a push with %s in one change rejects that change only, and a retry gives the same verdicts', async (_name, poison) => {
		const poisoned = [
			change('consultations', { ...f.consultation(fx.sessionId, fx.staffId), sealed: `${f.SEALED_SAMPLE}${poison}` }),
			change('households', { ...f.household(), nickname: `はる${poison}` }),
			change('children', { ...f.child(uuidv7()), nickname: poison }),
			change('visits', { ...f.visit(fx.sessionId), cardCode: poison })
		];
		const good = change('visits', f.visit(fx.sessionId));
		const body = { protocol: 1, changes: [...poisoned, good] };

		const first = await post('/api/v1/sync/push', body, auth());
		expect(first.status).toBe(200);
		const { results } = (await first.json()) as { results: Verdict[] };
		expect(results.map((r) => r.id)).toEqual(body.changes.map((c) => c.id));
		expect(results.slice(0, poisoned.length).map((r) => `${r.status}:${r.error?.code}`)).toEqual(poisoned.map(() => 'rejected:invalid_data'));
		expect(results[poisoned.length]).toEqual({ id: good.id, status: 'applied' });
		// The reason names the field, so staff can see what to correct on the tablet.
		expect(results[0]!.error!.message).toContain('sealed');
		expect(results[1]!.error!.message).toContain('nickname');

		const again = await post('/api/v1/sync/push', body, auth());
		expect(again.status).toBe(200);
		const retry = ((await again.json()) as { results: Verdict[] }).results;
		expect(retry.map((r) => (r.status === 'rejected' ? `rejected:${r.error!.code}` : r.status))).toEqual([
			...poisoned.map(() => 'rejected:invalid_data'),
			'duplicate'
		]);
		expect(await count('visits')).toBe(1);
		expect(await count('consultations')).toBe(0);
		expect(await count('households')).toBe(0);
	});

	it.each(POISONS)('an enrollment whose device name holds %s is a 400 and enrolls nothing', async (_name, poison) => {
		const code = await enrollmentCode(store, [fx.siteId]);
		const res = await post('/api/v1/devices/enroll', { code, name: `tablet${poison}` });
		expect(res.status).toBe(400);
		const body = (await res.json()) as { error: { code: string; message: string } };
		expect(body.error.code).toBe('invalid_body');
		expect(body.error.message).toContain('name');
		expect(await count('devices')).toBe(1);
		// The code is still unused: the tablet may try again with a clean name.
		expect((await post('/api/v1/devices/enroll', { code, name: 'tablet 2' })).status).toBe(201);
	});

	it('a refusal by a rule with no message of its own still says what is wrong, in English', async () => {
		// The shared schemas are zod/mini, which carries no locale; the server configures English.
		const long = change('households', { ...f.household(), nickname: 'は'.repeat(21) });
		const res = await post('/api/v1/sync/push', { protocol: 1, changes: [long] }, auth());
		const [verdict] = ((await res.json()) as { results: Verdict[] }).results;
		expect(verdict!.error!.message).toContain('Too big: expected string to have <=20 characters');
		expect(verdict!.error!.message).toContain('nickname');

		const code = await enrollmentCode(store, [fx.siteId]);
		const blank = await post('/api/v1/devices/enroll', { code, name: '   ' });
		expect(((await blank.json()) as { error: { message: string } }).error.message).toContain('Too small: expected string to have >=1 characters');
	});

	it('an enrollment code holding any of them is merely not valid (it is only normalised and hashed)', async () => {
		for (const [name, poison] of POISONS) {
			const res = await post('/api/v1/devices/enroll', { code: `ABCDE-${poison}FGHJ`, name: 'tablet' });
			expect(res.status, name).toBe(403);
			expect(((await res.json()) as { error: { code: string } }).error.code).toBe('enrollment_code_invalid');
		}
	});

	it('a pull whose query string holds any of them is a 400', async () => {
		for (const [name, poison] of POISONS) {
			// A URL cannot hold a lone surrogate; its UTF-8-style bytes (and a stray byte) decode to U+FFFD.
			const q = /\p{Cs}/u.test(poison) ? '%ED%A0%80%FF' : encodeURIComponent(poison);
			for (const [query, code] of [
				[`since=${q}`, 'invalid_cursor'],
				[`since=1${q}`, 'invalid_cursor'],
				[`limit=${q}`, 'bad_request'],
				[`limit=5${q}`, 'bad_request'],
				[`${q}=1`, 'bad_request']
			]) {
				const res = await call(`${BASE_URL}/api/v1/sync/pull?${query}`, { headers: auth() });
				expect(res.status, `${name}: ${query}`).toBe(400);
				expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
			}
		}
	});

	it('an Authorization header of any bytes is a 401, never more', async () => {
		// Header values are byte strings: every byte but NUL, CR and LF can be sent.
		const latin1 = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i))
			.filter((c) => !'\0\r\n'.includes(c))
			.join('');
		for (const value of [`Bearer ${latin1.trim()}`, `Bearer ${'\u00ff'.repeat(10_000)}`, latin1, `Bearer\t${token}x`, `Bearer ${token} ${token}`]) {
			const res = await post('/api/v1/sync/push', { protocol: 1, changes: [] }, { authorization: value });
			expect(res.status).toBe(401);
		}
	});
});
