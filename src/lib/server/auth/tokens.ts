import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(text: string): string {
	return createHash('sha256').update(text).digest('hex');
}

/** A bearer token: 256 random bits, base64url, with a prefix that secret scanners recognise. */
export function makeToken(prefix = 'hrb'): string {
	return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function safeEqual(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}
