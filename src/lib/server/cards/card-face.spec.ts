/**
 * The card face as drawn: its QR code, read back by a QR reader from the SVG's own geometry, is the
 * payload the kiosk accepts for this card; the face carries the ward, ひろば and the code, and the
 * back's texts name the kiosk's own buttons in each language.
 */
import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { cardQrPayload, formatCardCode, makeCardCode, parseCardInput } from '$lib/domain/card-code';
import { CARD_BACK, LANGUAGE_NAME, LANGUAGE_TAG } from '$lib/domain/card-back';
import { KIOSK_LANGS, LANG_NAME, LANG_TAG, loadKioskTexts } from '$lib/client/i18n/kiosk';
import { WARD_NAME } from '$lib/domain/ward';
import { cardFaceSvg, QR_QUIET_ZONE } from './card-face';

/**
 * The QR code nested in a card face, drawn module by module from its path (`M x y` moves, `m dx dy`
 * moves by, `h n` draws n dark modules on the row), at `scale` pixels a module, as RGBA.
 */
function rasterizeQr(face: string, scale = 6) {
	const nested = face.match(/<svg x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" viewBox="0 0 (\d+) (\d+)"[^>]*>(.*?)<\/svg>/);
	if (!nested) throw new Error('no nested QR svg');
	const [, x, y, w, h, vw, vh, inner] = nested;
	const size = Number(vw);
	expect(Number(vh)).toBe(size);
	// White under the whole code, quiet zone included.
	expect(inner).toContain(`<path fill="#ffffff" d="M0 0h${size}v${size}H0z"/>`);
	const d = inner!.match(/<path stroke="#000000" d="([^"]+)"/)![1]!;
	const dark = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
	const tokens = d.match(/[MmHh]|-?\d+(\.\d+)?/g)!;
	let cx = 0;
	let cy = 0;
	for (let i = 0; i < tokens.length; ) {
		const cmd = tokens[i++]!;
		if (cmd === 'M' || cmd === 'm') {
			const dx = Number(tokens[i++]);
			const dy = Number(tokens[i++]);
			cx = cmd === 'M' ? dx : cx + dx;
			cy = cmd === 'M' ? dy : cy + dy;
		} else if (cmd === 'h') {
			const n = Number(tokens[i++]);
			for (let k = 0; k < n; k++) dark[Math.floor(cy)]![cx + k] = true;
			cx += n;
		} else throw new Error(`unexpected path command ${cmd}`);
	}
	const px = size * scale;
	const data = new Uint8ClampedArray(px * px * 4).fill(255);
	for (let r = 0; r < px; r++)
		for (let c = 0; c < px; c++) if (dark[Math.floor(r / scale)]![Math.floor(c / scale)]) data.fill(0, (r * px + c) * 4, (r * px + c) * 4 + 3);
	return { box: { x: Number(x), y: Number(y), w: Number(w), h: Number(h) }, size, dark, data, px };
}

describe('the card face SVG', () => {
	it('holds a QR code that reads as this card’s kiosk payload, with its quiet zone, inside the card', async () => {
		for (let i = 0; i < 5; i++) {
			const code = makeCardCode();
			const face = await cardFaceSvg(code);
			const qr = rasterizeQr(face);
			const read = jsQR(qr.data, qr.px, qr.px);
			expect(read?.data).toBe(cardQrPayload(code));
			expect(parseCardInput(read!.data)).toEqual({ ok: true, code });
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
		const qr = rasterizeQr(file);
		expect(jsQR(qr.data, qr.px, qr.px)?.data).toBe(cardQrPayload(code));
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
