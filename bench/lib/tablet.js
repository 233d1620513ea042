/**
 * A kiosk tablet in headless Chromium, shared by the benchmarks and the browser journeys
 * (tests/e2e/browser.ts re-exports these): a persistent profile with a fake camera, and a
 * keyboard-wedge barcode scanner typing through CDP.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

/**
 * A tablet: a persistent Chromium profile (its IndexedDB and service worker survive a relaunch),
 * with a fake camera showing the given video (null: Chromium's own test pattern), camera
 * permission granted. The page's CSP is bypassed by default, so that axe can be injected;
 * benchmarks pass `bypassCSP: false` to run the app under its own CSP, as it ships.
 * (Playwright's init scripts and evaluate() are not subject to the CSP either way.)
 * @param {string} userDataDir
 * @param {string | null} video a .y4m file
 * @param {{ bypassCSP?: boolean, args?: string[] }} [opts]
 * @returns {Promise<import('playwright-core').BrowserContext>}
 */
export function launchTablet(userDataDir, video, opts = {}) {
	return chromium.launchPersistentContext(userDataDir, {
		executablePath: CHROMIUM_PATH,
		headless: true,
		locale: 'ja-JP',
		timezoneId: 'Asia/Tokyo',
		viewport: { width: 1180, height: 820 },
		hasTouch: true,
		bypassCSP: opts.bypassCSP ?? true,
		permissions: ['camera'],
		args: [
			...CHROMIUM_ARGS,
			'--use-fake-ui-for-media-stream',
			'--use-fake-device-for-media-stream',
			...(video ? [`--use-file-for-fake-video-capture=${video}`] : []),
			...(opts.args ?? [])
		]
	});
}

/** @typedef {{ key: string, code: string, keyCode: number, text?: string, shift?: boolean }} Key */

/** @param {string} ch @returns {Key} */
function keyOf(ch) {
	if (/[A-Z]/.test(ch)) return { key: ch, code: `Key${ch}`, keyCode: ch.charCodeAt(0), shift: true };
	if (/[a-z]/.test(ch)) return { key: ch, code: `Key${ch.toUpperCase()}`, keyCode: ch.toUpperCase().charCodeAt(0) };
	if (/[0-9]/.test(ch)) return { key: ch, code: `Digit${ch}`, keyCode: ch.charCodeAt(0) };
	if (ch === ':') return { key: ch, code: 'Semicolon', keyCode: 186, shift: true };
	if (ch === '/') return { key: ch, code: 'Slash', keyCode: 191 };
	if (ch === '.') return { key: ch, code: 'Period', keyCode: 190 };
	return { key: ch, code: 'Minus', keyCode: 189 };
}

/**
 * Type `text` and Enter as a keyboard-wedge scanner does: every key event sent at once, back to
 * back. (page.keyboard.type waits for each key's round trip, which on a busy 2-core machine can
 * leave gaps no scanner leaves.)
 * @param {import('playwright-core').Page} page
 * @param {string} text
 * @returns {Promise<void>}
 */
export async function scannerTypes(page, text) {
	const cdp = await page.context().newCDPSession(page);
	/** @type {Promise<unknown>[]} */
	const sends = [];
	/** @param {'keyDown' | 'keyUp'} type @param {Key} k */
	const key = (type, k) =>
		sends.push(
			cdp.send('Input.dispatchKeyEvent', {
				type,
				key: k.key,
				code: k.code,
				windowsVirtualKeyCode: k.keyCode,
				modifiers: k.shift ? 8 : 0,
				...(type === 'keyDown' && k.text ? { text: k.text } : {})
			})
		);
	for (const ch of text) {
		const k = keyOf(ch);
		key('keyDown', { ...k, text: ch });
		key('keyUp', k);
	}
	const enter = { key: 'Enter', code: 'Enter', keyCode: 13, text: '\r' };
	key('keyDown', enter);
	key('keyUp', enter);
	await Promise.all(sends);
	await cdp.detach();
}
