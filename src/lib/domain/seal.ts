/**
 * Sealing free text to the centre (DESIGN.md "Security and privacy model"): a tablet encrypts a
 * consultation's note to the centre's public key before it is stored, so neither the tablet's
 * IndexedDB, its outbox, the wire nor the centre's database ever holds it in clear. Only the
 * centre's private key, kept in a folder outside the database, opens it.
 *
 * Hybrid encryption with WebCrypto alone (the tablet and Node have it; no crypto library):
 * an ephemeral ECDH P-256 key agreed with the centre's key, HKDF-SHA-256 over the shared secret
 * (salted with the ephemeral public key), and AES-256-GCM. The key id and the record the text
 * belongs to are bound in as additional data, so a sealed note cannot be moved to another record
 * or passed off under another key without failing to open.
 *
 * Text form: `hs1.<kid>.<ephemeral public key, raw>.<iv>.<ciphertext+tag>`, each part base64url.
 * The key id names the key pair (a hash of its public key), so keys can be rotated: the centre
 * keeps every private key it has issued and opens each note with the one it names.
 */
import { b64url, fromB64url } from './base64';

import { SEAL_VERSION, SEALED_RE } from './seal-format';

export { KEY_ID_RE, MAX_SEALED_CHARS, SEAL_VERSION, SEALED_RE } from './seal-format';

const EC = { name: 'ECDH', namedCurve: 'P-256' } as const;
const INFO = new TextEncoder().encode('hiroba seal v1');

/** The centre's public sealing key as a tablet receives it. */
export interface SealPublicKey {
	kid: string;
	/** JWK of an EC P-256 public key (kty, crv, x, y). */
	jwk: JsonWebKey;
}

export interface SealKeyPair extends SealPublicKey {
	privateJwk: JsonWebKey;
}

export type SealErrorCode = 'malformed' | 'unknown_key' | 'cannot_open';

export class SealError extends Error {
	constructor(
		readonly code: SealErrorCode,
		message: string
	) {
		super(message);
		this.name = 'SealError';
	}
}

/** A key id: the first 96 bits of SHA-256 over the public point, base64url (16 characters). */
export async function sealKeyId(jwk: JsonWebKey): Promise<string> {
	if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new SealError('malformed', 'not an EC P-256 public key');
	const point = new Uint8Array([4, ...fromB64url(jwk.x), ...fromB64url(jwk.y)]);
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', point));
	return b64url(digest.subarray(0, 12));
}

/** A new key pair for the centre, with its id. */
export async function makeSealKeyPair(): Promise<SealKeyPair> {
	const pair = (await crypto.subtle.generateKey(EC, true, ['deriveBits'])) as CryptoKeyPair;
	const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
	const publicJwk: JsonWebKey = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
	return { kid: await sealKeyId(publicJwk), jwk: publicJwk, privateJwk: await crypto.subtle.exportKey('jwk', pair.privateKey) };
}

export interface SealRecipient {
	kid: string;
	key: CryptoKey;
}

/** Import the centre's public key for sealing; checks that the id is the key's own. */
export async function importSealRecipient(pub: SealPublicKey): Promise<SealRecipient> {
	if ((await sealKeyId(pub.jwk)) !== pub.kid) throw new SealError('malformed', 'the key id does not match the key');
	const key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: pub.jwk.x, y: pub.jwk.y }, EC, false, []);
	return { kid: pub.kid, key };
}

/** Import a private key (at the centre) for opening. */
export async function importSealPrivateKey(privateJwk: JsonWebKey): Promise<CryptoKey> {
	return crypto.subtle.importKey('jwk', privateJwk, EC, false, ['deriveBits']);
}

async function aesKey(shared: ArrayBuffer, salt: Uint8Array<ArrayBuffer>, usage: KeyUsage): Promise<CryptoKey> {
	const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
	return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: INFO }, ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

function additionalData(kid: string, context: string): Uint8Array<ArrayBuffer> {
	return new TextEncoder().encode(`${SEAL_VERSION}|${kid}|${context}`);
}

/**
 * Seal `plaintext` to the recipient. `context` names what the text belongs to (for example
 * `consultations/<id>`); opening needs the same context.
 */
export async function seal(to: SealRecipient, plaintext: string, context: string): Promise<string> {
	const eph = (await crypto.subtle.generateKey(EC, true, ['deriveBits'])) as CryptoKeyPair;
	const epk = new Uint8Array(await crypto.subtle.exportKey('raw', eph.publicKey));
	const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: to.key }, eph.privateKey, 256);
	const key = await aesKey(shared, epk, 'encrypt');
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ct = new Uint8Array(
		await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(to.kid, context) }, key, new TextEncoder().encode(plaintext))
	);
	return [SEAL_VERSION, to.kid, b64url(epk), b64url(iv), b64url(ct)].join('.');
}

/** The key id a sealed text names, or null when it is not a sealed text. */
export function sealedKeyId(sealed: string): string | null {
	return SEALED_RE.exec(sealed)?.[1] ?? null;
}

/**
 * Open a sealed text with the private key it names. Throws SealError: `malformed` (not a sealed
 * text), `unknown_key` (no private key with that id here), `cannot_open` (altered, or sealed for
 * another record).
 */
export async function openSealed(sealed: string, privateKeyFor: (kid: string) => CryptoKey | undefined, context: string): Promise<string> {
	const m = SEALED_RE.exec(sealed);
	if (!m) throw new SealError('malformed', 'not a sealed text');
	const [, kid, epkText, ivText, ctText] = m as unknown as [string, string, string, string, string];
	const priv = privateKeyFor(kid);
	if (!priv) throw new SealError('unknown_key', `no private key with id ${kid} is available`);
	try {
		const epk = fromB64url(epkText);
		const pub = await crypto.subtle.importKey('raw', epk, EC, false, []);
		const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, priv, 256);
		const key = await aesKey(shared, epk, 'decrypt');
		const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64url(ivText), additionalData: additionalData(kid, context) }, key, fromB64url(ctText));
		return new TextDecoder('utf-8', { fatal: true }).decode(pt);
	} catch (e) {
		if (e instanceof SealError) throw e;
		throw new SealError('cannot_open', 'the sealed text was altered or belongs to another record');
	}
}

/**
 * A consultation's free text, sealed as one: the note and the follow-up note. The context binds it
 * to the consultation's id, so every revision of one consultation may carry it.
 */
export interface ConsultationText {
	note: string;
	followUpNote: string | null;
}

export const consultationContext = (id: string) => `consultations/${id}`;

export function sealConsultationText(to: SealRecipient, consultationId: string, text: ConsultationText): Promise<string> {
	return seal(to, JSON.stringify({ note: text.note, followUpNote: text.followUpNote }), consultationContext(consultationId));
}

export async function openConsultationText(
	sealed: string,
	privateKeyFor: (kid: string) => CryptoKey | undefined,
	consultationId: string
): Promise<ConsultationText> {
	const json = await openSealed(sealed, privateKeyFor, consultationContext(consultationId));
	let v: unknown;
	try {
		v = JSON.parse(json);
	} catch {
		throw new SealError('malformed', 'the sealed consultation text is not JSON');
	}
	const o = v as Partial<ConsultationText>;
	if (typeof o?.note !== 'string' || !(o.followUpNote === null || typeof o.followUpNote === 'string')) {
		throw new SealError('malformed', 'the sealed consultation text has the wrong shape');
	}
	return { note: o.note, followUpNote: o.followUpNote };
}
