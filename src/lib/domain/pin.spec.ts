import { describe, it, expect } from 'vitest';
import { pbkdf2Sync } from 'node:crypto';
import { hashPin, PIN_ITERATIONS, PIN_RE, verifyPin } from './pin';
import { pinHash } from './schemas';

const FAST = 1000;
const HASH_RE = /^pbkdf2-sha256\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

function split(stored: string): { iterations: number; salt: string; hash: string } {
	const m = stored.match(HASH_RE);
	if (!m) throw new Error(`unexpected hash format: ${stored}`);
	return { iterations: Number(m[1]), salt: m[2]!, hash: m[3]! };
}

describe('hashPin', () => {
	it('writes pbkdf2-sha256$iterations$salt$hash with a 16-byte salt and a 32-byte hash', async () => {
		const stored = await hashPin('1234', FAST);
		expect(stored).toMatch(/^pbkdf2-sha256\$1000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
		const { salt, hash } = split(stored);
		expect(fromB64url(salt)).toHaveLength(16);
		expect(fromB64url(hash)).toHaveLength(32);
		expect(pinHash.safeParse(stored).success).toBe(true);
	});

	it('is standard PBKDF2-HMAC-SHA256 (matches node:crypto)', async () => {
		const stored = await hashPin('20261125', FAST);
		const { salt, hash } = split(stored);
		const expected = pbkdf2Sync('20261125', fromB64url(salt), FAST, 32, 'sha256');
		expect(hash).toBe(b64url(expected));
	});

	it('salts every hash afresh', async () => {
		const a = await hashPin('1234', FAST);
		const b = await hashPin('1234', FAST);
		expect(a).not.toBe(b);
		expect(split(a).salt).not.toBe(split(b).salt);
		expect(split(a).hash).not.toBe(split(b).hash);
		expect(await verifyPin('1234', a)).toBe(true);
		expect(await verifyPin('1234', b)).toBe(true);
	});

	it('accepts 4 to 8 digits and refuses anything else', async () => {
		await expect(hashPin('0000', FAST)).resolves.toMatch(HASH_RE);
		await expect(hashPin('12345678', FAST)).resolves.toMatch(HASH_RE);
		for (const bad of ['', '123', '123456789', '12a4', 'abcd', ' 1234', '1234 ', '12-34', '１２３４', '1.23']) {
			await expect(hashPin(bad, FAST), JSON.stringify(bad)).rejects.toThrow('a PIN is 4 to 8 digits');
		}
		expect(PIN_RE.test('1234')).toBe(true);
		expect(PIN_RE.test('１２３４')).toBe(false);
	});

	it('uses 210,000 iterations by default, and the result verifies', async () => {
		expect(PIN_ITERATIONS).toBe(210_000);
		const stored = await hashPin('8642');
		expect(split(stored).iterations).toBe(210_000);
		expect(pinHash.safeParse(stored).success).toBe(true);
		expect(await verifyPin('8642', stored)).toBe(true);
		expect(await verifyPin('8643', stored)).toBe(false);
	});
});

describe('verifyPin', () => {
	it('accepts the right PIN and refuses a wrong one', async () => {
		const stored = await hashPin('4821', FAST);
		expect(await verifyPin('4821', stored)).toBe(true);
		for (const wrong of ['4822', '1284', '0000', '48210', '482', '', 'abcd', '４８２１']) {
			expect(await verifyPin(wrong, stored), wrong).toBe(false);
		}
	});

	it('checks a hash made elsewhere with the same parameters (the centre)', async () => {
		const salt = new Uint8Array(16).map((_, i) => i * 11);
		const stored = `pbkdf2-sha256$${FAST}$${b64url(salt)}$${b64url(pbkdf2Sync('4321', salt, FAST, 32, 'sha256'))}`;
		expect(await verifyPin('4321', stored)).toBe(true);
		expect(await verifyPin('4320', stored)).toBe(false);
	});

	it('refuses when the stored iterations, salt or hash were altered', async () => {
		const stored = await hashPin('4821', FAST);
		const { salt, hash } = split(stored);
		const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
		expect(await verifyPin('4821', `pbkdf2-sha256$1001$${salt}$${hash}`)).toBe(false);
		expect(await verifyPin('4821', `pbkdf2-sha256$${FAST}$${flip(salt)}$${hash}`)).toBe(false);
		expect(await verifyPin('4821', `pbkdf2-sha256$${FAST}$${salt}$${flip(hash)}`)).toBe(false);
		expect(await verifyPin('4821', `pbkdf2-sha256$${FAST}$${salt}$${hash.slice(0, 22)}`)).toBe(false); // truncated
	});

	it('returns false (never throws) for a malformed stored hash', async () => {
		const salt = 'AAAAAAAAAAAAAAAAAAAAAA';
		const hash = 'A'.repeat(43);
		for (const bad of [
			'',
			'1234',
			'bcrypt$10$abc$def',
			`pbkdf2-sha1$${FAST}$${salt}$${hash}`,
			`pbkdf2-sha256$${FAST}$${salt}`,
			`pbkdf2-sha256$$${salt}$${hash}`,
			`pbkdf2-sha256$abc$${salt}$${hash}`,
			`pbkdf2-sha256$${FAST}$${salt}$${hash}$extra`,
			`pbkdf2-sha256$${FAST}$sa+lt$${hash}`,
			`pbkdf2-sha256$0$${salt}$${hash}`, // zero iterations: WebCrypto would throw
			`pbkdf2-sha256$99999999999$${salt}$${hash}`, // absurd cost: refused, not computed
			`pbkdf2-sha256$${FAST}$A$${hash}`, // salt is not valid base64
			`pbkdf2-sha256$${FAST}$${salt}$A` // hash is not valid base64
		]) {
			await expect(verifyPin('1234', bad), bad).resolves.toBe(false);
		}
	});
});
