/**
 * Staff PINs. A tablet checks a PIN offline against the roster's hash, so the hash must be slow
 * (PBKDF2-SHA256, WebCrypto, on the tablet and at the centre alike) and salted per staff member.
 * A PIN is short; the slow hash makes each guess on the tablet cost a quarter of a second or more,
 * and the tablet's growing lockout per staff member bounds how many guesses a stranger gets.
 */
import { b64url, fromB64url } from './base64';

/** A new PIN has 6 to 8 digits (DESIGN.md "Security and privacy model"). */
export const PIN_MIN_DIGITS = 6;
export const PIN_MAX_DIGITS = 8;
export const PIN_RE = /^\d{6,8}$/;

/**
 * A PIN someone would try first: one digit repeated (000000), a straight run up or down (123456,
 * 987654), or a short block repeated (121212, 123123). The centre refuses these when a coordinator
 * types a PIN and never issues one; a tablet still verifies any PIN it holds a hash of.
 */
export function isGuessablePin(pin: string): boolean {
	if (!/^\d+$/.test(pin)) return false;
	const d = [...pin].map(Number);
	const steps = new Set(d.slice(1).map((x, i) => x - d[i]!));
	if (steps.size === 1 && [0, 1, -1].includes([...steps][0]!)) return true;
	for (const size of [2, 3, 4]) {
		if (pin.length % size === 0 && pin.length > size && pin === pin.slice(0, size).repeat(pin.length / size)) return true;
	}
	return false;
}

/**
 * Rosters from before the 6-digit rule hold hashes of 4- and 5-digit PINs. They still verify:
 * refusing them would shut those staff out of every tablet (and out of leaving the kiosk) until a
 * coordinator sets a new PIN, while their weakness is bounded by the lockout all the same. Every
 * such hash was made at the old default of 210,000 iterations; a hash at OWASP_PBKDF2_ITERATIONS
 * or more was made under the 6-digit rule, so a shorter PIN cannot match it.
 */
export const LEGACY_PIN_MIN_DIGITS = 4;
const ENTERED_PIN_RE = /^\d{4,8}$/;

/** OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA256 at 600,000 iterations or more. */
export const OWASP_PBKDF2_ITERATIONS = 600_000;

/**
 * Above OWASP's floor, because the budget is the time a guess costs on the tablet: ≥ 250 ms in
 * Chromium on the benchmark machine, unthrottled (`npm run bench -- pin` measures it). Chromium's
 * PBKDF2 ran at 0.16–0.2 ms per thousand iterations there (Node's at about 0.25–0.3), so OWASP's
 * 600,000 cost a guess only 100–150 ms, and at 1,500,000 the fastest guesses came to 250 ms and
 * no more; at 2,000,000 the fastest took about 330 ms. The hash names its own count, so hashes
 * made at another count still verify.
 */
export const PIN_ITERATIONS = 2_000_000;

const HASH_RE = /^pbkdf2-sha256\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
	const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, key, 256);
	return new Uint8Array(bits);
}

export async function hashPin(pin: string, iterations: number = PIN_ITERATIONS): Promise<string> {
	if (!PIN_RE.test(pin)) throw new Error(`a PIN is ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS} digits`);
	const salt = crypto.getRandomValues(new Uint8Array(16));
	return `pbkdf2-sha256$${iterations}$${b64url(salt)}$${b64url(await derive(pin, salt, iterations))}`;
}

/**
 * The fewest digits a PIN checked against this hash can have: 6 for a hash made under the 6-digit
 * rule, 4 for an older one (see LEGACY_PIN_MIN_DIGITS). The PIN pad does not submit fewer.
 */
export function pinMinDigits(stored: string | null | undefined): number {
	const iterations = Number(stored?.match(HASH_RE)?.[1] ?? NaN);
	return iterations >= OWASP_PBKDF2_ITERATIONS ? PIN_MIN_DIGITS : LEGACY_PIN_MIN_DIGITS;
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
	const m = stored.match(HASH_RE);
	if (!m || !ENTERED_PIN_RE.test(pin)) return false;
	const iterations = Number(m[1]);
	// A malformed roster entry (zero or absurd iterations, bad base64) is a wrong PIN, not a crash.
	if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
	// Too short for this hash: it cannot match, so the slow derivation is not worth running.
	if (pin.length < pinMinDigits(stored)) return false;
	let expected: Uint8Array;
	let actual: Uint8Array;
	try {
		expected = fromB64url(m[3]!);
		actual = await derive(pin, fromB64url(m[2]!), iterations);
	} catch {
		return false;
	}
	if (actual.length !== expected.length) return false;
	let diff = 0;
	for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
	return diff === 0;
}
