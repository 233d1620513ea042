/**
 * The built Hiroba server as a child process on a fresh data folder, for benchmarks: on PGlite in
 * that folder, or on PostgreSQL when `opts.env` has a DATABASE_URL (several processes may then
 * serve one database, each with a data folder of its own for its admin socket).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @param {{ env?: Record<string, string>, demo?: boolean, dataDir?: string }} [opts]
 * @returns {Promise<{ url: string, dataDir: string, banner: string, pid: number | undefined, output: () => string, enrollmentCode: string | null, admin: (args: string[]) => any, stop: () => Promise<void> }>}
 */
export async function startServer(opts = {}) {
	// A data folder given is one a benchmark filled beforehand; it is removed at stop all the same.
	const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'hiroba-bench-'));
	// This process's DATABASE_URL is not the bench's: a server is on PostgreSQL only when told here.
	const { DATABASE_URL: _ignored, ...inherited } = process.env;
	/** @type {Record<string, string | undefined>} */
	const env = {
		...inherited,
		HIROBA_DATA_DIR: dataDir,
		HIROBA_KEY_DIR: join(dataDir, 'keys'),
		HIROBA_SKIP_BUILD: '1',
		PORT: '0',
		HOST: '127.0.0.1',
		NODE_ENV: 'production',
		...(opts.demo === false ? { HIROBA_NO_DEMO: '1' } : {}),
		...opts.env
	};
	const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
	child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
	const exited = new Promise((r) => child.on('exit', r));
	try {
		await new Promise((resolve, reject) => {
			const t = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
			child.stdout.on('data', () => /Stop with Ctrl\+C\./.test(out) && (clearTimeout(t), resolve(undefined)));
			exited.then((code) => (clearTimeout(t), reject(new Error(`server exited ${code}:\n${out}`))));
		});
	} catch (e) {
		// Leave nothing behind: neither a half-started server nor its data folder.
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			await exited;
		}
		rmSync(dataDir, { recursive: true, force: true });
		throw e;
	}
	const url = out.match(/is running at (https?:\/\/\S+) /)?.[1];
	if (!url) {
		child.kill('SIGTERM');
		await exited;
		rmSync(dataDir, { recursive: true, force: true });
		throw new Error(`no URL in banner:\n${out}`);
	}
	return {
		url,
		dataDir,
		banner: out,
		pid: child.pid,
		/** Everything the server printed so far. */
		output: () => out,
		enrollmentCode: out.match(/登録コード: ([0-9A-Z]{5}-[0-9A-Z]{5})/)?.[1] ?? null,
		/** `npm run admin -- <args> --json` against this server, parsed. */
		admin(args) {
			return JSON.parse(execFileSync(process.execPath, [join(ROOT, 'scripts', 'admin.js'), ...args, '--json'], { cwd: ROOT, env, encoding: 'utf8' }));
		},
		async stop() {
			if (child.exitCode === null) {
				child.kill('SIGTERM');
				await exited;
			}
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
}
