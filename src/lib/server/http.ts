/**
 * The device API's request and response plumbing, so that endpoints stay thin: authenticate,
 * parse, hand off, respond. Every failure leaves as `{ error: { code, message } }`.
 */
import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import { ApiError } from '$lib/sync/errors';
import { logError } from './log';

export function apiError(e: ApiError): Response {
	return json(e.toJSON(), { status: e.status, headers: e.code === 'rate_limited' ? { 'retry-after': '900' } : undefined });
}

/**
 * Wraps an endpoint: ApiErrors become their JSON, anything else an opaque 500, logged without
 * the request's data or the SQL's parameters (see log.ts).
 */
export function api(fn: (event: RequestEvent) => Promise<Response>): RequestHandler {
	return async (event) => {
		try {
			const res = await fn(event);
			res.headers.set('cache-control', 'no-store');
			// Tablets set their clocks by it (a stamp too far ahead is refused): always present, even
			// where no HTTP server adds it (tests call the handlers in-process).
			res.headers.set('date', new Date().toUTCString());
			return res;
		} catch (e) {
			if (e instanceof ApiError) return apiError(e);
			logError(`api ${event.request.method} ${event.url.pathname}`, e);
			return apiError(new ApiError('internal', 'the centre could not handle this request; it has been logged'));
		}
	};
}

export const methodNotAllowed: RequestHandler = async ({ request }) => apiError(new ApiError('method_not_allowed', `${request.method} is not allowed here`));

/**
 * Read a JSON body of at most `maxBytes`, counting as it streams so that an oversize body is
 * refused without being held in memory.
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/json\b/i.test(type)) throw new ApiError('unsupported_media_type', 'send the body as application/json');
	const declared = Number(request.headers.get('content-length') ?? NaN);
	if (declared > maxBytes) throw new ApiError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
	if (!request.body) throw new ApiError('malformed_json', 'the body is empty');
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel().catch(() => {});
			throw new ApiError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
		}
		chunks.push(value);
	}
	const text = new TextDecoder().decode(Buffer.concat(chunks));
	try {
		return JSON.parse(text);
	} catch {
		throw new ApiError('malformed_json', 'the body is not valid JSON');
	}
}
