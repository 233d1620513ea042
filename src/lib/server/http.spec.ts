import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { json, type RequestEvent } from '@sveltejs/kit';
import { ApiError } from '$lib/sync/errors';
import type { Store } from './db/store';
import { openForSuite, testStores } from '../../../tests/stores';
import { COMPRESS_MIN_BYTES, acceptsGzip, api, readJson } from './http';

/** Stands for a family's data in a request body. */
const MARKER = 'MARKER-佐藤ゆい-0417';

function event(body: unknown): RequestEvent {
	const request = new Request('http://centre.test/api/v1/sync/push', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});
	return { request, url: new URL(request.url) } as unknown as RequestEvent;
}

/** Call a wrapped endpoint, returning its response and everything it wrote to console.error. */
async function run(handler: ReturnType<typeof api>, body: unknown): Promise<{ res: Response; log: string }> {
	const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
	try {
		const res = await handler(event(body));
		return { res, log: spy.mock.calls.map((args) => args.map(String).join(' ')).join('\n') };
	} finally {
		spy.mockRestore();
	}
}

describe.each(testStores())('api() on $name', (ts) => {
	let store: Store;
	openForSuite(ts, (s) => (store = s));

	it('answers an unexpected database error with an opaque 500 and logs nothing of the request body', async () => {
		// The endpoint hands the body's text to SQL, which refuses it and quotes it in its message.
		const handler = api(async ({ request }) => {
			const body = (await readJson(request, 4096)) as { nickname: string };
			await store.query('select $1::uuid', [body.nickname]);
			return new Response('unreachable');
		});
		const { res, log } = await run(handler, { nickname: MARKER });
		expect(res.status).toBe(500);
		const answer = await res.text();
		expect(JSON.parse(answer)).toEqual({ error: { code: 'internal', message: expect.any(String) } });
		expect(answer).not.toContain(MARKER);
		expect(log).toMatch(/^\[api POST \/api\/v1\/sync\/push\] database error SQLSTATE 22P02/);
		expect(log).not.toContain(MARKER);
	});
});

describe('api()', () => {
	it('answers an ApiError with its own status and code, and logs nothing', async () => {
		const { res, log } = await run(
			api(async () => {
				throw new ApiError('forbidden', 'not yours');
			}),
			{}
		);
		expect(res.status).toBe(403);
		expect(await res.json()).toEqual({ error: { code: 'forbidden', message: 'not yours' } });
		expect(log).toBe('');
	});

	it('marks successful answers as not to be cached', async () => {
		const { res } = await run(
			api(async () => new Response('{}')),
			{}
		);
		expect(res.headers.get('cache-control')).toBe('no-store');
	});
});

describe('gzip for clients that accept it', () => {
	it.each([
		['gzip, deflate, br, zstd', true],
		['GZIP;Q=0.5', true],
		['x-gzip', true],
		['*', true],
		['br;q=1, *;q=0.1', true],
		['gzip;q=0', false],
		['gzip;q=0, *', false],
		['*;q=0', false],
		['br, deflate', false],
		['identity', false],
		['', false]
	] as const)('reads Accept-Encoding %j as gzip acceptable: %s', (header, ok) => {
		expect(acceptsGzip(header)).toBe(ok);
	});

	it('takes no header as plain only', () => {
		expect(acceptsGzip(null)).toBe(false);
	});

	/** A pull-like answer of `rows` rows through api(), asked with `accept`. */
	async function answer(rows: number, accept?: string): Promise<Response> {
		const body = { changes: Array.from({ length: rows }, (_, i) => ({ table: 'households', id: `id-${i}`, data: { town: '本町2丁目' } })), more: false };
		const handler = api(async () => json(body));
		const request = new Request('http://centre.test/api/v1/sync/pull', { headers: accept ? { 'accept-encoding': accept } : {} });
		return handler({ request, url: new URL(request.url) } as unknown as RequestEvent);
	}

	it('gzips a large answer when asked, with its length and Vary, the same JSON inside', async () => {
		const res = await answer(500, 'gzip, deflate, br');
		expect(res.headers.get('content-encoding')).toBe('gzip');
		expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
		expect(res.headers.get('cache-control')).toBe('no-store');
		const packed = Buffer.from(await res.arrayBuffer());
		expect(res.headers.get('content-length')).toBe(String(packed.length));
		const plain = await (await answer(500)).text();
		expect(packed.length).toBeLessThan(plain.length / 5);
		expect(gunzipSync(packed).toString('utf8')).toBe(plain);
	});

	it('sends a large answer plain to a client that does not accept gzip, and a small one plain to anyone', async () => {
		const plain = await answer(500);
		expect(plain.headers.get('content-encoding')).toBeNull();
		expect(plain.headers.get('vary')).toMatch(/accept-encoding/i);
		expect((await plain.json()).changes).toHaveLength(500);
		const small = await answer(1, 'gzip');
		expect(small.headers.get('content-encoding')).toBeNull();
		const text = await small.text();
		expect(text.length).toBeLessThan(COMPRESS_MIN_BYTES);
		expect(JSON.parse(text).changes).toHaveLength(1);
	});
});

describe('readJson', () => {
	/** A request whose body arrives in the given pieces of bytes. */
	const streamed = (pieces: Uint8Array[]) =>
		new Request('http://centre.test/api/v1/sync/push', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: new ReadableStream({
				start(c) {
					for (const p of pieces) c.enqueue(p);
					c.close();
				}
			}),
			duplex: 'half'
		} as RequestInit);
	const bytes = (s: string) => new TextEncoder().encode(s);

	it('reads UTF-8 whose characters are split between the pieces of the body', async () => {
		const whole = bytes(JSON.stringify({ name: '佐藤ゆい🌸' }));
		// Cut inside every multi-byte character: each piece ends mid-character.
		const pieces = Array.from({ length: whole.length }, (_, i) => whole.slice(i, i + 1));
		expect(await readJson(streamed(pieces), 4096)).toEqual({ name: '佐藤ゆい🌸' });
	});

	it('leaves out a byte-order mark before the JSON', async () => {
		expect(await readJson(streamed([Uint8Array.of(0xef, 0xbb, 0xbf), bytes('{"a":1}')]), 4096)).toEqual({ a: 1 });
	});

	it('reads bytes that are not UTF-8 as U+FFFD, as a browser would', async () => {
		expect(await readJson(streamed([bytes('{"a":"x'), Uint8Array.of(0xff), bytes('y"}')]), 4096)).toEqual({ a: 'x\ufffdy' });
	});

	it('refuses a body that is not JSON, and one over the limit, with their codes', async () => {
		await expect(readJson(streamed([bytes('{"a":')]), 4096)).rejects.toMatchObject({ code: 'malformed_json' });
		await expect(readJson(streamed([bytes(JSON.stringify({ a: 'x'.repeat(100) }))]), 64)).rejects.toMatchObject({ code: 'payload_too_large' });
	});
});
