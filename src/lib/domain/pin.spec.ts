import { describe, it, expect } from 'vitest';
import { pbkdf2Sync } from 'node:crypto';
import { hashPin, isGuessablePin, OWASP_PBKDF2_ITERATIONS, PIN_ITERATIONS, PIN_RE, pinMinDigits, verifyPin } from './pin';
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
		const stored = await hashPin('482193', FAST);
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
		const a = await hashPin('482193', FAST);
		const b = await hashPin('482193', FAST);
		expect(a).not.toBe(b);
		expect(split(a).salt).not.toBe(split(b).salt);
		expect(split(a).hash).not.toBe(split(b).hash);
		expect(await verifyPin('482193', a)).toBe(true);
		expect(await verifyPin('482193', b)).toBe(true);
	});

	it('accepts 6 to 8 digits for a new PIN and refuses anything else', async () => {
		await expect(hashPin('000000', FAST)).resolves.toMatch(HASH_RE);
		await expect(hashPin('1234567', FAST)).resolves.toMatch(HASH_RE);
		await expect(hashPin('12345678', FAST)).resolves.toMatch(HASH_RE);
		for (const bad of ['', '123', '1234', '12345', '123456789', '12a456', 'abcdef', ' 123456', '123456 ', '123-456', '１２３４５６', '1.2345']) {
			await expect(hashPin(bad, FAST), JSON.stringify(bad)).rejects.toThrow('a PIN is 6 to 8 digits');
		}
		expect(PIN_RE.test('123456')).toBe(true);
		expect(PIN_RE.test('1234')).toBe(false);
		expect(PIN_RE.test('１２３４５６')).toBe(false);
	});

	it('defaults to at least OWASP’s 600,000 iterations, written into the hash', () => {
		expect(OWASP_PBKDF2_ITERATIONS).toBe(600_000);
		expect(PIN_ITERATIONS).toBeGreaterThanOrEqual(600_000);
		// The roster schema allows counts of 4 to 7 digits.
		expect(PIN_ITERATIONS).toBeLessThan(10_000_000);
		const stored = `pbkdf2-sha256$${PIN_ITERATIONS}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
		expect(pinHash.safeParse(stored).success).toBe(true);
	});
});

describe('pinMinDigits', () => {
	it('is 6 for a hash made under the 6-digit rule and 4 for an older (or unreadable) one', () => {
		const at = (n: number) => `pbkdf2-sha256$${n}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
		expect(pinMinDigits(at(PIN_ITERATIONS))).toBe(6);
		expect(pinMinDigits(at(600_000))).toBe(6);
		expect(pinMinDigits(at(210_000))).toBe(4);
		expect(pinMinDigits(at(FAST))).toBe(4);
		for (const odd of [null, undefined, '', 'bcrypt$10$abc$def']) expect(pinMinDigits(odd)).toBe(4);
	});
});

describe('verifyPin', () => {
	it('accepts the right PIN and refuses a wrong one', async () => {
		const stored = await hashPin('482193', FAST);
		expect(await verifyPin('482193', stored)).toBe(true);
		for (const wrong of ['482194', '391284', '000000', '4821930', '48219', '4821', '', 'abcdef', '４８２１９３']) {
			expect(await verifyPin(wrong, stored), wrong).toBe(false);
		}
	});

	it('still accepts a 4- or 5-digit PIN against a hash from before the 6-digit rule', async () => {
		const salt = new Uint8Array(16).map((_, i) => i * 7);
		const legacy = (pin: string) => `pbkdf2-sha256$${FAST}$${b64url(salt)}$${b64url(pbkdf2Sync(pin, salt, FAST, 32, 'sha256'))}`;
		expect(await verifyPin('4821', legacy('4821'))).toBe(true);
		expect(await verifyPin('48213', legacy('48213'))).toBe(true);
		expect(await verifyPin('4822', legacy('4821'))).toBe(false);
		expect(await verifyPin('482', legacy('482'))).toBe(false); // 3 digits were never a PIN
	});

	it('refuses a PIN shorter than 6 digits against a hash made under the 6-digit rule', async () => {
		// A 4-digit PIN hashed outside hashPin at a current count: only reachable by forging the roster.
		const salt = new Uint8Array(16).map((_, i) => i * 3);
		const n = OWASP_PBKDF2_ITERATIONS;
		const forged = `pbkdf2-sha256$${n}$${b64url(salt)}$${b64url(pbkdf2Sync('4821', salt, n, 32, 'sha256'))}`;
		expect(await verifyPin('4821', forged)).toBe(false);
	});

	it('checks a hash made elsewhere with the same parameters (the centre)', async () => {
		const salt = new Uint8Array(16).map((_, i) => i * 11);
		const stored = `pbkdf2-sha256$${FAST}$${b64url(salt)}$${b64url(pbkdf2Sync('735219', salt, FAST, 32, 'sha256'))}`;
		expect(await verifyPin('735219', stored)).toBe(true);
		expect(await verifyPin('735210', stored)).toBe(false);
	});

	it('refuses when the stored iterations, salt or hash were altered', async () => {
		const stored = await hashPin('482193', FAST);
		const { salt, hash } = split(stored);
		const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
		expect(await verifyPin('482193', stored)).toBe(true);
		expect(await verifyPin('482193', `pbkdf2-sha256$1001$${salt}$${hash}`)).toBe(false);
		expect(await verifyPin('482193', `pbkdf2-sha256$${FAST}$${flip(salt)}$${hash}`)).toBe(false);
		expect(await verifyPin('482193', `pbkdf2-sha256$${FAST}$${salt}$${flip(hash)}`)).toBe(false);
		expect(await verifyPin('482193', `pbkdf2-sha256$${FAST}$${salt}$${hash.slice(0, 22)}`)).toBe(false); // truncated
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
			await expect(verifyPin('482193', bad), bad).resolves.toBe(false);
		}
	});
});

describe('isGuessablePin', () => {
	it('refuses one digit repeated, straight runs up or down, and a short block repeated', () => {
		for (const pin of ['000000', '999999', '11111111', '123456', '234567', '12345678', '987654', '654321', '121212', '123123', '12341234', '909090'])
			expect(isGuessablePin(pin), pin).toBe(true);
	});

	it('lets ordinary PINs through (the demo staff’s among them)', () => {
		for (const pin of ['482193', '730516', '193754', '571639', '58392017', '123457', '112233', '890123', '1212121'])
			expect(isGuessablePin(pin), pin).toBe(false);
	});
});
