/**
 * A Vite dev server for benchmark pages (bench/pages/*.html), which import the app's own modules
 * through `$lib` and run them in Chromium.
 *
 * A page that talks to a server (the centre's device API, pouchdb-server) is opened on that server's
 * own origin with `openOn`, as a tablet's page is: its requests go from Chromium straight to the
 * server, with no proxy between. Only the page's own files (everything under BASE) are handed to
 * Chromium by the driver, from this Vite server, through CDP's Fetch domain; no other request is
 * intercepted.
 *
 * Options: `alias` adds module aliases, and `prebundle` names packages that Vite must pre-bundle
 * because they, or their dependencies, are CommonJS.
 */
import { createServer } from 'vite';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** Where the pages' files live, on whatever origin a page is opened: no app path starts so. */
export const BASE = '/__bench/';

/**
 * @param {{ alias?: Record<string, string>, prebundle?: string[] }} [opts]
 */
export async function startPages(opts = {}) {
	const server = await createServer({
		configFile: false,
		root: join(ROOT, 'bench', 'pages'),
		base: BASE,
		// Its own cache, so that pre-bundling for a page never touches the app's dev-server cache.
		cacheDir: join(ROOT, 'node_modules', '.vite-bench-pages'),
		logLevel: 'warn',
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib'), ...opts.alias } },
		server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [ROOT] } },
		optimizeDeps: { noDiscovery: true, include: opts.prebundle ?? [] }
	});
	await server.listen();
	const address = server.httpServer?.address();
	if (!address || typeof address === 'string') throw new Error('bench page server has no port');
	const origin = `http://127.0.0.1:${address.port}`;
	return {
		/** The pages on this server's own origin: `${url}/decode.html`. */
		url: origin + BASE.slice(0, -1),
		origin,
		close: () => server.close()
	};
}

/**
 * Open `file` (e.g. `sync.html`) on `origin`: Chromium asks `origin` for it, and the driver answers
 * every request under BASE on that origin from the page server. The interception holds for the
 * page's lifetime; requests outside BASE (the device API) are never paused.
 * @param {import('playwright-core').Page} page
 * @param {{ origin: string }} pages
 * @param {string} origin
 * @param {string} file
 */
export async function openOn(page, pages, origin, file) {
	const cdp = await page.context().newCDPSession(page);
	cdp.on('Fetch.requestPaused', async (/** @type {any} */ e) => {
		try {
			const url = new URL(e.request.url);
			const res = await fetch(pages.origin + url.pathname + url.search, { headers: { accept: e.request.headers.Accept ?? '*/*' } });
			let body = Buffer.from(await res.arrayBuffer());
			// Vite's client script (hot reload) would try its WebSocket from a page Chromium counts as
			// on no address of its own, and log the refusal: the pages import no CSS, which needs it.
			if (url.pathname.endsWith('.html')) body = Buffer.from(body.toString('utf8').replace(/<script type="module" src="[^"]*\/@vite\/client"><\/script>/, ''));
			/** @type {Array<{ name: string, value: string }>} */
			const responseHeaders = [];
			res.headers.forEach((value, name) => name !== 'content-encoding' && name !== 'content-length' && responseHeaders.push({ name, value }));
			await cdp.send('Fetch.fulfillRequest', { requestId: e.requestId, responseCode: res.status, responseHeaders, body: body.toString('base64') });
		} catch {
			await cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'Failed' }).catch(() => {});
		}
	});
	await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${origin}${BASE}*`, requestStage: 'Request' }] });
	await page.goto(`${origin}${BASE}${file}`);
}
