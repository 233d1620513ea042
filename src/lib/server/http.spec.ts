import { describe, expect, it, vi } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { ApiError } from '$lib/sync/errors';
import type { Store } from './db/store';
import { openForSuite, testStores } from '../../../tests/stores';
import { api, readJson } from './http';

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
