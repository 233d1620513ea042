/**
 * The card face as drawn: its QR code, read back by a QR reader from the SVG's own geometry, is the
 * payload the kiosk accepts for this card; the face carries the ward, ひろば and the code, and the
 * back's texts name the kiosk's own buttons in each language.
 */
import { describe, expect, it } from 'vitest';
import { cardQrPayload, formatCardCode, makeCardCode, parseCardInput } from '$lib/domain/card-code';
import { CARD_BACK, LANGUAGE_NAME, LANGUAGE_TAG } from '$lib/domain/card-back';
import { KIOSK_LANGS, LANG_NAME, LANG_TAG, loadKioskTexts } from '$lib/client/i18n/kiosk';
import { WARD_NAME } from '$lib/domain/ward';
import { cardFaceSvg, QR_QUIET_ZONE } from './card-face';
import { rasterizeCardQr, readCardQr } from '../../../../tests/card-qr';

describe('the card face SVG', () => {
	it('holds a QR code that reads as this card’s kiosk payload, with its quiet zone, inside the card', async () => {
		for (let i = 0; i < 5; i++) {
			const code = makeCardCode();
			const face = await cardFaceSvg(code);
			const qr = rasterizeCardQr(face);
			expect(qr.whiteBackground).toBe(true);
			const read = readCardQr(face);
			expect(read).toBe(cardQrPayload(code));
			expect(parseCardInput(read!)).toEqual({ ok: true, code });
			// No dark module in the quiet zone.
			qr.dark.forEach((row, r) =>
				row.forEach((on, c) => {
					if (on) expect(Math.min(r, c, qr.size - 1 - r, qr.size - 1 - c)).toBeGreaterThanOrEqual(QR_QUIET_ZONE);
				})
			);
			// The code sits on the 91 × 55 mm card (tenths of a millimetre), square, at least 24 mm wide.
			expect(face).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="91mm" height="55mm" viewBox="0 0 910 550"/);
			expect(qr.box.w).toBe(qr.box.h);
			expect(qr.box.w).toBeGreaterThanOrEqual(240);
			expect(qr.box.x + qr.box.w).toBeLessThanOrEqual(910);
			expect(qr.box.y + qr.box.h).toBeLessThanOrEqual(550);
		}
	});

	it('shows the ward, ひろば and the code in groups; the file form is a standalone document', async () => {
		const code = makeCardCode();
		const face = await cardFaceSvg(code);
		const texts = [...face.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
		expect(texts).toEqual([WARD_NAME, 'ひろば', '受付でQRコードを見せてください', 'カード番号', formatCardCode(code)]);
		expect(formatCardCode(code)).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]$/);
		const file = await cardFaceSvg(code, { standalone: true });
		expect(file.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
		expect(readCardQr(file)).toBe(cardQrPayload(code));
	});
});

describe('the card back', () => {
	it('names the kiosk’s own “type card number” button, in each of the kiosk’s languages', async () => {
		const kiosk = await loadKioskTexts();
		expect(Object.keys(CARD_BACK).sort()).toEqual([...KIOSK_LANGS].sort());
		for (const lang of KIOSK_LANGS) {
			expect(CARD_BACK[lang].steps[1]).toContain(kiosk[lang].typeCode);
			expect(LANGUAGE_NAME[lang]).toBe(LANG_NAME[lang]);
			expect(LANGUAGE_TAG[lang]).toBe(LANG_TAG[lang]);
		}
	});
});
