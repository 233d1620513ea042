import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';

// Under vitest, scratch folders (os.tmpdir(): stores, data folders, Chromium profiles) go to memory
// when the machine has room there (tests/scratch.ts); the test workers and every process a test
// starts inherit it.
if (process.env.VITEST) {
	const scratch = (await import('./tests/scratch')).memoryScratch();
	if (scratch) process.env.TMPDIR = scratch;
}

export default defineConfig({
	plugins: [
		sveltekit(),
		SvelteKitPWA({
			strategies: 'injectManifest',
			// Kit builds src/service-worker/index.ts itself; the plugin injects the precache manifest.
			srcDir: 'src',
			filename: 'service-worker.ts',
			injectRegister: false,
			registerType: 'autoUpdate',
			manifest: {
				name: 'ひろば 受付',
				short_name: 'ひろば',
				description: '親子ひろばの受付・相談記録',
				lang: 'ja',
				start_url: '/kiosk',
				scope: '/',
				display: 'fullscreen',
				orientation: 'any',
				background_color: '#fffaf3',
				theme_color: '#f39800',
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
					{ src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
				]
			},
			injectManifest: {
				globPatterns: ['client/**/*.{js,css,ico,png,svg,webp,webmanifest,wasm}', 'prerendered/**/*.{html,json}'],
				maximumFileSizeToCacheInBytes: 5 * 1024 * 1024
			},
			kit: { includeVersionFile: true }
		})
	],
	test: {
		// Worker threads, not forked processes: measured on 2 cores, the unit project took 214 s
		// instead of 287 s (each test file's start is cheaper; every file still runs isolated).
		pool: 'threads',
		setupFiles: ['tests/setup-keys.ts'],
		// The long files start first, on a fresh machine too (tests/sequencer.ts); loaded only under
		// vitest, so that the build does not load vitest.
		sequence: process.env.VITEST ? { sequencer: (await import('./tests/sequencer')).default } : {},
		// Data-folder templates made once per run (tests/templates.ts).
		globalSetup: ['tests/global-setup.ts'],
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					environment: 'node',
					include: ['src/**/*.spec.ts'],
					// Both cores: most of these files wait on PGlite, one thread each (vitest's default is cores − 1).
					maxWorkers: 2,
					testTimeout: 30_000,
					hookTimeout: 60_000
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					environment: 'node',
					include: ['tests/**/*.spec.ts'],
					testTimeout: 120_000,
					hookTimeout: 120_000,
					fileParallelism: false
				}
			},
			{
				extends: true,
				test: {
					name: 'e2e',
					environment: 'node',
					include: ['tests/**/*.e2e.ts'],
					testTimeout: 120_000,
					hookTimeout: 120_000,
					// A page's answer on a busy 2-core machine can take longer than vitest's default second
					// (a kiosk's first scan once did): every poll without a timeout of its own waits 10 s.
					expect: { poll: { timeout: 10_000 } },
					fileParallelism: false
				}
			}
		]
	}
});
