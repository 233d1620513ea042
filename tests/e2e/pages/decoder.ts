// The decoder alone, built for production by tests/e2e/scanner.e2e.ts: draws a QR module matrix
// (from Node's `qrcode`) on a 1280×720 frame and decodes it the way the kiosk does.
import { createDecoder, type FrameDecoder } from '$lib/client/scan/decoder';

let decoder: Promise<FrameDecoder> | null = null;

async function decodeMatrix(size: number, modules: number[]): Promise<{ kind: string; texts: string[] }> {
	decoder ??= createDecoder();
	const d = await decoder;
	const canvas = new OffscreenCanvas(1280, 720);
	const ctx = canvas.getContext('2d')!;
	ctx.fillStyle = '#fff';
	ctx.fillRect(0, 0, 1280, 720);
	ctx.fillStyle = '#000';
	const unit = 10;
	const x0 = 640 - (size * unit) / 2;
	const y0 = 360 - (size * unit) / 2;
	for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) if (modules[r * size + c]) ctx.fillRect(x0 + c * unit, y0 + r * unit, unit, unit);
	return { kind: d.kind, texts: await d.decode(await createImageBitmap(canvas)) };
}

(window as unknown as { decodeMatrix: typeof decodeMatrix }).decodeMatrix = decodeMatrix;
