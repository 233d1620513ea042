/**
 * A fake camera for Chromium: a YUV4MPEG2 (.y4m) video showing a QR code, for
 * `--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<path>`, which loops the
 * file as the camera's picture. The QR code is drawn from the `qrcode` package's module matrix,
 * black on white in a slightly grey room, with no image library: each pixel is sampled from the
 * matrix through the inverse rotation, four samples a pixel so that edges are soft like a camera's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';

export interface FakeCameraOptions {
	/** Frame size; even numbers (4:2:0 chroma). Default 640 × 480. */
	width?: number;
	height?: number;
	/** Frames in the file (Chromium loops it) and their rate. Default 4 at 15 fps. */
	frames?: number;
	fps?: number;
	/** Width of the code, quiet zone included, in pixels. Default half the frame's shorter side. */
	size?: number;
	/** Rotation in degrees, clockwise. */
	rotate?: number;
	/** Offset of the code's centre from the frame's centre, in pixels. */
	offsetX?: number;
	offsetY?: number;
	/** Where to write; default a new temporary directory. */
	path?: string;
}

const QUIET = 4; // modules of white border, as the QR specification asks

/** The "room" behind the card: a soft vertical gradient, darker than the card (luma of row `py`). */
const roomLuma = (py: number, height: number): number => 96 + Math.round((40 * py) / height);

/** The frames' luma plane (Y, 0–255, full range): exported for the spec, which decodes it. */
export function renderLuma(payload: string, opts: FakeCameraOptions = {}): { width: number; height: number; y: Uint8Array } {
	const width = opts.width ?? 640;
	const height = opts.height ?? 480;
	if (width % 2 || height % 2) throw new Error('fake camera frames need an even width and height');
	const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
	const n = modules.size + 2 * QUIET;
	const size = opts.size ?? Math.min(width, height) / 2;
	const unit = size / n; // pixels per module
	const cx = width / 2 + (opts.offsetX ?? 0);
	const cy = height / 2 + (opts.offsetY ?? 0);
	const angle = ((opts.rotate ?? 0) * Math.PI) / 180;
	const cos = Math.cos(angle);
	const sin = Math.sin(angle);

	/** 1 for a dark module, 0 for light (the quiet zone and the card are light), -1 off the card. */
	const sample = (x: number, y: number): number => {
		// Into the code's own frame: undo the rotation about its centre, then scale to modules.
		const dx = x - cx;
		const dy = y - cy;
		const u = (dx * cos + dy * sin) / unit + n / 2;
		const v = (-dx * sin + dy * cos) / unit + n / 2;
		if (u < 0 || v < 0 || u >= n || v >= n) return -1;
		const col = Math.floor(u) - QUIET;
		const row = Math.floor(v) - QUIET;
		if (row < 0 || col < 0 || row >= modules.size || col >= modules.size) return 0;
		return modules.data[row * modules.size + col] ? 1 : 0;
	};

	const y = new Uint8Array(width * height);
	const LUMA = { dark: 24, light: 236 };
	for (let py = 0; py < height; py++) {
		const room = roomLuma(py, height);
		for (let px = 0; px < width; px++) {
			let sum = 0;
			for (const [ox, oy] of [
				[0.25, 0.25],
				[0.75, 0.25],
				[0.25, 0.75],
				[0.75, 0.75]
			] as const) {
				const s = sample(px + ox, py + oy);
				sum += s < 0 ? room : s ? LUMA.dark : LUMA.light;
			}
			y[py * width + px] = Math.round(sum / 4);
		}
	}
	return { width, height, y };
}

/** Write the .y4m and return its path. */
export function makeFakeCameraVideo(payload: string, opts: FakeCameraOptions = {}): string {
	return writeY4m(renderLuma(payload, opts), opts);
}

/**
 * A camera that sees the room and no card: 320 × 240, four still frames at 5 fps. For journeys that need
 * the kiosk's camera running but never show it a card (the cards are typed by the wedge scanner):
 * Chromium's own test pattern (1280 × 720 at 30 fps, moving) costs the page and the decoder far
 * more, and nothing of it is asserted.
 */
export function makeEmptyCameraVideo(dir: string): string {
	const width = 320;
	const height = 240;
	const y = new Uint8Array(width * height);
	for (let py = 0; py < height; py++) y.fill(roomLuma(py, height), py * width, (py + 1) * width);
	// Four frames, not one: with a one-frame file, a kiosk reloading onto a new build hung on its
	// load in 1 of 3 runs of staff-day.e2e.ts (none in 10 with four, none in 4 with the test pattern).
	return writeY4m({ width, height, y }, { frames: 4, fps: 5, path: join(dir, 'empty-camera.y4m') });
}

function writeY4m({ width, height, y }: { width: number; height: number; y: Uint8Array }, opts: FakeCameraOptions): string {
	const frames = opts.frames ?? 4;
	const fps = opts.fps ?? 15;
	// Grey: no colour at all, so both chroma planes are the neutral 128.
	const chroma = new Uint8Array((width / 2) * (height / 2)).fill(128);
	const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`, 'ascii');
	const frameHeader = Buffer.from('FRAME\n', 'ascii');
	const parts: Uint8Array[] = [header];
	for (let i = 0; i < frames; i++) parts.push(frameHeader, y, chroma, chroma);
	const path = opts.path ?? join(mkdtempSync(join(tmpdir(), 'hiroba-camera-')), 'camera.y4m');
	writeFileSync(path, Buffer.concat(parts));
	return path;
}
