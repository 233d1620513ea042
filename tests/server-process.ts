/**
 * The built server and the admin command as child processes, the way an operator runs them
 * (`npm start`, `npm run admin`). The build is made once, before the suite, by
 * scripts/ensure-build.js; these processes get HIROBA_SKIP_BUILD=1 so that none of them rebuilds.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../src/lib/server/db/store';
import { copyDataDir, template } from './templates';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type Env = Record<string, string | undefined>;

/**
 * V8 flags of the servers and admin commands the tests start: WebAssembly compiled by the baseline
 * compiler only. PGlite's backend is 9 MB of WebAssembly, and these processes live for seconds,
 * not days: measured on 2 cores, an admin command took 1.65 s (1.85 s of CPU) instead of 2.2 s
 * (3.05 s), and a server was ready in 2.0 s instead of 2.85 s. The app runs the same; `npm start`
 * and the benchmarks use V8's defaults.
 */
const NODE_ARGS = ['--liftoff-only'];

/** The environment of a child process: this one's, less anything that would point it elsewhere. */
function childEnv(dataDir: string, extra: Env = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env };
	for (const name of [
		'DATABASE_URL',
		'HIROBA_NO_DEMO',
		'ORIGIN',
		'PROTOCOL_HEADER',
		'ADDRESS_HEADER',
		'TLS_CERT_FILE',
		'TLS_KEY_FILE',
		'BODY_SIZE_LIMIT',
		'HIROBA_ADMIN_SECRET',
		'HIROBA_KEY_DIR'
	]) {
		delete env[name];
	}
	// The sealing keys live beside the data folder, not in it (DESIGN.md): the same data folder gets
	// the same keys back on a restart.
	Object.assign(env, {
		HIROBA_DATA_DIR: dataDir,
		HIROBA_KEY_DIR: `${dataDir.replace(/\/+$/, '')}-keys`,
		HIROBA_SKIP_BUILD: '1',
		PORT: '0',
		HOST: '127.0.0.1',
		NODE_ENV: 'production'
	});
	for (const [k, v] of Object.entries(extra)) {
		if (v === undefined) delete env[k];
		else env[k] = v;
	}
	return env;
}

export interface RunningServer {
	/** e.g. http://127.0.0.1:40123 */
	url: string;
	pid: number;
	banner: string;
	/** The enrollment code the banner offers, if any. */
	enrollmentCode: string | null;
	output(): string;
	/** SIGTERM, then the exit code once the process has ended. */
	stop(): Promise<number | null>;
	/** SIGKILL (a crash, a power cut of the process: no shutdown code runs), resolved once it has ended. */
	kill(): Promise<void>;
}

/**
 * A private copy of the built app, for a test that rewrites its files (the service worker, to
 * play an update) while other test files run beside it on the shared build. build/ and scripts/
 * are copied (scripts/lib/build.js finds the build beside itself); node_modules is linked.
 */
export function privateBuild(): { root: string; dispose(): void } {
	const root = mkdtempSync(join(tmpdir(), 'hiroba-build-'));
	cpSync(join(ROOT, 'build'), join(root, 'build'), { recursive: true });
	cpSync(join(ROOT, 'scripts'), join(root, 'scripts'), { recursive: true });
	cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
	symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
	return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Start `node scripts/start.js` on a free port and wait until its banner is out; `root` is the
 * project folder whose build it serves (a privateBuild), this one by default.
 */
export async function startServer(opts: { dataDir: string; env?: Env; timeoutMs?: number; root?: string }): Promise<RunningServer> {
	const root = opts.root ?? ROOT;
	const child = spawn(process.execPath, [...NODE_ARGS, join(root, 'scripts', 'start.js')], {
		cwd: root,
		env: childEnv(opts.dataDir, opts.env),
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
	child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
	const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

	await new Promise<void>((resolvePromise, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`the server did not start within ${opts.timeoutMs ?? 180_000} ms:\n${out}`));
		}, opts.timeoutMs ?? 180_000);
		const check = () => {
			if (/Stop with Ctrl\+C\./.test(out)) {
				clearTimeout(timer);
				resolvePromise();
			}
		};
		child.stdout.on('data', check);
		void exited.then((code) => {
			clearTimeout(timer);
			reject(new Error(`the server exited (${code}) before it was ready:\n${out}`));
		});
	});

	const url = out.match(/is running at (https?:\/\/\S+) /)?.[1];
	if (!url) throw new Error(`no URL in the banner:\n${out}`);
	const banner = out;
	return {
		url,
		pid: child.pid!,
		banner,
		enrollmentCode: banner.match(/登録コード: ([0-9A-Z]{5}-[0-9A-Z]{5})/)?.[1] ?? null,
		output: () => out,
		async stop() {
			if (child.exitCode !== null) return child.exitCode;
			child.kill('SIGTERM');
			return exited;
		},
		async kill() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			process.kill(child.pid!, 'SIGKILL');
			await exited;
		}
	};
}

export interface AdminResult {
	code: number | null;
	stdout: string;
	stderr: string;
	/** stdout parsed as the one JSON document `--json` promises. */
	json<T = unknown>(): T;
}

/** Run `node scripts/admin.js <args>` against a data folder (and store). */
export async function runAdmin(args: string[], opts: { dataDir: string; env?: Env }): Promise<AdminResult> {
	const child = spawn(process.execPath, [...NODE_ARGS, join(ROOT, 'scripts', 'admin.js'), ...args], {
		cwd: ROOT,
		env: childEnv(opts.dataDir, opts.env),
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
	child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
	const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
	return {
		code,
		stdout,
		stderr,
		json<T>() {
			try {
				return JSON.parse(stdout) as T;
			} catch {
				throw new Error(`admin ${args.join(' ')} did not print one JSON document (exit ${code}):\nstdout: ${stdout}\nstderr: ${stderr}`);
			}
		}
	};
}

/** A data folder of its own, and (for PostgreSQL) a schema of its own, for one test file. */
export interface Place {
	kind: 'pglite' | 'postgres';
	dataDir: string;
	/** DATABASE_URL for the children, when on PostgreSQL. */
	env: Env;
	/** Open the store directly (only while no server or admin command holds it, for PGlite). */
	open(): Promise<Store>;
	dispose(): Promise<void>;
}

/**
 * `from` (PGlite only): start from nothing (a first start, the default), from a migrated empty
 * store, or from a folder a server has already started on once with demo data (tests/templates.ts).
 */
export async function makePlace(kind: 'pglite' | 'postgres', opts: { from?: 'nothing' | 'migrated' | 'demo' } = {}): Promise<Place> {
	const dataDir = mkdtempSync(join(tmpdir(), 'hiroba-it-'));
	if (kind === 'pglite') {
		const from = opts.from ?? 'nothing';
		if (from === 'migrated') copyDataDir(template('migrated'), dataDir);
		if (from === 'demo') {
			copyDataDir(template('demo'), dataDir);
			copyDataDir(`${template('demo')}-keys`, `${dataDir}-keys`);
		}
		return {
			kind,
			dataDir,
			env: {},
			open: () => openStore({ kind: 'pglite', dataDir }),
			async dispose() {
				rmSync(dataDir, { recursive: true, force: true });
				rmSync(`${dataDir}-keys`, { recursive: true, force: true });
			}
		};
	}
	const base = process.env.TEST_DATABASE_URL;
	if (!base) throw new Error('TEST_DATABASE_URL is not set');
	const schema = `it_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
	const admin = await openStore({ kind: 'postgres', url: base });
	await admin.exec(`create schema ${schema}`);
	await admin.close();
	const url = new URL(base);
	url.searchParams.set('options', `-c search_path=${schema}`);
	const databaseUrl = url.toString();
	return {
		kind,
		dataDir,
		env: { DATABASE_URL: databaseUrl },
		open: () => openStore({ kind: 'postgres', url: databaseUrl }),
		async dispose() {
			rmSync(dataDir, { recursive: true, force: true });
			rmSync(`${dataDir}-keys`, { recursive: true, force: true });
			const s = await openStore({ kind: 'postgres', url: base });
			await s.exec(`drop schema if exists ${schema} cascade`);
			await s.close();
		}
	};
}
