/**
 * The face of a family card as one SVG, made on the server: the same drawing goes on the A4 print
 * sheet, the one-card print page and the image a family gets on their phone. It carries the ward's
 * name, ひろば, the QR code the kiosk reads and the code in readable groups, and nothing about the
 * family: not even the nickname, which exists to greet them on the tablet; a card that is lost or
 * photographed should say nothing about whose it is.
 *
 * The QR code holds `cardQrPayload(code)` (`HIROBA:ABCD-EFGH-…`), the kiosk's payload
 * (parseCardInput), at error correction M like the card shown on the tablet at registration, with
 * its quiet zone of 4 modules drawn in white inside the SVG, so no layout around it can crowd it.
 */
import QRCode from 'qrcode';
import { cardQrPayload, formatCardCode, type CardCode } from '$lib/domain/card-code';
import { SHEET } from '$lib/domain/card-sheet';
import { WARD_NAME } from '$lib/domain/ward';

export const QR_QUIET_ZONE = 4;

/** The QR code of a card as an SVG document whose viewBox counts modules (quiet zone included). */
export function cardQrSvg(code: CardCode): Promise<string> {
	return QRCode.toString(cardQrPayload(code), { type: 'svg', errorCorrectionLevel: 'M', margin: QR_QUIET_ZONE });
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SANS = `'Hiragino Sans','Hiragino Kaku Gothic ProN','Noto Sans JP','Noto Sans CJK JP',Meiryo,sans-serif`;
const MONO = `ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace`;

/**
 * The card face, 91 × 55 mm (the viewBox counts tenths of a millimetre). `standalone` adds the XML
 * prologue and a thin border, for the downloaded file: on a phone there is no cut edge to show
 * where the card ends.
 */
export async function cardFaceSvg(code: CardCode, opts: { standalone?: boolean } = {}): Promise<string> {
	const w = SHEET.cardWidth * 10;
	const h = SHEET.cardHeight * 10;
	// Nest the library's QR document as it is, placed by x/y/width/height on the card.
	const qr = (await cardQrSvg(code)).replace('<svg xmlns="http://www.w3.org/2000/svg"', '<svg x="560" y="30" width="330" height="330"');
	if (!qr.startsWith('<svg x=')) throw new Error('unexpected QR SVG from the qrcode package');
	const formatted = formatCardCode(code);
	const title = `${WARD_NAME} ひろば カード ${formatted}`;
	return [
		opts.standalone ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '',
		`<svg xmlns="http://www.w3.org/2000/svg" width="${SHEET.cardWidth}mm" height="${SHEET.cardHeight}mm" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeXml(title)}">`,
		`<title>${escapeXml(title)}</title>`,
		opts.standalone
			? `<rect x="2" y="2" width="${w - 4}" height="${h - 4}" rx="30" fill="#ffffff" stroke="#bfb3a3" stroke-width="4"/>`
			: `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
		`<text x="55" y="110" font-family="${SANS}" font-size="36" fill="#5c4d40">${escapeXml(WARD_NAME)}</text>`,
		`<text x="50" y="215" font-family="${SANS}" font-size="88" font-weight="800" fill="#9a4a00">ひろば</text>`,
		`<text x="55" y="275" font-family="${SANS}" font-size="28" fill="#5c4d40">受付でQRコードを見せてください</text>`,
		qr,
		`<text x="${w / 2}" y="425" text-anchor="middle" font-family="${SANS}" font-size="26" fill="#5c4d40">カード番号</text>`,
		`<text x="${w / 2}" y="490" text-anchor="middle" font-family="${MONO}" font-size="50" font-weight="700" fill="#000000">${escapeXml(formatted)}</text>`,
		'</svg>'
	].join('');
}
