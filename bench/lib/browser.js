/** Debian's Chromium, headless, with the flags this machine needs. */
import { chromium } from 'playwright-core';

/** @param {string[]} [extraArgs] */
export function launchChromium(extraArgs = []) {
	return chromium.launch({
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
	});
}
