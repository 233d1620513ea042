/** base64url without padding (RFC 4648 §5), for bytes in text: stamps, hashes, sealed notes. */
export function b64url(bytes: Uint8Array): string {
	let s = '';
	for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of base64url text; throws on text that is not base64. */
export function fromB64url(text: string): Uint8Array<ArrayBuffer> {
	const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
	return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
