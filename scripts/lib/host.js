/**
 * Hosting the built app (build/handler.js, adapter-node's request handler) in this process.
 *
 * One process serves everything: the public server (HTTP, or HTTPS with TLS_CERT_FILE and
 * TLS_KEY_FILE) and the admin channel, a second HTTP server on the Unix socket
 * `<HIROBA_DATA_DIR>/admin.sock` (mode 0600). The admin channel is DESIGN.md's "local-only
 * channel": only it may reach /internal/…, because only it adds the per-process admin secret that
 * the admin route checks. The public server strips that header from every request and answers 404
 * for /internal/… (however the path is spelt) without ever calling the app, and 400 for a Host
 * header that is not a plain host and port. It also starts every response with the security
 * headers (baselineHeaders), which the prerendered pages and static files get from nowhere else.
 *
 * The socket also says who holds the data folder: a running server, or an admin command hosting
 * the app for one command. `npm start` waits for the latter and refuses the former; `npm run admin`
 * sends its command to the former and waits for the latter.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HANDLER } from './build.js';

export const ADMIN_HEADER = 'x-hiroba-admin';
export const PROTO_HEADER = 'x-hiroba-proto';
/** How long a starting server or an admin command waits for another holder of the data folder. */
const WAIT_MS = 60_000;

/** @typedef {(req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void} Handler */
/** @typedef {{ role: 'server' | 'admin-cli', pid: number }} Holder */

export function dataDir() {
	return resolve(process.env.HIROBA_DATA_DIR || join(process.cwd(), 'data'));
}

/** @param {string} [dir] */
export function adminSocketPath(dir = dataDir()) {
	return join(dir, 'admin.sock');
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {unknown} e */
export function errorMessage(e) {
	return e instanceof Error ? e.message : String(e);
}

/** @param {number} pid */
function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM';
	}
}

/**
 * The live process holding the embedded store's lock file (see server/db/store.ts), if any.
 * @param {string} dir
 * @returns {number | null}
 */
function pgliteLockHolder(dir) {
	if (process.env.DATABASE_URL) return null;
	try {
		const pid = Number(readFileSync(join(dir, 'hiroba.lock'), 'utf8'));
		return pid && pid !== process.pid && pidAlive(pid) ? pid : null;
	} catch {
		return null;
	}
}

/**
 * Who answers on the admin socket, or null if nobody does (no socket, or a stale one).
 * @param {string} socketPath
 * @returns {Promise<Holder | null>}
 */
export function probeAdminSocket(socketPath) {
	if (!existsSync(socketPath)) return Promise.resolve(null);
	return new Promise((resolvePromise) => {
		const req = http.request({ socketPath, path: '/_host', method: 'GET', headers: { host: 'localhost' }, timeout: 5000 }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (c) => (body += c));
			res.on('end', () => {
				try {
					const h = JSON.parse(body);
					resolvePromise(h && (h.role === 'server' || h.role === 'admin-cli') ? { role: h.role, pid: Number(h.pid) } : null);
				} catch {
					resolvePromise(null);
				}
			});
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolvePromise(null));
		req.end();
	});
}

/**
 * Wait until the data folder is either served by a running server (returned) or free for this
 * process (null). An admin command in progress, or a server still starting (it holds the store's
 * lock but has no admin socket yet), is waited for.
 * @param {string} dir
 * @param {(line: string) => void} log
 * @returns {Promise<Holder | null>}
 */
export async function settleDataDir(dir, log) {
	const socketPath = adminSocketPath(dir);
	const deadline = Date.now() + WAIT_MS;
	let told = false;
	for (;;) {
		const holder = await probeAdminSocket(socketPath);
		if (holder?.role === 'server') return holder;
		const lockPid = pgliteLockHolder(dir);
		if (!holder && !lockPid) return null;
		if (Date.now() > deadline) {
			throw new Error(
				holder
					? `an admin command (pid ${holder.pid}) has held ${dir} for over ${WAIT_MS / 1000} s`
					: `process ${lockPid} holds the data folder ${dir} but does not answer on ${socketPath}; if it is not Hiroba, stop it`
			);
		}
		if (!told) {
			log(
				holder ? `[hiroba] waiting for an admin command (pid ${holder.pid}) to finish…` : `[hiroba] waiting for process ${lockPid}, which is opening ${dir}…`
			);
			told = true;
		}
		await sleep(200);
	}
}

/**
 * Import the built app. Importing adapter-node's handler runs the app's `init` hook, which opens
 * and migrates the store. The admin secret is made here, per process, and never leaves it.
 * @returns {Promise<{ handler: Handler, secret: string }>}
 */
export async function loadApp() {
	process.env.BODY_SIZE_LIMIT ||= '2M';
	// Our own header, set by the public server from how it was reached (never taken from a client).
	process.env.PROTOCOL_HEADER = PROTO_HEADER;
	const secret = randomBytes(32).toString('base64url');
	process.env.HIROBA_ADMIN_SECRET = secret;
	const mod = await import(pathToFileURL(HANDLER).href);
	return { handler: mod.handler, secret };
}

/** @param {http.ServerResponse} res */
function notFound(res) {
	res.statusCode = 404;
	res.setHeader('content-type', 'text/plain; charset=utf-8');
	res.end('Not found');
}

/**
 * The path the app will route for a request target, or null when that cannot be told (a target
 * that is not a path, a malformed %-escape, a spelling that does not settle).
 *
 * adapter-node appends the target to an origin and parses it with WHATWG URL, which resolves dot
 * segments (also spelt %2e), turns backslashes into slashes and drops tabs and newlines; SvelteKit
 * then %-decodes the path. So: parse the same way, decode, and again, until nothing changes, so that
 * no amount of encoding hides a dot segment or a slash. A `?` or `#` that decoding brings out is
 * part of the path, not the start of a query, so it stays escaped for the next round.
 * @param {string | undefined} url the request target, as in `req.url`
 * @returns {string | null}
 */
export function appPath(url) {
	if (typeof url !== 'string' || !url.startsWith('/')) return null;
	let path = url;
	for (let round = 0; round < 8; round++) {
		let next;
		try {
			next = decodeURIComponent(new URL(`http://host${path}`).pathname).replace(/[?#]/g, encodeURIComponent);
		} catch {
			return null;
		}
		if (next === path) return path;
		path = next;
	}
	return null;
}

/**
 * Whether a request target must not reach the app from the public server: anything under
 * /internal/, however it is spelt (%-escapes, double escapes, dot segments, backslashes, doubled
 * slashes, case), and anything whose path cannot be told for sure.
 * @param {string | undefined} url
 */
export function isInternalPath(url) {
	const path = appPath(url);
	if (path === null) return true;
	const folded = path.replace(/\/+/g, '/').toLowerCase();
	return folded === '/internal' || folded.startsWith('/internal/');
}

/**
 * Whether a Host header is a plain host and port. adapter-node builds the request's URL from it
 * (`http://<host><target>`), so a Host carrying a path, query or fragment would choose the path the
 * app routes, past every check on the target.
 * @param {string | string[] | undefined} value
 */
export function isPlainAuthority(value) {
	if (value === undefined) return true; // adapter-node refuses a request without one itself
	return typeof value === 'string' && /^(?:[\w.~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(value);
}

/** The Permissions-Policy of every response (as src/hooks.server.ts sets for the app's own). */
const PERMISSIONS_POLICY = 'camera=(self), microphone=(), geolocation=()';

/**
 * Headers every public response starts with, before the app runs: the prerendered pages (/kiosk,
 * /staff) and static files are answered by adapter-node's file server, which the app's `handle`
 * hook never sees. A page the app renders replaces the Content-Security-Policy with its own full
 * one (svelte.config.js), which has these directives too. Prerendered pages carry their full policy
 * in a <meta> tag, which cannot say frame-ancestors; this one can. Browsers enforce every policy a
 * page has, so this one restricts nothing the pages, the service worker or the decoder worker need:
 * no script, style, connect or worker rule.
 * @param {{ tls: boolean, origin?: string }} opts
 * @returns {Record<string, string>}
 */
export function baselineHeaders(opts) {
	/** @type {Record<string, string>} */
	const headers = {
		'x-content-type-options': 'nosniff',
		// same-origin, not no-referrer: see src/hooks.server.ts (plain form posts need their Origin).
		'referrer-policy': 'same-origin',
		'permissions-policy': PERMISSIONS_POLICY,
		'x-frame-options': 'DENY',
		'content-security-policy': "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
	};
	// Over HTTPS, whether ours or a TLS proxy's in front (ORIGIN says so): never plain HTTP again.
	if (opts.tls || opts.origin?.startsWith('https:')) headers['strict-transport-security'] = 'max-age=31536000';
	return headers;
}

/** @param {http.ServerResponse} res */
function badRequest(res) {
	res.statusCode = 400;
	res.setHeader('content-type', 'text/plain; charset=utf-8');
	res.end('Bad Request');
}

/**
 * @param {Handler} handler
 * @param {{ port: number, host: string, tls: { cert: Buffer, key: Buffer } | null }} opts
 * @returns {Promise<http.Server>}
 */
export async function listenPublic(handler, opts) {
	const proto = opts.tls ? 'https' : 'http';
	const baseline = Object.entries(baselineHeaders({ tls: !!opts.tls, origin: process.env.ORIGIN }));
	const hostHeader = (process.env.HOST_HEADER || 'host').toLowerCase();
	/** @type {http.RequestListener} */
	const onRequest = (req, res) => {
		for (const [name, value] of baseline) res.setHeader(name, value);
		delete req.headers[ADMIN_HEADER];
		req.headers[PROTO_HEADER] = proto;
		if (!isPlainAuthority(req.headers.host) || !isPlainAuthority(req.headers[hostHeader])) return badRequest(res);
		if (isInternalPath(req.url)) return notFound(res);
		handler(req, res, () => notFound(res));
	};
	const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
	await new Promise((resolvePromise, reject) => {
		server.once('error', reject);
		server.listen(opts.port, opts.host, () => {
			server.off('error', reject);
			resolvePromise(undefined);
		});
	});
	return server;
}

/**
 * The admin channel: a Unix socket only this user can open. Every request through it carries the
 * admin secret; `/_host` tells who holds the data folder.
 * @param {Handler} handler
 * @param {string} secret
 * @param {string} socketPath
 * @param {Holder['role']} role
 * @returns {Promise<http.Server>}
 */
export async function listenAdmin(handler, secret, socketPath, role) {
	const server = http.createServer((req, res) => {
		if (req.url === '/_host') {
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ role, pid: process.pid }));
			return;
		}
		if (!(req.url ?? '').startsWith('/internal/')) return notFound(res);
		req.headers[ADMIN_HEADER] = secret;
		req.headers[PROTO_HEADER] = 'http';
		req.headers.host ||= 'localhost';
		handler(req, res, () => notFound(res));
	});
	if (Buffer.byteLength(socketPath) > 100) {
		throw new Error(`the admin socket path ${socketPath} is too long for a Unix socket: use a shorter HIROBA_DATA_DIR`);
	}
	// The caller has made sure nobody answers on the socket, so a file left there is stale.
	try {
		unlinkSync(socketPath);
	} catch {
		/* not there */
	}
	// Created 0600 from the start (umask), not chmod-ed after a window in which anyone could connect.
	const umask = process.umask(0o177);
	try {
		await new Promise((resolvePromise, reject) => {
			server.once('error', reject);
			server.listen(socketPath, () => {
				server.off('error', reject);
				resolvePromise(undefined);
			});
		});
	} finally {
		process.umask(umask);
	}
	chmodSync(socketPath, 0o600);
	return server;
}

/**
 * Send one admin command through the admin socket.
 * @param {string} socketPath
 * @param {string} command
 * @param {unknown} args
 * @returns {Promise<{ status: number, body: any }>}
 */
export function adminRequest(socketPath, command, args) {
	const payload = Buffer.from(JSON.stringify(args ?? {}));
	return new Promise((resolvePromise, reject) => {
		const req = http.request(
			{
				socketPath,
				method: 'POST',
				path: `/internal/admin/${encodeURIComponent(command)}`,
				headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': payload.length }
			},
			(res) => {
				/** @type {Buffer[]} */
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					try {
						resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(text) });
					} catch {
						resolvePromise({
							status: res.statusCode ?? 0,
							body: { error: { code: 'internal', message: `unexpected answer from the admin channel: ${text.slice(0, 200)}` } }
						});
					}
				});
				res.on('error', reject);
			}
		);
		req.on('error', reject);
		req.end(payload);
	});
}

/** @param {http.Server} server */
function closeServer(server) {
	return new Promise((resolvePromise) => {
		server.close(() => resolvePromise(undefined));
		server.closeIdleConnections();
		// Requests still running get a moment to finish; then their connections are cut.
		setTimeout(() => server.closeAllConnections(), 5000).unref();
	});
}

/**
 * Close the servers, then let the app close its store, then exit. The app listens for
 * `sveltekit:shutdown` (as under adapter-node's own server); its listener returns a promise, which
 * is awaited here so that the store is closed before the process ends.
 * @param {Array<http.Server | null>} servers
 * @param {string} reason
 * @param {number} [code]
 */
export async function shutdown(servers, reason, code = 0) {
	setTimeout(() => {
		console.error('[hiroba] shutdown is taking too long; exiting');
		process.exit(1);
	}, 30_000).unref();
	await Promise.all(servers.filter((s) => s !== null).map((s) => closeServer(s)));
	const listeners = /** @type {Array<(reason: string) => unknown>} */ (/** @type {unknown} */ (process.listeners(/** @type {any} */ ('sveltekit:shutdown'))));
	await Promise.allSettled(listeners.map(async (listener) => listener(reason)));
	process.exit(code);
}

/**
 * @param {Array<http.Server | null>} servers
 * @param {(signal: string) => void} [onSignal]
 */
export function exitOnSignals(servers, onSignal) {
	let stopping = false;
	/** @param {NodeJS.Signals} signal */
	const stop = (signal) => {
		if (stopping) return;
		stopping = true;
		onSignal?.(signal);
		void shutdown(servers, signal);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

/** @returns {{ cert: Buffer, key: Buffer } | null} */
function tlsFromEnv() {
	const certFile = process.env.TLS_CERT_FILE;
	const keyFile = process.env.TLS_KEY_FILE;
	if (!certFile && !keyFile) return null;
	if (!certFile || !keyFile) throw new Error('set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
	return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * `npm start`: serve the public server and the admin channel, run the startup command (demo data
 * on an empty store, a fresh enrollment code) and print the banner.
 */
export async function serve() {
	const dir = dataDir();
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	// A folder that existed keeps its mode unless told (mkdir's mode is for new folders); the store
	// (server/db/store.ts) then makes everything inside it private too.
	chmodSync(dir, 0o700);
	const socketPath = adminSocketPath(dir);
	const port = Number(process.env.PORT ?? 3000);
	const host = process.env.HOST || '0.0.0.0';
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
	const tls = tlsFromEnv();

	const other = await settleDataDir(dir, (line) => console.error(line));
	if (other && !process.env.DATABASE_URL) {
		throw new Error(`Hiroba is already running on ${dir} (pid ${other.pid}); stop it first, or use \`npm run admin\`, which talks to it`);
	}

	const { handler, secret } = await loadApp();
	/** @type {Array<http.Server | null>} the servers to close on a signal, as they come up */
	const servers = [];
	exitOnSignals(servers, (signal) => console.error(`[hiroba] ${signal}: stopping…`));
	try {
		// On PostgreSQL several processes may serve one store; only the first on this folder has the admin channel.
		const admin = other ? null : await listenAdmin(handler, secret, socketPath, 'server');
		servers.push(admin);
		const publicServer = await listenPublic(handler, { port, host, tls });
		servers.push(publicServer);
		const address = /** @type {import('node:net').AddressInfo} */ (publicServer.address());
		const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
		const base = `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`;
		let startup = null;
		if (admin) {
			const r = await adminRequest(socketPath, 'startup', {});
			if (r.status !== 200) throw new Error(`the startup command failed: ${r.body?.error?.message ?? `status ${r.status}`}`);
			startup = r.body;
		}
		console.log(banner(base, host, address.port, !!tls, startup, admin ? socketPath : null));
	} catch (e) {
		console.error(`[hiroba] ${errorMessage(e)}`);
		await shutdown(servers, 'error', 1);
	}
}

/**
 * @param {string} base
 * @param {string} host
 * @param {number} port
 * @param {boolean} tls
 * @param {any} startup
 * @param {string | null} socketPath
 */
function banner(base, host, port, tls, startup, socketPath) {
	const lines = ['', `Hiroba ひろば is running at ${base} (pid ${process.pid})`, ''];
	const pad = (/** @type {string} */ s, /** @type {number} */ n) => s + ' '.repeat(Math.max(1, n - width(s)));
	lines.push(`  ${pad('キオスク  Kiosk', 22)}${base}/kiosk`);
	lines.push(`  ${pad('スタッフ  Staff', 22)}${base}/staff`);
	lines.push(`  ${pad('センター  Centre', 22)}${base}/centre`);
	lines.push(`  ${pad('端末API   Device API', 22)}${base}/api/v1/`);
	if (host === '0.0.0.0' || host === '::') {
		const lan = Object.values(networkInterfaces())
			.flat()
			.filter((i) => i && i.family === 'IPv4' && !i.internal)
			.map((i) => `${tls ? 'https' : 'http'}://${i?.address}:${port}`);
		if (lan.length > 0) lines.push(`  ${pad('ネットワーク Network', 22)}${lan.join('  ')}${tls ? '' : '  (tablets need HTTPS: see README)'}`);
	}
	lines.push('');
	if (startup?.store) lines.push(`  Store: ${startup.store.description}`);
	if (socketPath) lines.push(`  Admin: npm run admin -- help   (local channel ${socketPath})`);
	else lines.push('  Admin: through the process that holds this data folder’s admin channel');
	const demo = startup?.demo;
	if (demo) {
		lines.push('');
		lines.push(
			`  Demo data loaded (fictional): ${demo.programs} programs, ${demo.sites.ohisama + demo.sites.nikoniko + demo.sites.nobinobi} sites, ${demo.sessions} sessions, ${demo.households} households, ${demo.children} children, ${demo.visits} visits`
		);
		lines.push('  Demo sign-ins — staff PIN on the tablet; login/password at /centre:');
		for (const s of demo.staff) {
			const login = s.loginName ? `  login ${s.loginName} / ${s.password}` : '';
			lines.push(`    ${pad(s.displayName, 26)}${pad(s.role, 13)}PIN ${s.pin}${login}`);
		}
	}
	const e = startup?.enrollment;
	lines.push('');
	if (e) {
		const until = new Date(e.expiresAt).toLocaleTimeString('ja-JP', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit' });
		lines.push(
			`  Enrollment code 登録コード: ${e.code}  for ${e.sites.map((/** @type {any} */ s) => s.nameJa).join(', ')}  (single use, valid until ${until} JST)`
		);
		lines.push(`    curl -X POST ${base}/api/v1/devices/enroll -H 'content-type: application/json' -d '{"code":"${e.code}","name":"tablet 1"}'`);
		lines.push('    More codes: npm run admin -- sites, then npm run admin -- enroll-code <siteId>');
	} else if (startup) {
		lines.push('  No sites yet, so no enrollment code: add sites at /centre, then npm run admin -- enroll-code <siteId>');
	}
	lines.push('', '  Stop with Ctrl+C.', '');
	return lines.join('\n');
}

/**
 * Display width in a terminal: East Asian wide characters take two columns.
 * @param {string} s
 */
export function width(s) {
	let w = 0;
	for (const ch of s) {
		const c = ch.codePointAt(0) ?? 0;
		w +=
			(c >= 0x1100 && c <= 0x115f) ||
			(c >= 0x2e80 && c <= 0xa4cf) ||
			(c >= 0xac00 && c <= 0xd7a3) ||
			(c >= 0xf900 && c <= 0xfaff) ||
			(c >= 0xfe30 && c <= 0xfe4f) ||
			(c >= 0xff00 && c <= 0xff60) ||
			(c >= 0xffe0 && c <= 0xffe6)
				? 2
				: 1;
	}
	return w;
}
