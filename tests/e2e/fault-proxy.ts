/**
 * An HTTP proxy in front of the centre, for reliability tests: the tablet's browser loads its page
 * and talks to the centre through it, on one origin, so the app needs no change to use it (its sync
 * engine's base URL is the page's origin). Pages and assets pass untouched; requests to the sync
 * API (/api/v1/sync/*) can be made to misbehave, one decision per request:
 *
 * - pass      forwarded, the centre's answer relayed
 * - drop      never forwarded; the connection is cut (the tablet sees a network error)
 * - cut       forwarded, the centre's whole answer read, then the connection cut before any of it
 *             reaches the tablet: the centre did the work, the tablet does not know
 * - duplicate forwarded twice at once; the first answer to come back is relayed
 * - delay     held 0.2–2 s, then forwarded
 * - late      the connection cut at once, the request delivered to the centre 0.5–3 s later
 *             (stuck in the network while the tablet moved on); its answer goes nowhere
 * - error500  answered 500 with a plain-text body, never forwarded (a broken gateway)
 *
 * Bodies are buffered (a push is at most a few hundred KiB), so a request can be sent twice and an
 * answer read whole before it is relayed or not. The upstream can be changed at any time (a
 * restarted server listens on a new port).
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export const FAULTS = ['pass', 'drop', 'cut', 'duplicate', 'delay', 'late', 'error500'] as const;
export type Fault = (typeof FAULTS)[number];

export interface ProxiedRequest {
	/** 1, 2, … in the order sync requests reached the proxy (page and asset requests are not counted). */
	n: number;
	/** 1, 2, … among pushes only. */
	push: number | null;
	method: string;
	path: string;
	kind: 'push' | 'pull' | 'other';
	body: Buffer;
}

export interface Answer {
	status: number;
	headers: IncomingHttpHeaders;
	body: Buffer;
}

/** An answer's body as JSON, decoded first when the centre gzip'd it (it does for 1 KiB or more). */
export function answerJson<T>(a: Answer): T {
	const body = /\bgzip\b/i.test(String(a.headers['content-encoding'] ?? '')) ? gunzipSync(a.body) : a.body;
	return JSON.parse(body.toString()) as T;
}

export interface LogEntry {
	n: number;
	kind: ProxiedRequest['kind'];
	fault: Fault;
	/** The centre's status (first copy for a duplicate), or null if it gave none (down, or killed mid-way). */
	status: number | null;
	/** What the tablet got. */
	outcome: 'relayed' | 'cut' | 'dropped' | 'error500' | 'failed';
}

export interface FaultProxy {
	url: string;
	/** Where requests go (the server's URL); may be changed between requests. */
	upstream: string;
	/** Page and asset requests go here instead, if set (a page server); the API always goes upstream. */
	pages: string | null;
	/** What to do with each sync request; null: pass everything. */
	decide: ((r: ProxiedRequest) => Fault) | null;
	/** Called as a sync request leaves for the centre (each copy of a duplicate). */
	onForward: ((r: ProxiedRequest) => void) | null;
	/** Called with every answer the centre gives to a sync request (each copy of a duplicate, a late one too), relayed or not. */
	onExchange: ((r: ProxiedRequest, a: Answer) => void) | null;
	/** Called with the centre's answer before it is relayed; false: cut the connection instead. */
	onAnswer: ((r: ProxiedRequest, a: Answer) => boolean | Promise<boolean>) | null;
	readonly log: LogEntry[];
	/** Resolves once every request still on its way (late deliveries included) has ended. */
	idle(): Promise<void>;
	close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length'];

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

/** One request to `base`, with the client's own headers (its Host included: the centre sees the proxy's origin). */
function send(base: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
	const target = new URL(path, base);
	const out: IncomingHttpHeaders = { ...headers };
	for (const h of HOP_BY_HOP) delete out[h];
	if (body.length > 0 || !['GET', 'HEAD'].includes(method)) out['content-length'] = String(body.length);
	return new Promise((resolve, reject) => {
		const req = request({ hostname: target.hostname, port: target.port, path: target.pathname + target.search, method, headers: out, agent: false }, (res) => {
			readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

function relay(res: ServerResponse, a: Answer): void {
	const headers: IncomingHttpHeaders = { ...a.headers };
	for (const h of HOP_BY_HOP) delete headers[h];
	headers['content-length'] = String(a.body.length);
	res.writeHead(a.status, headers);
	res.end(a.body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFaultProxy(upstream: string, opts: { random?: () => number } = {}): Promise<FaultProxy> {
	const random = opts.random ?? Math.random;
	const inFlight = new Set<Promise<unknown>>();
	const track = <T>(p: Promise<T>): Promise<T> => {
		inFlight.add(p);
		void p.then(
			() => inFlight.delete(p),
			() => inFlight.delete(p)
		);
		return p;
	};
	let n = 0;
	let pushes = 0;

	const handle = async (req: IncomingMessage, res: ServerResponse) => {
		const method = req.method ?? 'GET';
		const path = req.url ?? '/';
		const body = await readBody(req);
		const cutOff = () => req.socket.destroy();
		if (!path.startsWith('/api/v1/sync/')) {
			// Pages, assets, enrollment, lookups: passed as they are.
			try {
				relay(res, await send(path.startsWith('/api/') ? proxy.upstream : (proxy.pages ?? proxy.upstream), method, path, req.headers, body));
			} catch {
				cutOff();
			}
			return;
		}
		const kind = path.startsWith('/api/v1/sync/push') ? 'push' : path.startsWith('/api/v1/sync/pull') ? 'pull' : 'other';
		const r: ProxiedRequest = { n: ++n, push: kind === 'push' ? ++pushes : null, method, path, kind, body };
		const fault: Fault = proxy.decide?.(r) ?? 'pass';
		const entry: LogEntry = { n: r.n, kind, fault, status: null, outcome: 'failed' };
		proxy.log.push(entry);
		const forward = () => {
			const p = send(proxy.upstream, method, path, req.headers, body).then((a) => {
				proxy.onExchange?.(r, a);
				return a;
			});
			proxy.onForward?.(r);
			return p;
		};
		try {
			switch (fault) {
				case 'drop':
					entry.outcome = 'dropped';
					return cutOff();
				case 'error500':
					entry.outcome = 'error500';
					res.writeHead(500, { 'content-type': 'text/plain' });
					return res.end('Internal Server Error');
				case 'late':
					entry.outcome = 'cut';
					cutOff();
					await sleep(500 + random() * 2500);
					entry.status = (await forward()).status;
					return;
				case 'cut':
					entry.status = (await forward()).status;
					entry.outcome = 'cut';
					return cutOff();
				case 'delay':
					await sleep(200 + random() * 1800);
					break;
			}
			let answer: Answer;
			if (fault === 'duplicate') {
				const copies = [forward(), forward()];
				// The other copy is still awaited (by idle()), but the tablet gets the first answer.
				for (const c of copies) void track(c.catch(() => null));
				answer = await Promise.any(copies);
			} else {
				answer = await forward();
			}
			entry.status = answer.status;
			if (proxy.onAnswer && !(await proxy.onAnswer(r, answer))) {
				entry.outcome = 'cut';
				return cutOff();
			}
			entry.outcome = 'relayed';
			relay(res, answer);
		} catch {
			// The centre went away mid-request (killed, restarting): the tablet's connection goes too.
			cutOff();
		}
	};

	const server = createServer((req, res) => void track(handle(req, res)));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	const proxy: FaultProxy = {
		url: `http://127.0.0.1:${port}`,
		upstream,
		pages: null,
		decide: null,
		onForward: null,
		onExchange: null,
		onAnswer: null,
		log: [],
		async idle() {
			while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
	return proxy;
}
