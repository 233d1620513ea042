/**
 * The tablet faces under the host's security headers, with the CSP enforced (the other journeys
 * bypass it so that axe can be injected): /kiosk and /staff are prerendered, so they carry both the
 * host's baseline policy (a header) and their full policy (a <meta>), and a browser enforces both.
 * They must still start, register the service worker and raise no violation; and no other page may
 * frame them (frame-ancestors, which only a header can say).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlace, type Place, type RunningServer } from '../server-process';
import { serverAndBrowser } from './browser';

describe('the faces under the security headers', () => {
	let place: Place;
	let server: RunningServer;
	let browser: Browser;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'migrated' });
		[server, browser] = await serverAndBrowser({ dataDir: place.dataDir, env: { HIROBA_NO_DEMO: '1' } });
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	/** A context that enforces CSP and records every violation a page reports. */
	async function enforcing(): Promise<BrowserContext> {
		const ctx = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
		await ctx.addInitScript(() => {
			const seen: string[] = [];
			(window as unknown as { cspViolations: string[] }).cspViolations = seen;
			document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
		});
		return ctx;
	}

	it.each(['/kiosk', '/staff'])('%s starts, registers the service worker and breaks no policy', async (path) => {
		const ctx = await enforcing();
		const page = await ctx.newPage();
		const errors: string[] = [];
		page.on('pageerror', (e) => errors.push(e.message));
		page.on('console', (m) => {
			if (m.type() === 'error') errors.push(m.text());
		});
		const res = await page.goto(`${server.url}${path}`);
		expect(res?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
		const worker = await page.evaluate(() =>
			Promise.race([
				navigator.serviceWorker.ready.then((r) => r.active?.scriptURL ?? null),
				new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))
			])
		);
		expect(worker).toBe(`${server.url}/service-worker.js`);
		await page.getByRole('heading').first().waitFor();
		// The shell carries its styles (kit.inlineStyleThreshold: no stylesheet to fetch before the
		// first paint; Kit lists the files only as disabled links, which load nothing), and the policy
		// lets them apply.
		const shell = (await res?.text()) ?? '';
		expect(shell).toMatch(/<style>/);
		expect(shell).not.toMatch(/rel="stylesheet"(?! disabled)/);
		expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(255, 250, 243)');
		expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
		expect(errors).toEqual([]);
		await ctx.close();
	});

	it('refuses to be framed by another page', async () => {
		const ctx = await enforcing();
		const page = await ctx.newPage();
		await page.setContent(`<iframe id="f" src="${server.url}/kiosk" width="800" height="600"></iframe>`);
		await page.waitForTimeout(1500);
		const frame = page.frames().find((f) => f !== page.mainFrame());
		// Blocked: the frame holds the browser's error page, never the kiosk.
		expect(frame?.url()).toMatch(/^chrome-error:/);
		await ctx.close();
	});
});
