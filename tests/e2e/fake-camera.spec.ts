import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { makeCardCode, cardQrPayload } from '../../src/lib/domain/card-code';
import { makeEmptyCameraVideo, makeFakeCameraVideo, renderLuma } from './fake-camera';

/** The luma plane as the RGBA a QR reader takes. */
function rgba(width: number, height: number, y: Uint8Array): Uint8ClampedArray {
	const out = new Uint8ClampedArray(width * height * 4);
	for (let i = 0; i < y.length; i++) out.set([y[i]!, y[i]!, y[i]!, 255], i * 4);
	return out;
}

describe('fake camera video', () => {
	it('writes a YUV4MPEG2 file of the asked size and frame count', () => {
		const path = makeFakeCameraVideo('HIROBA-ENROLL:ABCDE-FGHJK', { width: 320, height: 240, frames: 3, fps: 15 });
		try {
			const file = readFileSync(path);
			const headerEnd = file.indexOf(0x0a) + 1;
			expect(file.subarray(0, headerEnd).toString('ascii')).toBe('YUV4MPEG2 W320 H240 F15:1 Ip A1:1 C420jpeg\n');
			const frameBytes = 'FRAME\n'.length + 320 * 240 * 1.5;
			expect(file.length).toBe(headerEnd + 3 * frameBytes);
			expect(file.subarray(headerEnd, headerEnd + 6).toString('ascii')).toBe('FRAME\n');
		} finally {
			rmSync(dirname(path), { recursive: true, force: true });
		}
	});

	it('writes an empty room: four small frames, no code in them', () => {
		const dir = mkdtempSync(join(tmpdir(), 'hiroba-camera-'));
		try {
			const file = readFileSync(makeEmptyCameraVideo(dir));
			const headerEnd = file.indexOf(0x0a) + 1;
			expect(file.subarray(0, headerEnd).toString('ascii')).toBe('YUV4MPEG2 W320 H240 F5:1 Ip A1:1 C420jpeg\n');
			expect(file.length).toBe(headerEnd + 4 * ('FRAME\n'.length + 320 * 240 * 1.5));
			const y = file.subarray(headerEnd + 6, headerEnd + 6 + 320 * 240);
			expect(jsQR(rgba(320, 240, y), 320, 240)).toBeNull();
			// The room's gradient, darker than a card: top row 96, bottom row 136.
			expect([y[0], y[320 * 239]]).toEqual([96, 136]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it.each([
		{ name: 'centred', opts: {} },
		{ name: 'small and off-centre', opts: { size: 120, offsetX: 150, offsetY: -100 } },
		{ name: 'rotated', opts: { rotate: 30, size: 260 } }
	])('draws a QR code a reader can read: $name', ({ opts }) => {
		const payload = cardQrPayload(makeCardCode());
		const { width, height, y } = renderLuma(payload, opts);
		expect(jsQR(rgba(width, height, y), width, height)?.data).toBe(payload);
	});
});
