/**
 * `npm run admin -- <command> [args] [--json]`: the operator's command line (README.md).
 *
 * The embedded store belongs to one process at a time. If the server is running, the command goes
 * to it through its admin socket (`<HIROBA_DATA_DIR>/admin.sock`); if not, this process hosts the
 * app itself for the one command, with an admin socket of its own so that a server starting
 * meanwhile waits for it. Either way the command runs in the app, inside the store's process.
 *
 * With --json, stdout carries exactly one JSON document (the result, or `{ error }`); everything
 * else (build output, the app's logs) goes to stderr.
 */
import { chmodSync, existsSync, mkdirSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBuild } from './lib/build.js';
import { adminRequest, adminSocketPath, dataDir, errorMessage, listenAdmin, loadApp, settleDataDir, shutdown, width } from './lib/host.js';

const USAGE = `Hiroba admin — npm run admin -- <command> [arguments] [--json]

  sites                              list sites (会場) with their program and id
  enroll-code <siteId> [<siteId>…]   make a single-use device enrollment code (15 minutes)
  staff add --name <name> --role <consultant|coordinator|admin>
            [--pin <6–8 digits>] [--login <name> --password <password>] [--site <siteId>…]
                                     add a staff member (職員): PIN for tablets, login for /centre
  devices                            list enrolled tablets (端末)
  revoke <deviceId>                  revoke a tablet: it is refused and wipes its data
  backup <file>                      write a backup of the whole store (gzip'd JSON, mode 0600)
  restore <file>                     replace the whole store with a backup
  keys                               the sealing keys (暗号鍵) and the notes sealed to each
  rotate-key                         make a new sealing key; tablets seal to it from their next sync
  help                               this text

  --json   print one JSON document on stdout and nothing else (for scripts)

Works with the server running (through its local admin socket) or stopped, on the store that
npm start uses: HIROBA_DATA_DIR (default ./data), or DATABASE_URL.`;

class UsageError extends Error {}

/** Where the user's relative file paths start: npm runs scripts in the package root. */
const userCwd = process.env.INIT_CWD || process.cwd();

/**
 * @param {string[]} argv
 * @returns {{ json: boolean, help: boolean, command: string | null, args: Record<string, unknown> }}
 */
function parseArgs(argv) {
	let json = false;
	let help = false;
	/** @type {string[]} */
	const words = [];
	/** @type {Record<string, string[]>} */
	const options = {};
	for (let i = 0; i < argv.length; i++) {
		const a = /** @type {string} */ (argv[i]);
		if (a === '--json') json = true;
		else if (a === '--help' || a === '-h') help = true;
		else if (a.startsWith('--')) {
			const eq = a.indexOf('=');
			const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
			const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
			if (value === undefined) throw new UsageError(`--${name} needs a value`);
			(options[name] ??= []).push(value);
		} else words.push(a);
	}
	const [first, ...rest] = words;
	if (help || !first || first === 'help') return { json, help: true, command: null, args: {} };

	/** @param {string[]} allowed */
	const onlyOptions = (allowed) => {
		for (const name of Object.keys(options)) if (!allowed.includes(name)) throw new UsageError(`${first}: unknown option --${name}`);
	};
	/** @param {string} name */
	const one = (name) => {
		const v = options[name];
		if (v && v.length > 1) throw new UsageError(`--${name} given more than once`);
		return v?.[0];
	};
	/** @param {number} n */
	const positional = (n) => {
		if (rest.length !== n) throw new UsageError(`${first} takes ${n === 0 ? 'no arguments' : n === 1 ? 'one argument' : `${n} arguments`}`);
	};

	switch (first) {
		case 'sites':
		case 'devices':
			onlyOptions([]);
			positional(0);
			return { json, help: false, command: first, args: {} };
		case 'enroll-code':
			onlyOptions([]);
			if (rest.length === 0) throw new UsageError('enroll-code needs at least one site id (see: sites)');
			return { json, help: false, command: 'enroll-code', args: { siteIds: rest } };
		case 'revoke':
			onlyOptions([]);
			positional(1);
			return { json, help: false, command: 'revoke', args: { deviceId: rest[0] } };
		case 'keys':
		case 'rotate-key':
			onlyOptions([]);
			positional(0);
			return { json, help: false, command: first, args: {} };
		case 'backup':
		case 'restore':
			onlyOptions([]);
			positional(1);
			return { json, help: false, command: first, args: { file: resolve(userCwd, /** @type {string} */ (rest[0])) } };
		case 'staff': {
			if (rest[0] !== 'add' || rest.length !== 1) throw new UsageError('the staff command is: staff add --name <name> --role <role> …');
			onlyOptions(['name', 'role', 'pin', 'login', 'password', 'site']);
			const name = one('name');
			const role = one('role');
			if (name === undefined) throw new UsageError('staff add needs --name');
			if (role === undefined) throw new UsageError('staff add needs --role (consultant, coordinator or admin)');
			/** @type {Record<string, unknown>} */
			const args = { displayName: name, role };
			const pin = one('pin');
			const login = one('login');
			const password = one('password');
			if (pin !== undefined) args.pin = pin;
			if (login !== undefined) args.loginName = login;
			if (password !== undefined) args.password = password;
			if (options.site) args.siteIds = options.site;
			return { json, help: false, command: 'staff-add', args };
		}
		default:
			throw new UsageError(`unknown command ${JSON.stringify(first)}`);
	}
}

/**
 * A plain text table, aligned for East Asian wide characters.
 * @param {string[]} head
 * @param {Array<Array<string>>} rows
 */
function table(head, rows) {
	const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
	/** @param {string[]} cells */
	const line = (cells) =>
		cells
			.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
			.join('  ')
			.trimEnd();
	return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** @param {string | null | undefined} iso */
function when(iso) {
	if (!iso) return '—';
	return new Date(iso).toLocaleString('ja-JP', {
		timeZone: 'Asia/Tokyo',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit'
	});
}

/** @param {Record<string, number>} counts */
function countsLine(counts) {
	return Object.entries(counts)
		.filter(([, n]) => n > 0)
		.map(([t, n]) => `${t} ${n}`)
		.join(', ');
}

/**
 * Where the sealing keys are, and whether every sealed note in the store opens with them.
 * @param {{ dir: string, current: string, held: string[], sealedByKey: Record<string, number>, missing: string[] }} k
 */
function keyLines(k) {
	const sealed = Object.values(k.sealedByKey).reduce((a, b) => a + b, 0);
	return [
		`  sealing keys 暗号鍵: ${k.dir} (HIROBA_KEY_DIR; ${k.held.length} key${k.held.length === 1 ? '' : 's'}, current ${k.current})`,
		k.missing.length === 0
			? `  all ${sealed} sealed notes open with these keys`
			: `  WARNING: ${k.missing.map((kid) => `${k.sealedByKey[kid]} notes sealed to ${kid}`).join(', ')} cannot be opened: that key is not in the folder. Put the key folder of the backup's centre back (or set HIROBA_KEY_DIR to it) to open them.`
	];
}

/**
 * The readable form of a command's result.
 * @param {string} command
 * @param {any} r
 */
function human(command, r) {
	switch (command) {
		case 'sites':
			if (r.sites.length === 0) return 'No sites yet (会場はまだありません).';
			return table(
				['program 事業', 'site 会場', 'id', ''],
				r.sites.map((/** @type {any} */ s) => [s.programNameJa ?? s.program ?? '—', s.nameJa, s.id, s.active ? '' : '(inactive 休止)'])
			);
		case 'enroll-code':
			return [
				`Enrollment code 登録コード:  ${r.code}`,
				`  sites 会場:   ${r.sites.map((/** @type {any} */ s) => s.nameJa).join(', ')}`,
				`  valid until: ${when(r.expiresAt)} JST (single use)`,
				`  On the tablet, enter it at first start; or: POST /api/v1/devices/enroll {"code":"${r.code}","name":"…"}`
			].join('\n');
		case 'staff-add':
			return [
				`Added staff member 職員を追加しました: ${r.displayName} (${r.role})`,
				`  id:    ${r.id}`,
				`  PIN:   ${r.hasPin ? 'set (tablets get it at their next sync)' : 'none'}`,
				`  login: ${r.loginName ?? 'none'}`
			].join('\n');
		case 'devices':
			if (r.devices.length === 0) return 'No devices enrolled yet (登録済みの端末はありません).';
			return table(
				['id', 'name 名前', 'state 状態', 'sites', 'enrolled 登録', 'last seen 最終同期', 'pushed'],
				r.devices.map((/** @type {any} */ d) => [
					d.id,
					d.name,
					d.state,
					String(d.siteIds.length),
					when(d.enrolledAt),
					when(d.lastSeenAt),
					String(d.pushedCount)
				])
			);
		case 'revoke':
			return `Revoked device 端末を失効しました: ${r.device.name} (${r.device.id}).\nIt is refused from now on and wipes its local data at its next contact.`;
		case 'backup':
			return [
				`Backup written バックアップ完了: ${r.file} (${(r.bytes / 1024).toFixed(1)} KiB, mode 0600)`,
				`  schema ${r.schemaVersion}, sync sequence ${r.sequence}, at ${when(r.createdAt)} JST`,
				`  rows: ${countsLine(r.tables) || 'none'}`,
				...keyLines(r.keys),
				`  This backup holds the notes sealed, never the keys: without the key folder above it opens no`,
				`  consultation note. Keep a copy of that folder, apart from the backups (このバックアップだけでは相談メモは開けません).`
			].join('\n');
		case 'keys':
			return keyLines(r).join('\n');
		case 'rotate-key':
			return [`New sealing key 新しい暗号鍵: ${r.rotated} (tablets seal to it from their next sync)`, ...keyLines(r)].join('\n');
		case 'restore':
			return [
				`Restored 復元完了: ${r.file} (backup of ${when(r.createdAt)} JST)`,
				`  rows: ${countsLine(r.tables) || 'none'}`,
				`  sync sequence is now ${r.sequence}; tablets enrolled after the backup must enroll again.`,
				...keyLines(r.keys)
			].join('\n');
		default:
			return JSON.stringify(r, null, 2);
	}
}

async function main() {
	// Only the final result goes to stdout: build output and the app's logs go to stderr.
	const writeOut = process.stdout.write.bind(process.stdout);
	process.stdout.write = /** @type {typeof process.stdout.write} */ (process.stderr.write.bind(process.stderr));
	/** @param {string} text */
	const print = (text) => new Promise((r) => writeOut(`${text}\n`, () => r(undefined)));

	/** @type {ReturnType<typeof parseArgs>} */
	let parsed;
	try {
		parsed = parseArgs(process.argv.slice(2));
	} catch (e) {
		if (!(e instanceof UsageError)) throw e;
		const json = process.argv.includes('--json');
		console.error(`error: ${e.message}\n\n${USAGE}`);
		if (json) await print(JSON.stringify({ error: { code: 'usage', message: e.message } }));
		return 2;
	}
	if (parsed.help || !parsed.command) {
		await print(parsed.json ? JSON.stringify({ usage: USAGE }) : USAGE);
		return 0;
	}
	const { command, args, json } = parsed;

	/** @param {{ status: number, body: any }} r */
	const report = async (r) => {
		if (r.status === 200) {
			await print(json ? JSON.stringify(r.body) : human(command, r.body));
			return 0;
		}
		const err = r.body?.error ?? { code: 'internal', message: `status ${r.status}` };
		console.error(`error: ${err.message} (${err.code})`);
		if (json) await print(JSON.stringify({ error: err }));
		return 1;
	};

	const dir = dataDir();
	const socketPath = adminSocketPath(dir);
	const holder = existsSync(dir) ? await settleDataDir(dir, (line) => console.error(line)) : null;
	if (holder) return report(await adminRequest(socketPath, command, args));

	// No server: host the app here for this one command.
	if (!process.env.DATABASE_URL && !existsSync(join(dir, 'pglite')) && command !== 'restore') {
		const message = `there is no Hiroba store in ${dir} yet: start the server once (npm start), or set HIROBA_DATA_DIR or DATABASE_URL`;
		console.error(`error: ${message}`);
		if (json) await print(JSON.stringify({ error: { code: 'not_found', message } }));
		return 1;
	}
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	chmodSync(dir, 0o700); // one that existed keeps its old mode otherwise
	await ensureBuild({ quiet: true });
	const { handler, secret } = await loadApp();
	/** @type {import('node:http').Server | null} */
	let admin = null;
	let code = 1;
	try {
		admin = await listenAdmin(handler, secret, socketPath, 'admin-cli');
		code = await report(await adminRequest(socketPath, command, args));
	} catch (e) {
		console.error(`error: ${errorMessage(e)}`);
		if (json) await print(JSON.stringify({ error: { code: 'internal', message: errorMessage(e) } }));
	} finally {
		// Closes the socket and the store, then exits with the command's code.
		await shutdown([admin], 'admin-done', code);
	}
	return code;
}

try {
	process.exitCode = await main();
} catch (e) {
	console.error(`error: ${errorMessage(e)}`);
	if (process.argv.includes('--json')) {
		// stdout.write is pointed at stderr during the run: write to the real stdout directly.
		writeSync(1, `${JSON.stringify({ error: { code: 'internal', message: errorMessage(e) } })}\n`);
	}
	process.exit(1);
}
