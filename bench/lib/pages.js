/**
 * A Vite dev server for benchmark pages (bench/pages/*.html), which import the app's own modules
 * through `$lib` and run them in Chromium; `/api` is proxied to a running Hiroba server so the pages
 * are same-origin with the device API.
 *
 * Options for pages that need more: `proxy` adds further same-origin proxies (e.g. `/pouch` to a
 * pouchdb-server), `alias` further module aliases, and `prebundle` names packages that Vite must
 * pre-bundle because they, or their dependencies, are CommonJS.
 */
import { createServer } from 'vite';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/**
 * @param {{ apiTarget?: string, proxy?: Record<string, string | import('vite').ProxyOptions>, alias?: Record<string, string>, prebundle?: string[] }} [opts]
 */
export async function startPages(opts = {}) {
	/** @type {Record<string, string | import('vite').ProxyOptions>} */
	const proxy = { ...(opts.apiTarget ? { '/api': { target: opts.apiTarget, changeOrigin: true } } : {}), ...opts.proxy };
	const server = await createServer({
		configFile: false,
		root: join(ROOT, 'bench', 'pages'),
		// Its own cache, so that pre-bundling for a page never touches the app's dev-server cache.
		cacheDir: join(ROOT, 'node_modules', '.vite-bench-pages'),
		logLevel: 'warn',
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib'), ...opts.alias } },
		server: {
			host: '127.0.0.1',
			port: 0,
			strictPort: false,
			proxy: Object.keys(proxy).length > 0 ? proxy : undefined,
			fs: { allow: [ROOT] }
		},
		optimizeDeps: { noDiscovery: true, include: opts.prebundle ?? [] }
	});
	await server.listen();
	const address = server.httpServer?.address();
	if (!address || typeof address === 'string') throw new Error('bench page server has no port');
	return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
