/**
 * Read the QR code of a card face SVG (lib/server/cards/card-face.ts) the way a reader would see it
 * printed: the nested QR document drawn module by module from its path (`M x y` moves, `m dx dy`
 * moves by, `h n` draws n dark modules on the row) into RGBA pixels, then decoded with jsQR.
 */
import jsQR from 'jsqr';

export interface RasterQr {
	/** Where the QR document sits on the card, in the card's viewBox units. */
	box: { x: number; y: number; w: number; h: number };
	/** Modules across, quiet zone included. */
	size: number;
	/** `dark[row][column]`. */
	dark: boolean[][];
	/** The whole QR document (a white background under it) in RGBA, `px` × `px`. */
	data: Uint8ClampedArray;
	px: number;
	/** Whether the library's white background covers the whole document. */
	whiteBackground: boolean;
}

export function rasterizeCardQr(face: string, scale = 6): RasterQr {
	const nested = face.match(/<svg x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" viewBox="0 0 (\d+) (\d+)"[^>]*>(.*?)<\/svg>/);
	if (!nested) throw new Error('no nested QR svg in the card face');
	const [, x, y, w, h, vw, vh, inner] = nested;
	const size = Number(vw);
	if (Number(vh) !== size) throw new Error('the QR document is not square');
	const d = inner!.match(/<path stroke="#000000" d="([^"]+)"/)?.[1];
	if (!d) throw new Error('no dark modules in the QR document');
	const dark = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
	const tokens = d.match(/[A-Za-z]|-?\d+(\.\d+)?/g)!;
	let cx = 0;
	let cy = 0;
	for (let i = 0; i < tokens.length;) {
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
	return {
		box: { x: Number(x), y: Number(y), w: Number(w), h: Number(h) },
		size,
		dark,
		data,
		px,
		whiteBackground: inner!.includes(`<path fill="#ffffff" d="M0 0h${size}v${size}H0z"/>`)
	};
}

/** The text a reader gets from the card face's QR code, or null. */
export function readCardQr(face: string): string | null {
	const qr = rasterizeCardQr(face);
	return jsQR(qr.data, qr.px, qr.px)?.data ?? null;
}
