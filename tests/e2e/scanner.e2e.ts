/**
 * The Scanner component in Chromium with a fake camera that shows a family card's QR code: the card
 * is read through the camera (zxing-wasm in its worker: this Chromium has no BarcodeDetector), a
 * keyboard-wedge scanner's burst is read wherever the focus is, the camera can be switched, a
 * refused camera says so in Japanese, and the screen passes axe and the 44 px rule throughout.
 *
 * The page is served by a Vite dev server (tests/e2e/pages), not the app's build: it mounts the
 * component alone, so this test needs neither a build nor a Hiroba server. The last test builds
 * the decoder for production and runs it under the app's CSP, to show that the worker and its
 * WebAssembly come from our own origin (the tablets are offline: no CDN).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { build, createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardQrPayload, makeCardCode } from '../../src/lib/domain/card-code';
import { expectAccessible, launch, newContext, scannerTypes } from './browser';
import { makeFakeCameraVideo } from './fake-camera';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function startPageServer(cacheDir: string): Promise<{ server: ViteDevServer; url: string }> {
	const server = await createServer({
		configFile: false,
		root: join(ROOT, 'tests', 'e2e', 'pages'),
		cacheDir,
		logLevel: 'warn',
		plugins: [svelte({ configFile: false })],
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib') } },
		server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [ROOT] } },
		optimizeDeps: { noDiscovery: true, include: [] }
	});
	await server.listen();
	const address = server.httpServer?.address();
	if (!address || typeof address === 'string') throw new Error('the page server has no port');
	return { server, url: `http://127.0.0.1:${address.port}/scanner.html` };
}

/** The app's CSP (svelte.config.js), as the kiosk page gets it. */
const APP_CSP =
	"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; img-src 'self' data: blob:; object-src 'none'";

/** Serve a built folder as adapter-node's static handler would, with the app's CSP on HTML. */
async function serveStatic(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
	const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
	const server = createHttpServer((req, res) => {
		const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
		try {
			const body = readFileSync(join(dir, path));
			const type = types[extname(path)] ?? 'application/octet-stream';
			res.writeHead(200, { 'content-type': type, ...(type === 'text/html' ? { 'content-security-policy': APP_CSP } : {}) });
			res.end(body);
		} catch {
			res.writeHead(404).end();
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (!address || typeof address === 'string') throw new Error('the static server has no port');
	return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const scans = (page: Page, method: 'camera' | 'scanner') => page.locator(`[data-testid="scans"] li[data-method="${method}"]`).allTextContents();

describe('Scanner in the browser', () => {
	const card = cardQrPayload(makeCardCode());
	let work: string;
	let pages: { server: ViteDevServer; url: string };
	let browser: Browser;

	beforeAll(async () => {
		work = mkdtempSync(join(tmpdir(), 'hiroba-scanner-e2e-'));
		const video = makeFakeCameraVideo(card, { width: 1280, height: 720, size: 300, rotate: 12, offsetX: 120, path: join(work, 'card.y4m') });
		pages = await startPageServer(join(work, 'vite-cache'));
		browser = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
	});
	afterAll(async () => {
		await browser?.close();
		await pages?.server.close();
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it('reads the card shown to the camera, once, and passes axe', async () => {
		const ctx = await newContext(browser, { tablet: true });
		await ctx.grantPermissions(['camera'], { origin: new URL(pages.url).origin });
		const page = await ctx.newPage();
		const problems: string[] = [];
		page.on('pageerror', (e) => problems.push(e.message));
		await page.goto(pages.url);
		await expect.poll(() => scans(page, 'camera'), { timeout: 20_000 }).toEqual([card]);
		expect(await page.getByRole('status').textContent()).toMatch(/読み取り中/);
		expect(await page.getByText('カードのQRコードを枠に合わせてください').isVisible()).toBe(true);
		// The card stays in view: it is still one scan a while later.
		await page.waitForTimeout(1500);
		expect(await scans(page, 'camera')).toEqual([card]);
		await expectAccessible(page, expect);
		expect(problems).toEqual([]);
		await ctx.close();
	});

	it('reads a keyboard-wedge scanner, also when a text field has the focus, and not while paused', async () => {
		const ctx = await newContext(browser, { tablet: true });
		await ctx.grantPermissions(['camera'], { origin: new URL(pages.url).origin });
		const page = await ctx.newPage();
		await page.goto(pages.url);
		await page.getByRole('status').filter({ hasText: '読み取り中' }).waitFor();

		const first = cardQrPayload(makeCardCode());
		await scannerTypes(page, first);
		await expect.poll(() => scans(page, 'scanner')).toEqual([first]);

		// A parent types into a field by hand: that is not a scan, and the text stays in the field.
		const memo = page.getByTestId('memo');
		await memo.pressSequentially('ABCD-EFGH-JKMN', { delay: 80 });
		await page.keyboard.press('Enter');
		expect(await memo.inputValue()).toBe('ABCD-EFGH-JKMN');
		expect(await scans(page, 'scanner')).toEqual([first]);

		// A scan while the field has the focus is a scan, and the field gets its text back.
		const second = cardQrPayload(makeCardCode());
		await scannerTypes(page, second);
		await expect.poll(() => scans(page, 'scanner')).toEqual([first, second]);
		expect(await memo.inputValue()).toBe('ABCD-EFGH-JKMN');
		expect(await page.getByTestId('memo-value').textContent()).toBe('ABCD-EFGH-JKMN');

		// The same code again within 2 s is the same scan.
		await page.locator('h1').click();
		await scannerTypes(page, second);
		await page.waitForTimeout(300);
		expect(await scans(page, 'scanner')).toEqual([first, second]);

		await page.getByLabel('一時停止').check();
		await expect.poll(() => page.getByRole('status').textContent()).toBe('一時停止中');
		await page.locator('h1').click();
		await scannerTypes(page, cardQrPayload(makeCardCode()));
		await page.waitForTimeout(300);
		expect(await scans(page, 'scanner')).toEqual([first, second]);
		await expectAccessible(page, expect);
		await ctx.close();
	});

	it('switches the camera and remembers the choice', async () => {
		const ctx = await newContext(browser, { tablet: true });
		await ctx.grantPermissions(['camera'], { origin: new URL(pages.url).origin });
		const page = await ctx.newPage();
		await page.goto(pages.url);
		await page.getByRole('status').filter({ hasText: '背面カメラ' }).waitFor();
		const button = page.getByRole('button', { name: 'カメラ切替' });
		await button.click();
		await page.getByRole('status').filter({ hasText: '前面カメラ' }).waitFor();
		expect(await page.evaluate(() => localStorage.getItem('hiroba.camera'))).toBe('user');
		await page.reload();
		await page.getByRole('status').filter({ hasText: '前面カメラ' }).waitFor();
		// The fake device is the only camera, so the other facing still shows the card.
		await expect.poll(() => scans(page, 'camera'), { timeout: 20_000 }).toEqual([card]);
		await expectAccessible(page, expect);
		await ctx.close();
	});

	it('says in Japanese when the camera is refused, and the scanner still works', async () => {
		// No fake UI: the permission prompt is refused, as when a tablet's camera was blocked.
		const refusing = await launch(['--use-fake-device-for-media-stream']);
		try {
			const page = await (await newContext(refusing, { tablet: true })).newPage();
			await page.goto(pages.url);
			await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 20_000 }).toContain('カメラの使用が許可されていません');
			expect(await page.getByRole('button', { name: 'もう一度試す' }).isVisible()).toBe(true);
			const code = cardQrPayload(makeCardCode());
			await scannerTypes(page, code);
			await expect.poll(() => scans(page, 'scanner')).toEqual([code]);
			await expectAccessible(page, expect);
		} finally {
			await refusing.close();
		}
	});

	it('built for production, loads its worker and WebAssembly from our own origin under the app’s CSP', async () => {
		const outDir = join(work, 'decoder-build');
		await build({
			configFile: false,
			logLevel: 'silent',
			root: join(ROOT, 'tests', 'e2e', 'pages'),
			resolve: { alias: { $lib: join(ROOT, 'src', 'lib') } },
			build: { outDir, emptyOutDir: true, rollupOptions: { input: join(ROOT, 'tests', 'e2e', 'pages', 'decoder.html') } }
		});
		const site = await serveStatic(outDir);
		// A plain context: the CSP is enforced (newContext bypasses it so that axe can be injected).
		const ctx = await browser.newContext();
		try {
			const page = await ctx.newPage();
			const requests: string[] = [];
			const violations: string[] = [];
			page.on('request', (r) => requests.push(r.url()));
			page.on('console', (m) => {
				if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
			});
			await page.goto(`${site.url}/decoder.html`);
			const payload = cardQrPayload(makeCardCode());
			const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
			const result = await page.evaluate(
				([size, data]) =>
					(window as unknown as { decodeMatrix: (s: number, d: number[]) => Promise<{ kind: string; texts: string[] }> }).decodeMatrix(size, data),
				[modules.size, Array.from(modules.data)] as const
			);
			expect(result).toEqual({ kind: 'zxing-wasm', texts: [payload] });
			expect(requests.filter((u) => !u.startsWith(site.url))).toEqual([]);
			expect(requests.some((u) => /\/assets\/zxing_reader-[\w-]+\.wasm$/.test(u))).toBe(true);
			expect(violations).toEqual([]);
		} finally {
			await ctx.close();
			await site.close();
		}
	});
});
