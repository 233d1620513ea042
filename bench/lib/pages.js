/**
 * A Vite dev server for benchmark pages (bench/pages/*.html), which import the app's own modules
 * through `$lib` and run them in Chromium; `/api` is proxied to a running Hiroba server so the pages
 * are same-origin with the device API.
 */
import { createServer } from 'vite';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** @param {{ apiTarget?: string }} [opts] */
export async function startPages(opts = {}) {
	const server = await createServer({
		configFile: false,
		root: join(ROOT, 'bench', 'pages'),
		logLevel: 'warn',
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib') } },
		server: {
			host: '127.0.0.1',
			port: 0,
			strictPort: false,
			proxy: opts.apiTarget ? { '/api': { target: opts.apiTarget, changeOrigin: true } } : undefined,
			fs: { allow: [ROOT] }
		},
		optimizeDeps: { noDiscovery: true, include: [] }
	});
	await server.listen();
	const address = server.httpServer?.address();
	if (!address || typeof address === 'string') throw new Error('bench page server has no port');
	return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
