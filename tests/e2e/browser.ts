/**
 * Debian's Chromium driven by playwright-core, with the flags this machine needs (no sandbox as
 * root, no background networking on a closed network), plus the checks every screen must pass:
 * axe-core with no violations, and touch targets of at least 44 × 44 px.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Locator, type Page, type Response } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../bench/lib/browser.js';
import { startServer, type RunningServer } from '../server-process';

export async function launch(extraArgs: string[] = [], opts: LaunchOptions = {}): Promise<Browser> {
	return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], ...opts });
}

/** A server and a Chromium for a journey, started side by side: neither waits for the other. */
export function serverAndBrowser(opts: Parameters<typeof startServer>[0]): Promise<[RunningServer, Browser]> {
	return Promise.all([startServer(opts), launch()]);
}

/** A context like a tablet's or a desktop's; CSP is bypassed only so that axe can be injected. */
export async function newContext(browser: Browser, opts: { tablet?: boolean } = {}): Promise<BrowserContext> {
	return browser.newContext({
		locale: 'ja-JP',
		timezoneId: 'Asia/Tokyo',
		viewport: opts.tablet ? { width: 1180, height: 820 } : { width: 1366, height: 900 },
		hasTouch: opts.tablet ?? false,
		bypassCSP: true
	});
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
	id: string;
	impact: string | null;
	help: string;
	nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core's violations on the page as it is now (WCAG 2.x A and AA, and best practices). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
	// Let finite animations (fades) end first: mid-fade, text has the contrast of its opacity.
	await page.evaluate(() =>
		Promise.all(
			document
				.getAnimations()
				.filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
				.map((a) => a.finished.catch(() => undefined))
		)
	);
	// Half a megabyte of script: loaded once per document, not once per check.
	if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
	const result = await page.evaluate(async () => {
		const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
		return axe.run(document, {
			resultTypes: ['violations'],
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }
		});
	});
	return result.violations.map((v) => ({
		id: v.id,
		impact: v.impact,
		help: v.help,
		nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary }))
	}));
}

/** Visible buttons, links, inputs and selects smaller than 44 × 44 px (checkboxes count by their label). */
export async function smallTouchTargets(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const small: string[] = [];
		for (const el of Array.from(document.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea, [role="button"]'))) {
			if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue; // not rendered
			let box = r;
			if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
				const label = el.closest('label');
				if (label) box = label.getBoundingClientRect();
			}
			if (box.width < 44 || box.height < 44)
				small.push(
					`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.textContent ?? el.getAttribute('aria-label') ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`
				);
		}
		return small;
	});
}

/** Both checks, with a message that says what is wrong. */
export async function expectAccessible(page: Page, expect: (v: unknown, m?: string) => { toEqual: (x: unknown) => void }): Promise<void> {
	const violations = await axeViolations(page);
	expect(
		violations.map((v) => `${v.id}: ${v.help} @ ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
		`axe on ${page.url()}`
	).toEqual([]);
	expect(await smallTouchTargets(page), `touch targets on ${page.url()}`).toEqual([]);
}

// The tablet (persistent profile, fake camera) and the keyboard-wedge scanner are plain JS in
// bench/lib, so that the benchmarks (run by Node without a TypeScript loader) use the same ones.
export { launchTablet, scannerTypes } from '../../bench/lib/tablet.js';

/**
 * Enroll a tablet on its staff face (already open at /staff) with an enrollment code and a device
 * name; done when the PIN pad offers `staff` (the demo's consultant by default), which is returned.
 */
export async function enrollOnStaffFace(page: Page, code: string, deviceName: string, staff = '相談員 山田'): Promise<Locator> {
	await page.getByLabel('登録コード').fill(code);
	await page.getByLabel('端末の名前').fill(deviceName);
	await page.getByRole('button', { name: '登録する' }).click();
	const member = page.getByRole('button', { name: staff });
	await member.waitFor({ timeout: 30_000 });
	return member;
}

/** The demo's coordinator (README's sign-ins). */
export const DEMO_COORDINATOR = { login: 'coordinator1', password: 'hiroba-demo-1' };

/**
 * Sign in at the centre through its form and land on the overview. If the overview does not come,
 * the error says why as far as it can be seen: the sign-in page's answers, its alert, the server's
 * last output.
 */
export async function signInAtCentre(page: Page, server: string | { url: string; output(): string }, who = DEMO_COORDINATOR): Promise<void> {
	const base = typeof server === 'string' ? server : server.url;
	await page.goto(`${base}/centre/login`);
	await page.getByLabel('ログインID').fill(who.login);
	await page.getByLabel('パスワード').fill(who.password);
	const answers: string[] = [];
	const onResponse = (r: Response) => {
		if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/centre/login') answers.push(String(r.status()));
	};
	page.on('response', onResponse);
	try {
		await page.getByRole('button', { name: 'ログイン' }).click();
		await page.waitForURL(`${base}/centre`);
	} catch (e) {
		const alert = await page
			.getByRole('alert')
			.allTextContents()
			.catch(() => []);
		const output = typeof server === 'string' ? '' : `\nthe server's last output:\n${server.output().slice(-3000)}`;
		throw new Error(
			`signing in as ${who.login} did not reach /centre: the page is at ${page.url()}, the sign-in POST answered ${answers.join(', ') || 'nothing'}, its alert says ${alert.join(' / ') || 'nothing'}${output}`,
			{ cause: e }
		);
	} finally {
		page.off('response', onResponse);
	}
}
