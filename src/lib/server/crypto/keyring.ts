/**
 * The centre's sealing keys (seal.ts), kept in a folder of their own, never in the database: a
 * copy of the database, or a backup of it, opens no note without this folder.
 *
 * `<HIROBA_KEY_DIR>` (default `./keys`, mode 0700) holds one file per key pair, `<kid>.jwk`
 * (mode 0600), and `current`, the id of the key tablets seal to. The first start makes the first
 * pair; `npm run admin -- rotate-key` makes a new current one. Old pairs stay, so every note sealed
 * to them still opens. Several server processes may share the folder: creation is exclusive, and a
 * process notices a rotation by the `current` file changing.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSealPrivateKey, importSealRecipient, KEY_ID_RE, makeSealKeyPair, sealKeyId, type SealPublicKey, type SealRecipient } from '$lib/domain/seal';

export const KEY_FILE_FORMAT = 'hiroba-seal-key';

export function keyDirFromEnv(env: Record<string, string | undefined> = process.env): string {
	return resolve(env.HIROBA_KEY_DIR || join(process.cwd(), 'keys'));
}

export interface Keyring {
	dir: string;
	/** The key tablets seal to now. */
	current: SealPublicKey;
	recipient: SealRecipient;
	/** Every key id this centre can open, oldest first by creation. */
	kids: string[];
	privateKeyFor(kid: string): CryptoKey | undefined;
}

interface KeyFile {
	format: typeof KEY_FILE_FORMAT;
	kid: string;
	createdAt: string;
	publicJwk: JsonWebKey;
	privateJwk: JsonWebKey;
}

export class KeyringError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'KeyringError';
	}
}

function ensureDir(dir: string): void {
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	chmodSync(dir, 0o700);
}

/** Write a new key pair's file; returns its id. Never overwrites. */
async function writeNewPair(dir: string): Promise<string> {
	const pair = await makeSealKeyPair();
	const file: KeyFile = { format: KEY_FILE_FORMAT, kid: pair.kid, createdAt: new Date().toISOString(), publicJwk: pair.jwk, privateJwk: pair.privateJwk };
	writeFileSync(join(dir, `${pair.kid}.jwk`), JSON.stringify(file, null, '\t') + '\n', { flag: 'wx', mode: 0o600 });
	return pair.kid;
}

function readCurrent(dir: string): string | null {
	try {
		const kid = readFileSync(join(dir, 'current'), 'utf8').trim();
		if (!KEY_ID_RE.test(kid)) throw new KeyringError(`${join(dir, 'current')} does not name a key`);
		return kid;
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
		throw e;
	}
}

/** Make the folder's first key pair unless another process has just done so. */
async function createFirst(dir: string): Promise<void> {
	const kid = await writeNewPair(dir);
	try {
		writeFileSync(join(dir, 'current'), kid + '\n', { flag: 'wx', mode: 0o600 });
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
		unlinkSync(join(dir, `${kid}.jwk`)); // another process won: use its key
	}
}

async function readKeyFile(path: string): Promise<{ file: KeyFile; key: CryptoKey }> {
	let file: KeyFile;
	try {
		file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
	} catch (e) {
		throw new KeyringError(`cannot read the sealing key ${path}: ${(e as Error).message}`);
	}
	if (file.format !== KEY_FILE_FORMAT || (await sealKeyId(file.publicJwk)) !== file.kid) {
		throw new KeyringError(`${path} is not a Hiroba sealing key, or its id does not match its key`);
	}
	return { file, key: await importSealPrivateKey(file.privateJwk) };
}

/**
 * Load the keys in `dir`. With `create` (the server's start), an empty or missing folder gets its
 * first key pair; without it (admin commands), a folder with no key is an error.
 */
export async function loadKeyring(dir: string, opts: { create?: boolean } = {}): Promise<Keyring> {
	if (opts.create) ensureDir(dir);
	let kid = readCurrent(dir);
	if (!kid) {
		if (!opts.create) throw new KeyringError(`no sealing key in ${dir} (HIROBA_KEY_DIR)`);
		await createFirst(dir);
		kid = readCurrent(dir)!;
	}
	const files = readdirSync(dir).filter((f) => f.endsWith('.jwk'));
	const loaded = await Promise.all(files.map((f) => readKeyFile(join(dir, f))));
	loaded.sort((a, b) => a.file.createdAt.localeCompare(b.file.createdAt));
	const keys = new Map(loaded.map((k) => [k.file.kid, k]));
	const cur = keys.get(kid);
	if (!cur) throw new KeyringError(`${join(dir, 'current')} names key ${kid}, which is not in the folder`);
	const current: SealPublicKey = { kid, jwk: cur.file.publicJwk };
	return {
		dir,
		current,
		recipient: await importSealRecipient(current),
		kids: [...keys.keys()],
		privateKeyFor: (id) => keys.get(id)?.key
	};
}

/** Make a new key pair and make it current. Notes sealed to older keys still open. */
export async function rotateKey(dir: string): Promise<SealPublicKey> {
	if (!readCurrent(dir)) throw new KeyringError(`no sealing key in ${dir} to rotate (HIROBA_KEY_DIR)`);
	const kid = await writeNewPair(dir);
	const tmp = join(dir, `current.${process.pid}.tmp`);
	writeFileSync(tmp, kid + '\n', { mode: 0o600 });
	renameSync(tmp, join(dir, 'current'));
	return (await loadKeyring(dir)).current;
}

let cached: { dir: string; ring: Promise<Keyring>; mtimeMs: number; checkedAt: number } | null = null;
/** How often a running server looks for a rotation made by the admin command. */
const RECHECK_MS = 5_000;

function currentMtime(dir: string): number {
	try {
		return statSync(join(dir, 'current')).mtimeMs;
	} catch {
		return 0;
	}
}

/** The process's keyring (made on first use from HIROBA_KEY_DIR), reloaded after a rotation. */
export function getKeyring(): Promise<Keyring> {
	const now = Date.now();
	if (cached && now - cached.checkedAt < RECHECK_MS) return cached.ring;
	const dir = cached?.dir ?? keyDirFromEnv();
	const mtimeMs = currentMtime(dir);
	if (cached && cached.mtimeMs === mtimeMs) {
		cached.checkedAt = now;
		return cached.ring;
	}
	const ring = loadKeyring(dir, { create: true });
	cached = { dir, ring, mtimeMs, checkedAt: now };
	// A failed load is not cached: the next call tries again and reports the error again.
	ring.then(
		() => cached && (cached.mtimeMs = currentMtime(dir)),
		() => (cached = null)
	);
	return ring;
}

/** Tests point the process at a folder of their own. */
export function useKeyDir(dir: string | null): void {
	cached = null;
	if (dir) cached = { dir, ring: loadKeyring(dir, { create: true }), mtimeMs: currentMtime(dir), checkedAt: 0 };
}
