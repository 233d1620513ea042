/**
 * The browser tests and benchmarks drive Debian's Chromium (/usr/bin/chromium). On a fresh machine
 * it is not there yet: install it with apt-get (as root), saying so, so that `npm test` alone passes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
	console.error(`[hiroba] ${CHROMIUM} is missing: installing Debian's chromium with apt-get (for the browser tests)…`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const sudo = typeof process.getuid === 'function' && process.getuid() !== 0 ? ['sudo'] : [];
	for (const args of [
		['apt-get', 'update'],
		['apt-get', 'install', '-y', 'chromium']
	]) {
		const [cmd, ...rest] = [...sudo, ...args];
		const r = spawnSync(/** @type {string} */ (cmd), rest, { stdio: 'inherit', env });
		if (r.status !== 0) {
			console.error(`[hiroba] ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}); install chromium and run the tests again`);
			process.exit(1);
		}
	}
	if (!existsSync(CHROMIUM)) {
		console.error(`[hiroba] chromium was installed but ${CHROMIUM} is still missing`);
		process.exit(1);
	}
}
