import { describe, expect, it } from 'vitest';
import { fromB64url, b64url } from './base64';
import {
	importSealPrivateKey,
	importSealRecipient,
	makeSealKeyPair,
	openConsultationText,
	openSealed,
	seal,
	sealConsultationText,
	SealError,
	sealedKeyId,
	SEALED_RE,
	type SealKeyPair
} from './seal';
import { sealedText } from './schemas';

async function party(pair?: SealKeyPair) {
	const p = pair ?? (await makeSealKeyPair());
	const priv = await importSealPrivateKey(p.privateJwk);
	return { pair: p, recipient: await importSealRecipient(p), keys: (kid: string) => (kid === p.kid ? priv : undefined) };
}

const code = async (p: Promise<unknown>) => {
	try {
		await p;
	} catch (e) {
		return e instanceof SealError ? e.code : String(e);
	}
	return 'opened';
};

describe('sealing to the centre', () => {
	it('round-trips Japanese text with emoji and line breaks, and the sealed form holds none of it', async () => {
		const { recipient, keys } = await party();
		const text = '夜泣きが続き、母の睡眠不足が心配。\n保健師に連絡する🙂\t来週様子を聞く。';
		const sealed = await seal(recipient, text, 'consultations/1');
		expect(sealed).toMatch(SEALED_RE);
		expect(sealedText.safeParse(sealed).success).toBe(true);
		expect(sealed).not.toContain('夜泣き');
		expect(await openSealed(sealed, keys, 'consultations/1')).toBe(text);
	});

	it('seals the same text differently every time (fresh key and IV)', async () => {
		const { recipient } = await party();
		const a = await seal(recipient, 'おなじ', 'c');
		const b = await seal(recipient, 'おなじ', 'c');
		expect(a).not.toBe(b);
		expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
	});

	it('refuses to open for another record, with another key, or altered', async () => {
		const { recipient, keys } = await party();
		const other = await party();
		const sealed = await seal(recipient, '秘密のメモ', 'consultations/A');
		expect(await code(openSealed(sealed, keys, 'consultations/B'))).toBe('cannot_open');
		expect(await code(openSealed(sealed, other.keys, 'consultations/A'))).toBe('unknown_key');
		// The other centre's private key under this key's id: the agreement gives another secret.
		expect(await code(openSealed(sealed, (kid) => (kid === recipient.kid ? other.keys(other.pair.kid) : undefined), 'consultations/A'))).toBe('cannot_open');
		const parts = sealed.split('.');
		const ct = fromB64url(parts[4]!);
		ct[0]! ^= 1;
		expect(await code(openSealed([...parts.slice(0, 4), b64url(ct)].join('.'), keys, 'consultations/A'))).toBe('cannot_open');
		// A note re-labelled with another key id no longer opens with either key.
		const relabelled = [parts[0], other.pair.kid, ...parts.slice(2)].join('.');
		expect(await code(openSealed(relabelled, (kid) => (kid === other.pair.kid ? keys(recipient.kid) : undefined), 'consultations/A'))).toBe('cannot_open');
		expect(await code(openSealed('夜泣き', keys, 'consultations/A'))).toBe('malformed');
	});

	it('a key id is the key’s own: a public key under another id is refused', async () => {
		const a = await makeSealKeyPair();
		const b = await makeSealKeyPair();
		expect(a.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
		expect(a.kid).not.toBe(b.kid);
		await expect(importSealRecipient({ kid: b.kid, jwk: a.jwk })).rejects.toThrow(SealError);
	});

	it('after a rotation, new text is sealed to the new key and old text still opens with the old one', async () => {
		const before = await party();
		const after = await party();
		const both = (kid: string) => before.keys(kid) ?? after.keys(kid);
		const old = await sealConsultationText(before.recipient, 'id-1', { note: '古い鍵のメモ', followUpNote: null });
		const fresh = await sealConsultationText(after.recipient, 'id-2', { note: '新しい鍵のメモ', followUpNote: '保健相談所へ' });
		expect(sealedKeyId(old)).toBe(before.pair.kid);
		expect(sealedKeyId(fresh)).toBe(after.pair.kid);
		expect(await openConsultationText(old, both, 'id-1')).toEqual({ note: '古い鍵のメモ', followUpNote: null });
		expect(await openConsultationText(fresh, both, 'id-2')).toEqual({ note: '新しい鍵のメモ', followUpNote: '保健相談所へ' });
		// A centre that lost the old key says which key is missing.
		await expect(openConsultationText(old, after.keys, 'id-1')).rejects.toMatchObject({
			code: 'unknown_key',
			message: expect.stringContaining(before.pair.kid)
		});
	});
});
