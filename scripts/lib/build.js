/**
 * "Build when needed": the built server (build/handler.js) is rebuilt with `vite build` when it is
 * missing or older than any source it is made from. Shared by `npm start`, `npm run admin` and
 * `scripts/ensure-build.js` (which the integration tests and benchmarks run first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HANDLER = join(ROOT, 'build', 'handler.js');

/** What the build is made from: folders walked recursively, and single files. */
const SOURCE_DIRS = ['src', 'static'];
const SOURCE_FILES = ['svelte.config.js', 'vite.config.ts', 'package-lock.json'];

/**
 * @param {string} dir
 * @returns {number} the newest modification time (ms) of any file under dir, 0 if none
 */
function newestUnder(dir) {
	let newest = 0;
	/** @type {import('node:fs').Dirent[]} */
	let entries;
	try {
		entries = readdirSync(dir, { withFileTypes: true });
	} catch {
		return 0;
	}
	for (const entry of entries) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, newestUnder(path));
		else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
	}
	return newest;
}

/** @returns {string | null} why a build is needed, or null when build/handler.js is up to date */
export function buildReason() {
	if (!existsSync(HANDLER)) return 'there is no build yet';
	const built = statSync(HANDLER).mtimeMs;
	for (const dir of SOURCE_DIRS) {
		if (newestUnder(join(ROOT, dir)) > built) return `${dir}/ changed since the last build`;
	}
	for (const file of SOURCE_FILES) {
		const path = join(ROOT, file);
		if (existsSync(path) && statSync(path).mtimeMs > built) return `${file} changed since the last build`;
	}
	return null;
}

/**
 * Run `vite build` if needed. Its output goes to stderr when `quiet` (so that `--json` keeps stdout
 * to one JSON document), to the terminal otherwise. Rejects if the build fails.
 * @param {{ quiet?: boolean, log?: (line: string) => void }} [opts]
 * @returns {Promise<boolean>} whether a build ran
 */
export async function ensureBuild(opts = {}) {
	const log = opts.log ?? ((line) => console.error(line));
	if (process.env.HIROBA_SKIP_BUILD === '1') {
		// Tests and benchmarks build once up front and must never rebuild under a running server.
		if (!existsSync(HANDLER)) throw new Error('HIROBA_SKIP_BUILD=1 but there is no build/handler.js: run `npm run build` first');
		return false;
	}
	const reason = buildReason();
	if (!reason) return false;
	log(`[hiroba] building the app (${reason})…`);
	const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
	const [cmd, args] = existsSync(vite) ? [process.execPath, [vite, 'build']] : ['npx', ['vite', 'build']];
	await new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', opts.quiet ? 2 : 'inherit', 'inherit'] });
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			if (code === 0) resolve(undefined);
			else reject(new Error(`the build failed (${signal ?? `exit code ${code}`}); see the output above`));
		});
	});
	return true;
}
