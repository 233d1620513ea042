/**
 * The device API's request and response plumbing, so that endpoints stay thin: authenticate,
 * parse, hand off, respond (gzip'd when the client accepts it). Every failure leaves as
 * `{ error: { code, message } }`.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import { ApiError } from '$lib/sync/errors';
import { logError } from './log';
import './zod-locale';

const gzipAsync = promisify(gzip);

/** Answers smaller than this go as they are: compressing them saves less than its own cost. */
export const COMPRESS_MIN_BYTES = 1024;

/**
 * Whether an `Accept-Encoding` header lets the answer be gzip'd (RFC 9110 §12.5.3): `gzip` (or its
 * alias `x-gzip`) listed with a weight above 0, or `*` above 0 with gzip not refused by name. No
 * header: nothing but the plain body is assumed acceptable.
 */
export function acceptsGzip(header: string | null): boolean {
	if (!header) return false;
	let named: number | null = null;
	let any: number | null = null;
	for (const part of header.split(',')) {
		const [coding, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
		const q = params.find((p) => /^q\s*=/.test(p));
		const weight = q === undefined ? 1 : Number(q.replace(/^q\s*=\s*/, ''));
		if (!Number.isFinite(weight)) continue;
		if (coding === 'gzip' || coding === 'x-gzip') named = Math.max(named ?? 0, weight);
		else if (coding === '*') any = weight;
	}
	return named !== null ? named > 0 : any !== null && any > 0;
}

/**
 * The answer gzip'd, when the client accepts it and the body is worth it. adapter-node sends
 * dynamic answers as they are, and a new tablet's first pull is megabytes of JSON that gzip makes
 * about ten times smaller: on a slow link that is most of its time (bench/firstpull.bench.js).
 * Compressed on the thread pool (zlib), not on the thread that serves every request.
 */
export async function compressAnswer(request: Request, res: Response): Promise<Response> {
	if (!res.body || res.headers.has('content-encoding')) return res;
	res.headers.append('vary', 'accept-encoding');
	if (!acceptsGzip(request.headers.get('accept-encoding')) || Number(res.headers.get('content-length') ?? NaN) < COMPRESS_MIN_BYTES) return res;
	const body = new Uint8Array(await res.arrayBuffer());
	const headers = new Headers(res.headers);
	if (body.byteLength < COMPRESS_MIN_BYTES) return new Response(body, { status: res.status, statusText: res.statusText, headers });
	const packed = await gzipAsync(body);
	headers.set('content-encoding', 'gzip');
	headers.set('content-length', String(packed.byteLength));
	return new Response(new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength), { status: res.status, statusText: res.statusText, headers });
}

export function apiError(e: ApiError): Response {
	const headers: Record<string, string> = {};
	if (e.code === 'rate_limited') headers['retry-after'] = '900';
	// A revoked tablet's browser deletes everything this origin keeps on it: IndexedDB's files (a
	// cleared table's records stay in them until the browser compacts them), Cache Storage, the
	// service worker and the HTTP cache. The tablet wipes its records itself too (wipe.ts).
	if (e.code === 'device_revoked') headers['clear-site-data'] = '"cache", "storage"';
	return json(e.toJSON(), { status: e.status, headers });
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
			return await compressAnswer(event.request, res);
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
	// Node's own UTF-8 decoding (several times faster than TextDecoder on a push's few hundred
	// kilobytes), with a byte-order mark left out as TextDecoder would.
	const decoded = Buffer.concat(chunks).toString('utf8');
	const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
	try {
		return JSON.parse(text);
	} catch {
		throw new ApiError('malformed_json', 'the body is not valid JSON');
	}
}
