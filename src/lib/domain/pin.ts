/**
 * Staff PINs. A tablet checks a PIN offline against the roster's hash, so the hash must be slow
 * (PBKDF2-SHA256, WebCrypto, on the tablet and at the centre alike) and salted per staff member.
 * A PIN is short; the real defence is the tablet's growing lockout after failures.
 */
export const PIN_RE = /^\d{4,8}$/;
export const PIN_ITERATIONS = 210_000;

function b64url(bytes: Uint8Array): string {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array {
	const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
	return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
	const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, key, 256);
	return new Uint8Array(bits);
}

export async function hashPin(pin: string, iterations: number = PIN_ITERATIONS): Promise<string> {
	if (!PIN_RE.test(pin)) throw new Error('a PIN is 4 to 8 digits');
	const salt = crypto.getRandomValues(new Uint8Array(16));
	return `pbkdf2-sha256$${iterations}$${b64url(salt)}$${b64url(await derive(pin, salt, iterations))}`;
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
	const m = stored.match(/^pbkdf2-sha256\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/);
	if (!m || !PIN_RE.test(pin)) return false;
	const iterations = Number(m[1]);
	// A malformed roster entry (zero or absurd iterations, bad base64) is a wrong PIN, not a crash.
	if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
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
