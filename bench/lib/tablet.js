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
 * @param {{ bypassCSP?: boolean, args?: string[], camera?: boolean, serviceWorkers?: 'allow' | 'block' }} [opts]
 *   camera: false for a tablet with no camera at all (its scanner is the keyboard wedge)
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
		...(opts.serviceWorkers ? { serviceWorkers: opts.serviceWorkers } : {}),
		...(opts.camera === false ? {} : { permissions: ['camera'] }),
		args: [
			...CHROMIUM_ARGS,
			...(opts.camera === false
				? []
				: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', ...(video ? [`--use-file-for-fake-video-capture=${video}`] : [])]),
			...(opts.args ?? [])
		]
	});
}

/** The time between a keyboard-wedge scanner's key events (USB HID scanners send a key every few ms). */
export const SCANNER_KEY_GAP_MS = 5;

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
 *
 * Each event also carries the time it was "pressed", `keyGapMs` (default 5 ms) after the one
 * before (the last one now), as a scanner's key events carry the time the device sent them; the
 * page's KeyboardEvent.timeStamp is that time, and the kiosk tells a scanner from a typist by it.
 * With `keyGapMs: null`, Chromium stamps each event when it handles it, and a machine too busy to
 * handle them promptly spreads the burst out (a journey's first scan then went unread on a loaded
 * machine, where no real scanner's would).
 * @param {import('playwright-core').Page} page
 * @param {string} text
 * @param {{ keyGapMs?: number | null }} [opts]
 * @returns {Promise<void>}
 */
export async function scannerTypes(page, text, opts = {}) {
	const cdp = await page.context().newCDPSession(page);
	/** @type {Promise<unknown>[]} */
	const sends = [];
	const gap = opts.keyGapMs === undefined ? SCANNER_KEY_GAP_MS : opts.keyGapMs;
	const events = 2 * ([...text].length + 1);
	// CDP takes seconds since the epoch.
	const first = gap === null ? 0 : Date.now() / 1000 - ((events - 1) * gap) / 2000;
	/** @param {'keyDown' | 'keyUp'} type @param {Key} k */
	const key = (type, k) =>
		sends.push(
			cdp.send('Input.dispatchKeyEvent', {
				type,
				key: k.key,
				code: k.code,
				windowsVirtualKeyCode: k.keyCode,
				modifiers: k.shift ? 8 : 0,
				...(type === 'keyDown' && k.text ? { text: k.text } : {}),
				// A key's down and up half a gap apart.
				...(gap === null ? {} : { timestamp: first + (sends.length * gap) / 2000 })
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
