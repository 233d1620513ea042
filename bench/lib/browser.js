/** Debian's Chromium, headless, with the flags this machine needs. */
import { chromium } from 'playwright-core';

/** @param {string[]} extraArgs */
function options(extraArgs) {
	return {
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			...extraArgs
		]
	};
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
