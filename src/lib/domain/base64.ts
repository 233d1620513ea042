/** base64url without padding (RFC 4648 §5), for bytes in text: stamps, hashes, sealed notes. */
export function b64url(bytes: Uint8Array): string {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of base64url text; throws on text that is not base64. */
export function fromB64url(text: string): Uint8Array<ArrayBuffer> {
	const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
	return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
