/**
 * Generated garbage against the device API (push, pull, enroll), through the real route handlers
 * in-process, on every test store. Whatever arrives — any JSON, any bytes, deep or large bodies,
 * text with NUL, lone surrogates and non-characters, a valid change with one field spoiled, odd
 * headers and query strings — the centre must:
 * - answer below 500, in JSON, every error as `{ error: { code, message } }` with a documented code
 *   and its documented status, and log nothing (a 5xx path is the only one that logs);
 * - write nothing: every table's full contents and every sequence are the same after each request;
 * - not grow its heap from one batch of requests to the next.
 * Every generated request is invalid by construction (a spoiled field is always of the wrong type
 * or holds a character the text rule refuses), so "nothing written" holds strictly.
 *
 * HIROBA_FUZZ_RUNS raises the number of runs per property (default 60). fast-check prints the seed
 * of a failure; HIROBA_FUZZ_SEED=<seed> runs the same inputs again.
 */
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { makeCardCode } from '$lib/domain/card-code';
import { formatHlc, hlcAfter } from '$lib/domain/hlc';
import { writeCentreRecords } from '$lib/server/sync/records';
import { uuidv7 } from '$lib/domain/ids';
import { ERROR_STATUS, REJECT_REASONS } from '$lib/sync/errors';
import { MAX_PUSH_BYTES, MAX_PUSH_CHANGES, pullResponse, pushResponse, SYNC_TABLES, TABLE_SCHEMAS, type SyncTable } from '$lib/sync/protocol';
import { findBadChar } from '$lib/domain/text';
import type { Store } from '$lib/server/db/store';
import { setDeviceState } from '$lib/server/auth/devices';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { BASE_URL, inProcessFetch } from '../../../../tests/in-process';
import { enrollDevice, enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import * as f from '../../../../tests/factories';
import { snapshotter, type Snapshot } from '../../../../tests/snapshot';

const RUNS = Math.max(1, Number(process.env.HIROBA_FUZZ_RUNS) || 60);
const SEED = process.env.HIROBA_FUZZ_SEED ? Number(process.env.HIROBA_FUZZ_SEED) : undefined;
/** A property's runs as a share of RUNS. */
const runs = (share: number) => ({ numRuns: Math.max(1, Math.round(RUNS * share)), seed: SEED });

// ---------------------------------------------------------------------------------------------
// Text

/** One character the text rule refuses in every kind of field (tab, LF and CR are left out: notes allow them). */
const badChar: fc.Arbitrary<string> = fc
	.oneof(
		fc.constant('\u0000'),
		fc.integer({ min: 0x01, max: 0x1f }).filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d),
		fc.integer({ min: 0x7f, max: 0x9f }),
		fc.integer({ min: 0xd800, max: 0xdfff }),
		fc.integer({ min: 0xfdd0, max: 0xfdef }),
		fc.tuple(fc.integer({ min: 0, max: 16 }), fc.constantFrom(0xfffe, 0xffff)).map(([plane, low]) => plane * 0x10000 + low)
	)
	.map((c) => (typeof c === 'string' ? c : c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : String.fromCodePoint(c)));

/** Text from the whole Unicode range, Japanese and emoji included. */
const anyText = fc.oneof(
	fc.string({ unit: 'binary', maxLength: 30 }),
	fc.string({ maxLength: 30 }),
	fc.constantFrom(
		'はるくん',
		'本町2丁目',
		'👨‍👩‍👧',
		'',
		' ',
		'null',
		'true',
		'1',
		'-0',
		'1e999',
		"'; drop table visits; --",
		'%s%n',
		'${x}',
		'constructor',
		'__proto__',
		'toString'
	),
	fc.constantFrom(...SYNC_TABLES)
);

/**
 * Text with at least one refused character somewhere in it: invalid in every string field. The
 * filter is not a formality: a high and a low surrogate inserted side by side make a valid pair.
 */
const poison: fc.Arbitrary<string> = fc
	.tuple(anyText, fc.array(badChar, { minLength: 1, maxLength: 3 }), fc.nat())
	.map(([text, bad, at]) => {
		const i = at % (text.length + 1);
		return text.slice(0, i) + bad.join('') + text.slice(i);
	})
	.filter((text) => findBadChar(text, { multiLine: true }) !== null);

/**
 * Text the rule lets through, from its edges: U+FFFD, U+FEFF, line and paragraph separators, a
 * right-to-left override, combining marks, private use, the last characters of the planes.
 */
const allowedText = (multiLine: boolean) =>
	fc
		.string({
			unit: fc.oneof(
				fc.constantFrom(
					'\ufffd',
					'\ufeff',
					'\u2028',
					'\u2029',
					'\u202e',
					'\u0301',
					'\ue000',
					'\u{10fffd}',
					'\u{1fffd}',
					'\u00a0',
					'\u3000',
					' ',
					'\t',
					'\n',
					'\r'
				),
				fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })
			),
			maxLength: 25
		})
		.filter((t) => findBadChar(t, { multiLine }) === null);

/** Key names: ordinary, poisoned, and the ones that trip naive object handling. */
const keyName = fc.oneof(
	anyText,
	poison,
	fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'protocol', 'changes', 'table', 'id', 'data', 'code', 'name')
);

/** An object with own properties even for `__proto__` (as JSON.parse makes them). */
function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
	const o: Record<string, unknown> = {};
	for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
	return o;
}

/** Any JSON value, its strings often poisoned. Finite numbers only: JSON has no NaN. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
	value: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		fc.constant(null),
		fc.boolean(),
		fc.integer(),
		fc.double({ noNaN: true, noDefaultInfinity: true }),
		fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, 5e-324, 0.1),
		anyText,
		poison,
		fc.array(tie('value'), { maxLength: 4 }),
		fc.array(fc.tuple(keyName, tie('value')), { maxLength: 4 }).map(objectOf)
	)
})).value;

// ---------------------------------------------------------------------------------------------
// Spoiling one field of a valid record

type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
const kindOf = (v: unknown): JsonKind => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonKind));

/** A value of any JSON kind except `kind` and null (null may be valid where the field is nullable). */
function wrongKind(kind: JsonKind): fc.Arbitrary<unknown> {
	const byKind: Record<Exclude<JsonKind, 'null'>, fc.Arbitrary<unknown>> = {
		boolean: fc.boolean(),
		number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
		string: fc.oneof(anyText, poison),
		array: fc.array(json, { maxLength: 3 }),
		object: fc.array(fc.tuple(keyName, json), { maxLength: 3 }).map(objectOf)
	};
	return fc.oneof(...Object.entries(byKind).flatMap(([k, arb]) => (k === kind ? [] : [arb])));
}

/**
 * A value the field can never accept, whatever its schema: poisoned text (refused by free-text and
 * format fields alike, and the wrong type elsewhere), or a value of another non-null kind. An array
 * field may also get an array holding poisoned text.
 */
function spoiled(value: unknown): fc.Arbitrary<unknown> {
	const kind = kindOf(value);
	const options: fc.Arbitrary<unknown>[] = [poison];
	if (kind !== 'null') options.push(wrongKind(kind));
	if (kind === 'array') options.push(poison.map((p) => [p]));
	return fc.oneof(...options);
}

/** One way to make a record invalid: a field spoiled, a field missing, or a key it does not have. */
function spoil(record: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
	const keys = Object.keys(record);
	const unknownKey = keyName.filter((k) => !keys.includes(k));
	return fc.oneof(
		fc
			.constantFrom(...keys)
			.chain((k) => spoiled(record[k]).map((v) => objectOf(Object.entries({ ...record }).map(([key, old]) => [key, key === k ? v : old])))),
		fc.constantFrom(...keys).map((k) => objectOf(Object.entries(record).filter(([key]) => key !== k))),
		fc.tuple(unknownKey, json).map(([k, v]) => objectOf([...Object.entries(record), [k, v]]))
	);
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Req {
	method: string;
	path: string;
	headers: Record<string, string>;
	body?: string | Uint8Array<ArrayBuffer>;
	clientAddress?: string;
}

/** Header values are byte strings: any byte but NUL, CR and LF can be sent. */
const headerText = fc.string({
	unit: fc
		.integer({ min: 1, max: 255 })
		.filter((c) => c !== 0x0a && c !== 0x0d)
		.map((c) => String.fromCharCode(c)),
	maxLength: 80
});

const contentType = fc.oneof(
	{ weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON') },
	{
		weight: 3,
		arbitrary: fc.constantFrom(
			'',
			'text/plain',
			'application/x-www-form-urlencoded',
			'multipart/form-data; boundary=x',
			'application/jsonx',
			'application/json-seq',
			'application/json; charset=utf-16',
			'*/*'
		)
	},
	{ weight: 1, arbitrary: headerText }
);

/** A JSON body, or text that is almost JSON, or bytes that are not UTF-8, or a deep or huge one. */
const garbageBody: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
	{ weight: 6, arbitrary: json.map((v) => JSON.stringify(v)) },
	{ weight: 2, arbitrary: fc.tuple(json, fc.nat()).map(([v, n]) => JSON.stringify(v).slice(0, n % 50)) },
	{ weight: 2, arbitrary: anyText },
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => new Uint8Array(bytes)) },
	{
		weight: 1,
		// Deep nesting, up to the size limit: a recursive parser or validator would overflow.
		arbitrary: fc.tuple(fc.integer({ min: 1_000, max: 150_000 }), fc.constantFrom('[', '{"a":', '{"protocol":1,"changes":[')).map(([n, open]) => {
			const close = open === '[' ? ']' : open === '{"a":' ? '}' : ']}';
			return open.repeat(n) + (open === '[' ? '' : '1') + close.repeat(n);
		})
	},
	{ weight: 1, arbitrary: fc.integer({ min: MAX_PUSH_BYTES - 100, max: MAX_PUSH_BYTES + 100 }).map((n) => JSON.stringify({ pad: 'x'.repeat(n) })) }
);

// ---------------------------------------------------------------------------------------------
// What every answer must look like

const DOCUMENTED = new Set(Object.keys(ERROR_STATUS));

async function checkAnswer(res: Response, kind: 'push' | 'pull' | 'enroll', changesSent: number | null): Promise<void> {
	const text = await res.text();
	expect(res.status, text).toBeLessThan(500);
	expect(res.headers.get('content-type')).toMatch(/^application\/json/);
	const body = JSON.parse(text) as { error?: { code: string; message: string } };
	if (res.status >= 400) {
		expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
		expect(DOCUMENTED.has(body.error!.code), body.error!.code).toBe(true);
		expect(ERROR_STATUS[body.error!.code as keyof typeof ERROR_STATUS]).toBe(res.status);
		return;
	}
	// Nothing generated here is valid: no enrollment succeeds, no change is applied.
	expect(kind, text.slice(0, 300)).not.toBe('enroll');
	if (kind === 'pull') {
		pullResponse.parse(body);
		return;
	}
	const { results } = pushResponse.parse(body);
	if (changesSent !== null) expect(results).toHaveLength(changesSent);
	for (const r of results) {
		expect(r.status).toBe('rejected');
		expect(REJECT_REASONS as readonly string[]).toContain(r.error?.code);
	}
}

// ---------------------------------------------------------------------------------------------

function forcedGc(): () => void {
	// Vitest's workers run without --expose-gc; V8 lets a new context have the function anyway.
	setFlagsFromString('--expose-gc');
	return runInNewContext('gc') as () => void;
}

describe.each(testStores())('fuzzing the device API on $name', (ts) => {
	let store: Store;
	let snapshot: () => Promise<Snapshot>;
	let baseline: Snapshot;
	let consoleError: MockInstance;
	const tokens = { active: '', retired: '', revoked: '' };
	let deviceNode = '';
	let freshCode = '';
	let bases: Array<{ table: SyncTable; data: Record<string, unknown> }> = [];
	let addressCounter = 0;
	let fx: CentreFixture;

	openForSuite(ts, (s) => (store = s), { serve: true });

	beforeAll(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		const enroll = (name: string) => enrollDevice(store, [fx.siteId], name);
		const active = await enroll('fuzz active');
		const retired = await enroll('fuzz retired');
		const revoked = await enroll('fuzz revoked');
		await setDeviceState(store, retired.deviceId, 'retired', 'fuzz');
		await setDeviceState(store, revoked.deviceId, 'revoked', 'fuzz');
		tokens.active = active.token;
		tokens.retired = retired.token;
		tokens.revoked = revoked.token;
		// As the tablet makes its stamp's node (client/db/db.ts hlcNode).
		deviceNode = active.deviceId.replace(/-/g, '');
		// A valid, unused code: near-valid enrollments carry it beside a spoiled name.
		freshCode = await enrollmentCode(store, [fx.siteId]);

		// A family registered at the device's site, with a child: what the bases may name.
		const family = f.household({ registeredSiteId: fx.siteId });
		const [hid] = await store.transaction((tx) => writeCentreRecords(tx, 'households', [{ data: family }]));
		const [cid] = await store.transaction((tx) => writeCentreRecords(tx, 'children', [{ data: f.child(hid!) }]));
		bases = [
			{ table: 'visits', data: f.visit(fx.sessionId) },
			{
				table: 'visits',
				data: f.visit(fx.sessionId, {
					cardCode: null,
					method: 'walkin',
					walkInChildren: { age0: 1, age1: 0, age2: 2, age3plus: 0, school: 1 },
					adults: 2,
					checkedOutAt: new Date().toISOString()
				})
			},
			{ table: 'visits', data: f.visit(fx.sessionId, { householdId: hid!, cardCode: null, childIds: [cid!], method: 'typed' }) },
			{ table: 'households', data: f.household({ nickname: 'はるくん🐣', registeredSiteId: fx.siteId }) },
			{
				table: 'households',
				data: f.household({ areaKind: 'outside', town: null, heardFrom: null, language: 'vi', cardPrintRequested: true, registeredSiteId: fx.siteId })
			},
			{ table: 'children', data: f.child(hid!, { nickname: 'ゆい' }) },
			{
				table: 'consultations',
				data: f.consultation(fx.sessionId, fx.staffId, {
					householdId: hid!,
					childId: cid!,
					followUp: 'refer_health'
				})
			},
			{ table: 'sessions', data: f.session(fx.siteId) },
			{ table: 'sessions', data: f.session(fx.siteId, { status: 'cancelled', cancelReason: 'rain' }) }
		] as Array<{ table: SyncTable; data: Record<string, unknown> }>;

		// The whole store, row by row, and every sequence (tests/snapshot.ts); refused stamps kept in.
		snapshot = await snapshotter(store, { include: ['refused_stamps'] });
		baseline = await snapshot();
		expect(Object.keys(baseline).length).toBeGreaterThan(10);
		consoleError = vi.spyOn(console, 'error');
	});

	afterAll(() => consoleError?.mockRestore());

	/** Send one request, check its answer, and check that the store is as it was. */
	async function send(req: Req, kind: 'push' | 'pull' | 'enroll', changesSent: number | null = null): Promise<void> {
		// Cleared per request, so that a failure (and fast-check's shrinking) sees only this one's log.
		consoleError.mockClear();
		const call = inProcessFetch({ clientAddress: req.clientAddress });
		const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
		const res = await call(`${BASE_URL}${req.path}`, { method: req.method, headers: req.headers, body: hasBody ? req.body : undefined });
		await checkAnswer(res, kind, changesSent);
		expect(await snapshot()).toEqual(baseline);
		expect(consoleError).not.toHaveBeenCalled();
	}

	// -- generators that need the fixture --------------------------------------------------------

	const authorization = () =>
		fc.oneof(
			{ weight: 6, arbitrary: fc.constant(`Bearer ${tokens.active}`) },
			{ weight: 1, arbitrary: fc.constantFrom(`bearer ${tokens.active}`, `Bearer ${tokens.retired}`, `Bearer ${tokens.revoked}`) },
			{
				weight: 1,
				arbitrary: fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', `Bearer ${tokens.active}x`, `Bearer ${tokens.active} x`, `Basic ${tokens.active}`)
			},
			{ weight: 1, arbitrary: headerText.map((t) => `Bearer ${t}`) },
			{ weight: 1, arbitrary: headerText }
		);

	const headersOf = (ct: string | undefined, auth: string | undefined): Record<string, string> => {
		const h: Record<string, string> = {};
		if (ct !== undefined) h['content-type'] = ct;
		if (auth !== undefined) h.authorization = auth;
		return h;
	};

	/** A valid change of one of the base records, as a tablet would send it. */
	const validChange = () =>
		fc.tuple(fc.nat({ max: bases.length - 1 }), fc.uuid({ version: 7 }), fc.boolean()).map(([i, id, deleted]) => ({
			table: bases[i]!.table as string,
			id,
			hlc: hlcAfter(null, deviceNode),
			deleted,
			data: bases[i]!.data as unknown
		}));

	/** A valid change with exactly one thing spoiled: in its data, or in its envelope. */
	const spoiledChange = () =>
		validChange().chain((c) =>
			fc.oneof(
				{ weight: 4, arbitrary: spoil(c.data as Record<string, unknown>).map((data) => ({ ...c, data }) as Record<string, unknown>) },
				{ weight: 1, arbitrary: json.filter((d) => kindOf(d) !== 'object').map((data) => ({ ...c, data }) as Record<string, unknown>) },
				{ weight: 2, arbitrary: spoil(c) },
				// A table that is reference data, or not one of ours at all, or named like an Object method.
				{
					weight: 1,
					arbitrary: fc
						.constantFrom('programs', 'sites', 'topics', 'staff', 'constructor', 'toString', '__proto__', 'Visits', 'visits ', 'devices', 'audit_log', '')
						.map((table) => ({ ...c, table }) as Record<string, unknown>)
				}
			)
		);

	// -- properties -------------------------------------------------------------------------------

	it('push: any body, any headers', async () => {
		await fc.assert(
			fc.asyncProperty(garbageBody, contentType, authorization(), async (body, ct, auth) => {
				await send({ method: 'POST', path: '/api/v1/sync/push', headers: headersOf(ct, auth), body }, 'push');
			}),
			runs(1)
		);
	});

	it('push: well-formed envelopes whose changes are each spoiled in one place', async () => {
		const push = fc.record({
			changes: fc.oneof(
				{ weight: 8, arbitrary: fc.array(spoiledChange(), { minLength: 1, maxLength: 6 }) },
				// Many at once, up to and past the limit: each still gets its own verdict, or the whole is refused.
				{
					weight: 1,
					arbitrary: fc.tuple(spoiledChange(), fc.integer({ min: MAX_PUSH_CHANGES - 2, max: MAX_PUSH_CHANGES + 2 })).map(([c, n]) => Array(n).fill(c))
				}
			),
			envelope: fc.oneof(
				{ weight: 8, arbitrary: fc.constant(null) },
				{
					weight: 1,
					arbitrary: fc.tuple(
						keyName.filter((k) => k !== 'protocol' && k !== 'changes'),
						json
					)
				},
				{ weight: 1, arbitrary: spoiled(1).map((p) => ['protocol', p] as const) }
			)
		});
		await fc.assert(
			fc.asyncProperty(push, async ({ changes, envelope }) => {
				const entries: Array<[string, unknown]> = [
					['protocol', 1],
					['changes', changes]
				];
				if (envelope) {
					if (envelope[0] === 'protocol') entries[0] = ['protocol', envelope[1]];
					else entries.push([envelope[0], envelope[1]]);
				}
				const body = JSON.stringify(objectOf(entries));
				const headers = headersOf('application/json', `Bearer ${tokens.active}`);
				await send({ method: 'POST', path: '/api/v1/sync/push', headers, body }, 'push', envelope ? null : changes.length);
			}),
			runs(1.5)
		);
	});

	it('pull: any query string, any authorization', async () => {
		const queryValue = fc.oneof(
			fc.constantFrom(
				'0',
				'1',
				'-1',
				'00',
				'01',
				'1.5',
				'1e3',
				'0x10',
				' 5',
				'5 ',
				'Infinity',
				'NaN',
				'',
				'5000',
				'5001',
				'9223372036854775807',
				'9223372036854775808',
				'9999999999999999999',
				'18446744073709551616',
				'%',
				'%zz',
				'%ED%A0%80',
				'%00'
			),
			fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
			anyText,
			poison
		);
		const queryKey = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('since', 'limit') }, { weight: 1, arbitrary: keyName });
		/** Percent-encoded (a lone surrogate as U+FFFD, as a URL would carry it), or raw: then `%` sequences and `&` mean what they mean. */
		const part = (s: string, raw: boolean) => (raw ? s : encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd')));
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 5 }),
				authorization(),
				fc.constantFrom('GET', 'GET', 'GET', 'POST', 'DELETE'),
				async (pairs, auth, method) => {
					const query = pairs.map(([k, v, raw]) => `${part(k, false)}=${part(v, raw)}`).join('&');
					await send({ method, path: `/api/v1/sync/pull?${query}`, headers: headersOf(undefined, auth) }, 'pull');
				}
			),
			runs(1)
		);
	});

	it('enroll: any body, and valid ones spoiled in one field', async () => {
		const near = fc.oneof(
			// A valid code beside a name that is poisoned, of the wrong type, blank or too long.
			poison.map((name) => ({ code: freshCode, name })),
			spoil({ code: 'CODE', name: 'にこにこ若葉 2' }).map((b) =>
				'code' in b && b.code === 'CODE' ? objectOf(Object.entries(b).map(([k, v]) => [k, k === 'code' ? freshCode : v])) : b
			),
			fc.constantFrom('', '   ', 'x'.repeat(61), '\t').map((name) => ({ code: freshCode, name })),
			// A code that is not one: any text, as the tablet's keyboard or scanner could send it.
			fc.oneof(anyText, poison, fc.constant('AAAAA-AAAAA')).map((code) => ({ code, name: 'にこにこ若葉 2' }))
		);
		const body = fc.oneof({ weight: 2, arbitrary: garbageBody }, { weight: 3, arbitrary: near.map((b) => JSON.stringify(b)) });
		await fc.assert(
			fc.asyncProperty(body, contentType, fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET'), fc.boolean(), async (b, ct, method, sameAddress) => {
				// Mostly a fresh address each time, so that the rate limit lets the request reach the code check.
				const clientAddress = sameAddress ? '203.0.113.9' : `198.51.100.${addressCounter++}`;
				await send({ method, path: '/api/v1/devices/enroll', headers: headersOf(ct, undefined), body: b, clientAddress }, 'enroll');
			}),
			runs(1)
		);
	});

	it('keeps its heap bounded over many requests', async () => {
		const gc = forcedGc();
		const heapAfterGc = () => {
			gc();
			gc();
			return process.memoryUsage().heapUsed;
		};
		const auth = headersOf('application/json', `Bearer ${tokens.active}`);
		// Bodies of tens to hundreds of kilobytes, so that keeping any part of each request would
		// show as megabytes per batch.
		const request = fc.oneof(
			{
				weight: 3,
				arbitrary: fc.array(spoiledChange(), { minLength: 200, maxLength: MAX_PUSH_CHANGES }).map((changes) => (): Req => ({
					method: 'POST',
					path: '/api/v1/sync/push',
					headers: auth,
					body: JSON.stringify({ protocol: 1, changes })
				}))
			},
			garbageBody.map((body) => (): Req => ({ method: 'POST', path: '/api/v1/sync/push', headers: auth, body })),
			poison.map((p) => (): Req => ({ method: 'GET', path: `/api/v1/sync/pull?since=${encodeURIComponent(p.replace(/\p{Cs}/gu, '?'))}`, headers: auth })),
			garbageBody.map((body) => (): Req => ({
				method: 'POST',
				path: '/api/v1/devices/enroll',
				headers: auth,
				body,
				clientAddress: `192.0.2.${addressCounter++}`
			}))
		);
		const perBatch = Math.max(20, RUNS);
		let seed = 0;
		const batch = async () => {
			// One request generated at a time: nothing of a batch is held by the test itself.
			for (let i = 0; i < perBatch; i++) {
				const req = fc.sample(request, { numRuns: 1, seed: seed++ })[0]!();
				await send(req, req.path.includes('enroll') ? 'enroll' : req.path.includes('pull') ? 'pull' : 'push');
			}
		};
		await batch(); // warm-up: compiled code, caches, the store's connections
		const heap = [heapAfterGc()];
		for (let b = 0; b < 3; b++) {
			await batch();
			heap.push(heapAfterGc());
		}
		const MiB = 1024 * 1024;
		const growth = Math.max(...heap) - heap[0]!;
		// The collector's own bookkeeping moves the figure by well under a megabyte; keeping every
		// request body would add 6 to 9 MiB a batch (measured at the default 60 requests).
		expect(growth, `heap after each batch: ${heap.map((h) => (h / MiB).toFixed(1)).join(' → ')} MiB`).toBeLessThan(3 * MiB);
	});

	it('push: valid changes with unusual text never make a 5xx, and a retry gives the same verdicts', async () => {
		// This one writes, so it runs after every property that checks that nothing is written.
		const cardCodes = Array.from({ length: 4 }, () => makeCardCode());
		const ids = Array.from({ length: 4 }, () => uuidv7());
		const change = fc
			.record({
				base: fc.nat({ max: bases.length - 1 }),
				id: fc.oneof(fc.constantFrom(...ids), fc.uuid({ version: 7 })),
				wall: fc.integer({ min: Date.now() - 400 * 86_400_000, max: Date.now() }),
				counter: fc.nat({ max: 3 }),
				deleted: fc.boolean(),
				cardCode: fc.constantFrom(...cardCodes),
				sessionId: fc.constantFrom(fx.sessionId, fx.otherSessionId, ids[0]!),
				text: fc.record(
					{
						nickname: allowedText(false).map((t) => t.trim() || 'x'),
						town: allowedText(false).map((t) => t.trim() || 'x'),
						consentVersion: allowedText(false).map((t) => t.trim() || 'x')
					},
					{ requiredKeys: [] }
				)
			})
			.map(({ base, id, wall, counter, deleted, cardCode, sessionId, text }) => {
				const { table, data } = bases[base]!;
				const d: Record<string, unknown> = { ...data };
				if ('cardCode' in d && d.cardCode !== null) d.cardCode = cardCode;
				if ('sessionId' in d) d.sessionId = sessionId;
				// Free text only where the record has it (a town only when the family lives in the ward).
				for (const [k, v] of Object.entries(text)) if (typeof d[k] === 'string' || (k === 'nickname' && k in d)) d[k] = v;
				return { table, id, hlc: formatHlc({ wall, counter, node: deviceNode }), deleted, data: d };
			});
		const statusOf = (r: { status: string; error?: { code: string } }) => (r.status === 'rejected' ? `rejected:${r.error!.code}` : r.status);
		await fc.assert(
			fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 8 }), async (changes) => {
				const push = async () => {
					const res = await inProcessFetch()(`${BASE_URL}/api/v1/sync/push`, {
						method: 'POST',
						headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.active}` },
						body: JSON.stringify({ protocol: 1, changes })
					});
					expect(res.status, await res.clone().text()).toBe(200);
					return pushResponse.parse(await res.json()).results.map(statusOf);
				};
				const first = await push();
				const again = await push();
				// What was applied is a duplicate now; every other verdict stands, with two exceptions.
				// The card-code check compares with the codes stored before the push,
				// so a household refused a code that another household of the same push gave up gets
				// it on the retry.
				const freedThenTaken = (s: string, i: number) => s === 'rejected:card_code_taken' && again[i] === 'applied';
				// And a change to a record the same push wrote is judged again against the record as it
				// now stands: a duplicate or stale version older than what was applied may be stale or
				// refused now; a refusal stays a refusal (its reason may change), or is stale if a newer
				// version was applied. Nothing of it is applied either time.
				const applied = (i: number, newerOnly: boolean) =>
					changes.some(
						(c, j) => j !== i && first[j] === 'applied' && c.table === changes[i]!.table && c.id === changes[i]!.id && (!newerOnly || c.hlc > changes[i]!.hlc)
					);
				const refused = (v: string) => v.startsWith('rejected:');
				const overtaken = (s: string, i: number) =>
					s === 'duplicate' || s === 'stale'
						? (again[i] === 'stale' || refused(again[i]!)) && applied(i, true)
						: refused(s) && ((refused(again[i]!) && applied(i, false)) || (again[i] === 'stale' && applied(i, true)));
				expect(again).toEqual(first.map((s, i) => (s === 'applied' ? 'duplicate' : freedThenTaken(s, i) ? 'applied' : overtaken(s, i) ? again[i] : s)));
			}),
			runs(0.5)
		);
	});

	it('would have applied every base record unspoiled (the generators spoil a valid change, not an invalid one)', async () => {
		// Last: this one writes.
		const changes = bases.map((b) => ({ table: b.table, id: uuidv7(), hlc: hlcAfter(null, deviceNode), deleted: false, data: b.data }));
		for (const c of changes) expect(TABLE_SCHEMAS[c.table].safeParse(c.data).success).toBe(true);
		const res = await inProcessFetch()(`${BASE_URL}/api/v1/sync/push`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.active}` },
			body: JSON.stringify({ protocol: 1, changes })
		});
		const { results } = pushResponse.parse(await res.json());
		expect(results.map((r) => r.status)).toEqual(changes.map(() => 'applied'));
	});
});
