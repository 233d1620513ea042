/** Debian's Chromium, headless, with the flags this machine needs. */
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The flags every launch needs here: no sandbox (we run as root), and none of Chromium's own
 * background traffic, which this machine's closed network refuses by the dozen.
 */
export const CHROMIUM_ARGS = Object.freeze([
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
]);

/** @param {string[]} extraArgs */
function options(extraArgs) {
	return { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] };
}

/**
 * Stops what was started, last first; each step's failure is logged, not thrown.
 * @param {Array<() => unknown>} cleanup
 * @param {(line: string) => void} log
 */
export async function releaseAll(cleanup, log) {
	for (let fn = cleanup.pop(); fn; fn = cleanup.pop()) {
		try {
			await fn();
		} catch (e) {
			log(`cleanup: ${e instanceof Error ? e.message : String(e)}`);
		}
	}
}

/** @param {string[]} [extraArgs] */
export function launchChromium(extraArgs = []) {
	return chromium.launch(options(extraArgs));
}

/**
 * Chromium with a real profile folder. A context of `launchChromium()` is off the record, and
 * Chromium keeps an off-the-record profile's IndexedDB in memory; benchmarks of IndexedDB as a
 * tablet has it (on disk) need this one. The caller removes `userDataDir` after closing.
 * @param {string} userDataDir
 * @param {string[]} [extraArgs]
 */
export function launchPersistentChromium(userDataDir, extraArgs = []) {
	return chromium.launchPersistentContext(userDataDir, options(extraArgs));
}
