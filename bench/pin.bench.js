/**
 * Staff PIN verification (DESIGN.md "Security and privacy model": a slow salted hash, ≥ 250 ms a
 * guess on the tablet). Times the app's own `verifyPin` (PBKDF2-SHA-256, WebCrypto) in headless
 * Chromium, unthrottled (the stricter reading: a real tablet is slower, so a guess costs it more),
 * and in Node, where the centre hashes PINs (`staff add`, the demo seed). Beside the shipped count
 * (PIN_ITERATIONS) it times OWASP's floor and the old default, to show why the count is above OWASP's.
 *
 * The machine may be shared: the load average is shown, and the fastest guess beside the median
 * (contention only ever makes a guess slower).
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { launchChromium } from './lib/browser.js';
import { startPages } from './lib/pages.js';
import { median, percentile, round } from './lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

export const title = 'Staff PIN verification (PBKDF2-SHA-256)';

const BUDGET_MS = 250;
/** Timed verifications at the shipped count; fewer at the reference counts. */
const RUNS = Number(process.env.PIN_BENCH_RUNS ?? 15);
const REFERENCE_RUNS = 7;
/** The default before PINs became 6 digits; hashes made with it still verify. */
const OLD_DEFAULT = 210_000;

/** @typedef {{ iterations: number, times: number[], mistakes: number }} PinRun */
/** @typedef {{ ready: boolean, defaults: { pin: number, owasp: number }, measure(iterations: number, n: number): Promise<PinRun> }} PinBenchApi */

const load = () => (loadavg()[0] ?? 0).toFixed(2);

/** The benchmark page's module, loaded in Node through Vite (it is TypeScript and imports `$lib`). */
async function nodeApi() {
	const vite = await createServer({
		configFile: false,
		root: ROOT,
		logLevel: 'warn',
		appType: 'custom',
		cacheDir: join(ROOT, 'node_modules', '.vite-bench-pages'),
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib') } },
		server: { middlewareMode: true, hmr: false, watch: null },
		optimizeDeps: { noDiscovery: true, include: [] }
	});
	const mod = /** @type {PinBenchApi} */ (/** @type {unknown} */ (await vite.ssrLoadModule(join(HERE, 'pages', 'pin.ts'))));
	return { api: mod, close: () => vite.close() };
}

/** @param {{ log: (s: string) => void }} ctx */
export async function run({ log }) {
	const loads = [`start ${load()}`];
	/** @type {Record<'chromium' | 'node', PinRun[]>} */
	const runs = { chromium: [], node: [] };
	/** @type {{ pin: number, owasp: number }} */
	let defaults;

	const pages = await startPages();
	const browser = await launchChromium();
	try {
		const page = await browser.newPage();
		page.on('pageerror', (e) => log(`page error: ${e.message}`));
		await page.goto(`${pages.url}/pin.html`);
		await page.waitForFunction(() => /** @type {{ pinBench?: PinBenchApi }} */ (/** @type {unknown} */ (window)).pinBench?.ready === true, null, {
			timeout: 60_000
		});
		defaults = /** @type {{ pin: number, owasp: number }} */ (
			await page.evaluate(() => /** @type {{ pinBench: PinBenchApi }} */ (/** @type {unknown} */ (window)).pinBench.defaults)
		);
		for (const [iterations, n] of plan(defaults)) {
			const r = /** @type {PinRun} */ (
				await page.evaluate(
					([i, k]) => /** @type {{ pinBench: PinBenchApi }} */ (/** @type {unknown} */ (window)).pinBench.measure(i, k),
					/** @type {const} */ ([iterations, n])
				)
			);
			runs.chromium.push(r);
			log(`Chromium, ${iterations.toLocaleString('en-US')} iterations: median ${round(median(r.times))} ms, fastest ${round(Math.min(...r.times))} ms`);
		}
	} finally {
		await browser.close();
		await pages.close();
	}
	loads.push(`after Chromium ${load()}`);

	const node = await nodeApi();
	try {
		for (const [iterations, n] of plan(defaults)) {
			const r = await node.api.measure(iterations, n);
			runs.node.push(r);
			log(`Node, ${iterations.toLocaleString('en-US')} iterations: median ${round(median(r.times))} ms, fastest ${round(Math.min(...r.times))} ms`);
		}
	} finally {
		await node.close();
	}
	loads.push(`end ${load()}`);

	const mistakes = [...runs.chromium, ...runs.node].reduce((s, r) => s + r.mistakes, 0);
	if (mistakes > 0) throw new Error(`verifyPin answered wrongly ${mistakes} times`);

	const shipped = runs.chromium.find((r) => r.iterations === defaults.pin);
	if (!shipped) throw new Error('no run at the shipped iteration count');
	const shippedMedian = median(shipped.times);
	const fastest = Math.min(...shipped.times);
	const nodeShipped = runs.node.find((r) => r.iterations === defaults.pin);

	/** @param {PinRun | undefined} r */
	const cell = (r) => (r ? `${round(median(r.times))} / ${round(Math.min(...r.times))} / ${round(percentile(r.times, 95))} ms` : '—');
	const label = (/** @type {number} */ i) =>
		`${i.toLocaleString('en-US')}${i === defaults.pin ? ' (**shipped**, PIN_ITERATIONS)' : i === defaults.owasp ? ' (OWASP’s floor)' : i === OLD_DEFAULT ? ' (the old default)' : ''}`;
	const rows = plan(defaults).map(
		([i]) => `| ${label(i)} | ${cell(runs.chromium.find((r) => r.iterations === i))} | ${cell(runs.node.find((r) => r.iterations === i))} |`
	);
	// What a copied roster's hash costs to search on one core, at the fastest rate measured here.
	const fastestAt = (/** @type {number} */ i) => Math.min(...[...runs.chromium, ...runs.node].filter((r) => r.iterations === i).flatMap((r) => r.times));
	const searchDays = (fastestAt(defaults.pin) * 1e6) / 86_400_000;
	const legacyMinutes = (fastestAt(OLD_DEFAULT) * 1e4) / 60_000;

	const markdown = [
		`Each cell: median / fastest / p95 of one \`verifyPin\` (right and wrong guesses alternating; ${RUNS} at the shipped count, ${REFERENCE_RUNS} at the others), timed inside the runtime. Chromium headless, unthrottled; Node ${process.version} as the centre runs it; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. Load average (1 min): ${loads.join(', ')}.`,
		'',
		'| PBKDF2-SHA-256 iterations | Chromium | Node |',
		'| --- | --- | --- |',
		...rows,
		'',
		`At the shipped count a guess costs the tablet ${round(shippedMedian)} ms (median; the fastest ${round(fastest)} ms) in Chromium and ${nodeShipped ? `${round(median(nodeShipped.times))} ms` : '—'} in Node. On one core at the fastest rate measured, trying all 10⁶ six-digit PINs against a copied hash takes ${round(searchDays, 1)} days; all 10⁴ four-digit PINs against a legacy hash (the old default count) take ${round(legacyMinutes, 0)} minutes.`
	].join('\n');

	return {
		markdown,
		budgets: [
			{
				name: `PIN verification ≥ ${BUDGET_MS} ms a guess (Chromium, unthrottled, ${defaults.pin.toLocaleString('en-US')} iterations): median`,
				value: round(shippedMedian),
				unit: 'ms',
				budget: `≥ ${BUDGET_MS} ms`,
				pass: shippedMedian >= BUDGET_MS
			}
		]
	};
}

/** @param {{ pin: number, owasp: number }} d @returns {Array<[number, number]>} */
function plan(d) {
	return [
		[d.pin, RUNS],
		[d.owasp, REFERENCE_RUNS],
		[OLD_DEFAULT, REFERENCE_RUNS]
	];
}
