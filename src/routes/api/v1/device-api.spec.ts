/**
 * The device API, through its real route handlers: every refusal has the documented status and
 * code and changes nothing in the store; accepted pushes get one verdict per change.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deviceNode, hlcAfter } from '$lib/domain/hlc';
import { uuidv7 } from '$lib/domain/ids';
import { MAX_PUSH_CHANGES } from '$lib/sync/protocol';
import type { Store } from '$lib/server/db/store';
import { setDeviceState } from '$lib/server/auth/devices';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { BASE_URL, inProcessFetch } from '../../../../tests/in-process';
import { enrollDevice, enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import * as f from '../../../../tests/factories';

const call = inProcessFetch();
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
	call(`${BASE_URL}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body)
	});

async function errorOf(res: Response): Promise<{ status: number; code: string }> {
	const body = (await res.json()) as { error?: { code: string; message: string } };
	expect(typeof body.error?.message).toBe('string');
	return { status: res.status, code: body.error!.code };
}

/** Everything a refused request must leave untouched. */
async function snapshot(store: Store) {
	const r = await store.query<{ t: string; n: number; hash: string | null }>(
		`select 'visits' as t, count(*)::int as n, md5(string_agg(id::text || hlc, ',' order by id)) as hash from visits
		 union all select 'households', count(*)::int, md5(string_agg(id::text || hlc, ',' order by id)) from households
		 union all select 'children', count(*)::int, md5(string_agg(id::text || hlc, ',' order by id)) from children
		 union all select 'sessions', count(*)::int, md5(string_agg(id::text || hlc, ',' order by id)) from sessions
		 union all select 'consultations', count(*)::int, md5(string_agg(id::text || hlc, ',' order by id)) from consultations
		 union all select 'staff', count(*)::int, md5(string_agg(id::text || hlc, ',' order by id)) from staff
		 union all select 'devices', count(*)::int, md5(string_agg(id::text || pushed_count::text || state, ',' order by id)) from devices
		 union all select 'seq', (select last_value::int from sync_seq), null`
	);
	return r.rows;
}

describe.each(testStores())('device API on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let token: string;
	let deviceId: string;
	const auth = () => ({ authorization: `Bearer ${token}` });
	/** A change stamped by this test's device (or `o.device`), as its tablet would stamp it. */
	const change = (table: string, data: unknown, o: { id?: string; hlc?: string; deleted?: boolean; device?: string } = {}) => ({
		table,
		id: o.id ?? uuidv7(),
		hlc: o.hlc ?? hlcAfter(null, deviceNode(o.device ?? deviceId)),
		deleted: o.deleted ?? false,
		data
	});

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		({ token, deviceId } = await enrollDevice(store, [fx.siteId], 'にこにこ若葉 1'));
	});

	describe('enroll', () => {
		it('trades a code for a device id, a token kept only as a hash, and the device’s sites', async () => {
			const code = await enrollmentCode(store, [fx.siteId, fx.otherSiteId]);
			const res = await post('/api/v1/devices/enroll', { code: code.toLowerCase(), name: 'tablet 2' });
			expect(res.status).toBe(201);
			const body = (await res.json()) as { deviceId: string; token: string; sites: { id: string; nameJa: string }[] };
			expect(body.token).toMatch(/^hrb_[A-Za-z0-9_-]{43}$/);
			expect(body.sites.map((s) => s.nameJa).sort()).toEqual(['桜台児童館', '若葉児童館']);
			const stored = await store.query<{ token_hash: string }>('select token_hash from devices where id = $1', [body.deviceId]);
			expect(stored.rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
			const leaked = await store.query(`select 1 from devices where token_hash = $1 or name = $1`, [body.token]);
			expect(leaked.rows).toHaveLength(0);
		});

		it('refuses a replayed code with 410 enrollment_code_used and creates no second device', async () => {
			const code = await enrollmentCode(store, [fx.siteId]);
			expect((await post('/api/v1/devices/enroll', { code, name: 'a' })).status).toBe(201);
			const before = await snapshot(store);
			expect(await errorOf(await post('/api/v1/devices/enroll', { code, name: 'b' }))).toEqual({ status: 410, code: 'enrollment_code_used' });
			expect(await snapshot(store)).toEqual(before);
		});

		it('refuses unknown and expired codes', async () => {
			const before = await snapshot(store);
			expect(await errorOf(await post('/api/v1/devices/enroll', { code: 'AAAAA-AAAAA', name: 'x' }))).toEqual({ status: 403, code: 'enrollment_code_invalid' });
			const code = await enrollmentCode(store, [fx.siteId]);
			await store.query(`update enrollment_codes set expires_at = now() - interval '1 second' where used_at is null`);
			expect(await errorOf(await post('/api/v1/devices/enroll', { code, name: 'x' }))).toEqual({ status: 410, code: 'enrollment_code_expired' });
			expect(await snapshot(store)).toEqual(before);
		});

		it('refuses malformed JSON, wrong types and a wrong media type', async () => {
			const before = await snapshot(store);
			expect(await errorOf(await post('/api/v1/devices/enroll', '{"code": '))).toEqual({ status: 400, code: 'malformed_json' });
			expect(await errorOf(await post('/api/v1/devices/enroll', { code: 12345, name: 'x' }))).toEqual({ status: 400, code: 'invalid_body' });
			expect(await errorOf(await post('/api/v1/devices/enroll', { code: 'AAAAA-AAAAA' }))).toEqual({ status: 400, code: 'invalid_body' });
			const res = await call(`${BASE_URL}/api/v1/devices/enroll`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
			expect(await errorOf(res)).toEqual({ status: 415, code: 'unsupported_media_type' });
			expect(await snapshot(store)).toEqual(before);
		});

		it('rate-limits guessing from one address', async () => {
			const guesser = inProcessFetch({ clientAddress: '198.51.100.7' });
			const attempt = () =>
				guesser(`${BASE_URL}/api/v1/devices/enroll`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ code: 'AAAAA-AAAAA', name: 'x' })
				});
			for (let i = 0; i < 20; i++) expect((await attempt()).status).toBe(403);
			expect(await errorOf(await attempt())).toEqual({ status: 429, code: 'rate_limited' });
			// Even a valid code is refused from that address until the window passes.
			const code = await enrollmentCode(store, [fx.siteId]);
			const res = await guesser(`${BASE_URL}/api/v1/devices/enroll`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ code, name: 'x' })
			});
			expect(res.status).toBe(429);
		});
	});

	describe('push refusals store nothing', () => {
		const cases: Array<[string, () => Promise<Response>, number, string]> = [
			['no token', () => post('/api/v1/sync/push', { protocol: 1, changes: [] }), 401, 'unauthorized'],
			['unknown token', () => post('/api/v1/sync/push', { protocol: 1, changes: [] }, { authorization: 'Bearer hrb_nope' }), 401, 'invalid_token'],
			['malformed JSON', () => post('/api/v1/sync/push', '{"protocol":1,"changes":[', auth()), 400, 'malformed_json'],
			['changes not an array', () => post('/api/v1/sync/push', { protocol: 1, changes: 'x' }, auth()), 400, 'invalid_body'],
			['protocol not a number', () => post('/api/v1/sync/push', { protocol: '1', changes: [] }, auth()), 400, 'invalid_body'],
			['unknown protocol', () => post('/api/v1/sync/push', { protocol: 2, changes: [] }, auth()), 400, 'unsupported_protocol'],
			['extra envelope key', () => post('/api/v1/sync/push', { protocol: 1, changes: [], sneaky: true }, auth()), 400, 'invalid_body']
		];
		it.each(cases)('%s', async (_name, send, status, code) => {
			const before = await snapshot(store);
			expect(await errorOf(await send())).toEqual({ status, code });
			expect(await snapshot(store)).toEqual(before);
		});

		it('refuses a whole push that names an unknown table, even with valid changes beside it', async () => {
			const before = await snapshot(store);
			const good = change('visits', f.visit(fx.sessionId));
			const res = await post('/api/v1/sync/push', { protocol: 1, changes: [good, { ...change('visits', {}), table: 'passwords' }] }, auth());
			expect(await errorOf(res)).toEqual({ status: 400, code: 'unknown_table' });
			expect(await snapshot(store)).toEqual(before);
		});

		it('refuses a change with a malformed envelope (bad id, bad hlc) as a whole', async () => {
			const before = await snapshot(store);
			for (const bad of [
				{ ...change('visits', f.visit(fx.sessionId)), id: 'not-a-uuid' },
				{ ...change('visits', f.visit(fx.sessionId)), hlc: 'yesterday' },
				{ ...change('visits', f.visit(fx.sessionId)), deleted: 'no' }
			]) {
				expect(await errorOf(await post('/api/v1/sync/push', { protocol: 1, changes: [bad] }, auth()))).toEqual({ status: 400, code: 'invalid_body' });
			}
			expect(await snapshot(store)).toEqual(before);
		});

		it(`refuses more than ${MAX_PUSH_CHANGES} changes and more than 1 MiB`, async () => {
			const before = await snapshot(store);
			const many = Array.from({ length: MAX_PUSH_CHANGES + 1 }, () => change('visits', f.visit(fx.sessionId)));
			expect(await errorOf(await post('/api/v1/sync/push', { protocol: 1, changes: many }, auth()))).toEqual({ status: 413, code: 'too_many_changes' });
			const huge = JSON.stringify({ protocol: 1, changes: [change('visits', f.visit(fx.sessionId))], pad: 'x'.repeat(1024 * 1024) });
			expect(await errorOf(await post('/api/v1/sync/push', huge, auth()))).toEqual({ status: 413, code: 'payload_too_large' });
			expect(await snapshot(store)).toEqual(before);
		});

		it('tells a revoked device so, and takes nothing from it', async () => {
			await setDeviceState(store, deviceId, 'revoked', 'test');
			const before = await snapshot(store);
			const res = await post('/api/v1/sync/push', { protocol: 1, changes: [change('visits', f.visit(fx.sessionId))] }, auth());
			expect(await errorOf(res)).toEqual({ status: 401, code: 'device_revoked' });
			expect(await errorOf(await call(`${BASE_URL}/api/v1/sync/pull`, { headers: auth() }))).toEqual({ status: 401, code: 'device_revoked' });
			expect(await snapshot(store)).toEqual(before);
		});
	});

	describe('push verdicts', () => {
		it('gives each change its own verdict, applying the good ones in one go', async () => {
			const h = f.household({ registeredSiteId: fx.siteId });
			const hid = uuidv7();
			const badVisit = { ...f.visit(fx.sessionId), adults: -1 };
			const changes = [
				change('households', h, { id: hid }),
				change('children', f.child(hid)),
				change('visits', f.visit(fx.sessionId, { householdId: hid, cardCode: h.cardCode })),
				change('visits', badVisit),
				change('staff', f.staffMember()),
				change('visits', f.visit(fx.otherSessionId)),
				change('visits', f.visit(uuidv7())),
				change('households', f.household({ cardCode: h.cardCode, registeredSiteId: fx.siteId })),
				change('sessions', f.session(fx.otherSiteId))
			];
			const res = await post('/api/v1/sync/push', { protocol: 1, changes }, auth());
			expect(res.status).toBe(200);
			const { results } = (await res.json()) as { results: { id: string; status: string; error?: { code: string } }[] };
			expect(results.map((r) => r.id)).toEqual(changes.map((c) => c.id));
			expect(results.map((r) => (r.status === 'rejected' ? `rejected:${r.error!.code}` : r.status))).toEqual([
				'applied',
				'applied',
				'applied',
				'rejected:invalid_data',
				'rejected:read_only_table',
				'rejected:forbidden_site',
				'rejected:unknown_session',
				'rejected:card_code_taken',
				'rejected:forbidden_site'
			]);
			const visits = await store.query<{ n: number }>('select count(*)::int as n from visits');
			expect(visits.rows[0]!.n).toBe(1);
			const dev = await store.query<{ n: number }>('select pushed_count::int as n from devices where id = $1', [deviceId]);
			expect(dev.rows[0]!.n).toBe(3);
		});

		it('is idempotent: the same push again is all duplicate; an older version is stale', async () => {
			const id = uuidv7();
			const v1 = change('visits', f.visit(fx.sessionId), { id, hlc: hlcAfter(null, deviceNode(deviceId), 1_000_000) });
			const v2 = change('visits', f.visit(fx.sessionId, { adults: 2 }), { id, hlc: hlcAfter(null, deviceNode(deviceId), 2_000_000) });
			const first = (await (await post('/api/v1/sync/push', { protocol: 1, changes: [v2] }, auth())).json()) as { results: { status: string }[] };
			expect(first.results[0]!.status).toBe('applied');
			const again = (await (await post('/api/v1/sync/push', { protocol: 1, changes: [v2, v1] }, auth())).json()) as { results: { status: string }[] };
			expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'stale']);
			const row = await store.query<{ adults: number }>(`select (data->>'adults')::int as adults from visits where id = $1`, [id]);
			expect(row.rows[0]!.adults).toBe(2);
		});

		it('keeps the newest of several versions of one record in one push, whatever their order', async () => {
			const id = uuidv7();
			const older = change('visits', f.visit(fx.sessionId, { adults: 1 }), { id, hlc: hlcAfter(null, deviceNode(deviceId), 1_000_000) });
			const newer = change('visits', f.visit(fx.sessionId, { adults: 3 }), { id, hlc: hlcAfter(null, deviceNode(deviceId), 2_000_000) });
			const r = (await (await post('/api/v1/sync/push', { protocol: 1, changes: [newer, older] }, auth())).json()) as { results: { status: string }[] };
			expect(r.results.map((x) => x.status)).toEqual(['applied', 'stale']);
			const row = await store.query<{ adults: number }>(`select (data->>'adults')::int as adults from visits where id = $1`, [id]);
			expect(row.rows[0]!.adults).toBe(3);
		});

		it('lets a retired device push what it holds but not pull', async () => {
			await setDeviceState(store, deviceId, 'retired', 'test');
			const res = await post('/api/v1/sync/push', { protocol: 1, changes: [change('visits', f.visit(fx.sessionId))] }, auth());
			expect(res.status).toBe(200);
			expect(await errorOf(await call(`${BASE_URL}/api/v1/sync/pull`, { headers: auth() }))).toEqual({ status: 401, code: 'device_retired' });
		});
	});

	describe('pull', () => {
		const pull = (q: string) => call(`${BASE_URL}/api/v1/sync/pull${q}`, { headers: auth() });

		it('refuses a missing token, a bad cursor and a bad limit', async () => {
			expect(await errorOf(await call(`${BASE_URL}/api/v1/sync/pull`))).toEqual({ status: 401, code: 'unauthorized' });
			expect(await errorOf(await pull('?since=abc'))).toEqual({ status: 400, code: 'invalid_cursor' });
			expect(await errorOf(await pull('?since=-1'))).toEqual({ status: 400, code: 'invalid_cursor' });
			expect(await errorOf(await pull('?limit=0'))).toEqual({ status: 400, code: 'bad_request' });
			expect(await errorOf(await pull('?limit=many'))).toEqual({ status: 400, code: 'bad_request' });
			expect(await errorOf(await pull('?since=0&sneaky=1'))).toEqual({ status: 400, code: 'bad_request' });
		});

		it('pages through what the device may see, each row once, cursor always advancing', async () => {
			// Another device at the other site writes a visit there: this device must not see it.
			const other = (await (
				await post('/api/v1/devices/enroll', { code: await enrollmentCode(store, [fx.siteId, fx.otherSiteId]), name: 'other' })
			).json()) as { token: string; deviceId: string };
			const hid = uuidv7();
			const h = f.household({ registeredSiteId: fx.siteId });
			const by = { device: other.deviceId };
			const pushed = await post(
				'/api/v1/sync/push',
				{
					protocol: 1,
					changes: [
						change('households', h, { id: hid, ...by }),
						change('visits', f.visit(fx.sessionId, { householdId: hid, cardCode: h.cardCode }), by),
						change('visits', f.visit(fx.otherSessionId), by),
						change('consultations', f.consultation(fx.sessionId, fx.staffId), by)
					]
				},
				{ authorization: `Bearer ${other.token}` }
			);
			expect(((await pushed.json()) as { results: { status: string }[] }).results.every((r) => r.status === 'applied')).toBe(true);

			const seen: Array<{ table: string; id: string }> = [];
			let cursor = '0';
			let pages = 0;
			for (;;) {
				const body = (await (await pull(`?since=${cursor}&limit=2`)).json()) as { changes: { table: string; id: string }[]; cursor: string; more: boolean };
				expect(BigInt(body.cursor)).toBeGreaterThanOrEqual(BigInt(cursor));
				seen.push(...body.changes.map((c) => ({ table: c.table, id: c.id })));
				cursor = body.cursor;
				pages++;
				if (!body.more) break;
			}
			expect(pages).toBeGreaterThan(2);
			const byTable = (t: string) => seen.filter((s) => s.table === t).length;
			expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
			expect(byTable('programs')).toBe(1);
			expect(byTable('sites')).toBe(1); // only its own site
			expect(byTable('sessions')).toBe(1);
			expect(byTable('staff')).toBe(1);
			expect(byTable('households')).toBe(1); // registered at its site
			expect(byTable('visits')).toBe(1); // only its site's session
			expect(byTable('consultations')).toBe(0); // never flow down
			// Up to date: nothing more, same cursor.
			const again = (await (await pull(`?since=${cursor}`)).json()) as { changes: unknown[]; cursor: string; more: boolean };
			expect(again).toMatchObject({ changes: [], cursor, more: false });
		});

		it('does not echo a device’s own writes back to it', async () => {
			const r = (await (await pull('')).json()) as { cursor: string };
			await post('/api/v1/sync/push', { protocol: 1, changes: [change('visits', f.visit(fx.sessionId))] }, auth());
			const body = (await (await pull(`?since=${r.cursor}`)).json()) as { changes: unknown[]; cursor: string; devicePushed: number };
			expect(body.changes).toEqual([]);
			expect(BigInt(body.cursor)).toBeGreaterThan(BigInt(r.cursor));
			expect(body.devicePushed).toBe(1);
			const seen = await store.query<{ recent: boolean }>(`select last_seen_at > now() - interval '1 minute' as recent from devices where id = $1`, [deviceId]);
			expect(seen.rows[0]!.recent).toBe(true);
		});
	});

	it('answers unknown API paths and wrong methods in JSON', async () => {
		expect(await errorOf(await call(`${BASE_URL}/api/v1/nothing`))).toEqual({ status: 404, code: 'not_found' });
		expect(await errorOf(await call(`${BASE_URL}/api/v1/sync/push`))).toEqual({ status: 405, code: 'method_not_allowed' });
		expect(await errorOf(await call(`${BASE_URL}/api/v1/sync/pull`, { method: 'DELETE', headers: auth() }))).toEqual({
			status: 405,
			code: 'method_not_allowed'
		});
	});
});
