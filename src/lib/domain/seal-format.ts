/**
 * The text form of a sealed note (seal.ts), on its own so that schemas can check the form without
 * bringing the WebCrypto code along (the kiosk checks records, it never seals).
 *
 * `hs1.<kid>.<ephemeral public key, raw>.<iv>.<ciphertext+tag>`, each part base64url.
 */
export const SEAL_VERSION = 'hs1';
const KID = '[A-Za-z0-9_-]{16}';
/** A sealed text: version, key id, 65-byte P-256 point, 12-byte IV, ciphertext with its 16-byte tag. */
export const SEALED_RE = new RegExp(`^${SEAL_VERSION}\\.(${KID})\\.([A-Za-z0-9_-]{87})\\.([A-Za-z0-9_-]{16})\\.([A-Za-z0-9_-]{22,})$`);
export const KEY_ID_RE = new RegExp(`^${KID}$`);
/** Room for the longest note and follow-up note in UTF-8, base64url-encoded, with the envelope. */
export const MAX_SEALED_CHARS = 12_000;
