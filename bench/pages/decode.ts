/**
 * The QR decode benchmark's page (driven by bench/decode.bench.js). It makes 1280×720 camera-like
 * frames — a card with its QR code in a cluttered room, under one condition each (small, rotated,
 * skewed, blurred, dim, noisy, off-centre, or no card at all) — and times every decoder on the same
 * frames: the shipped zxing-wasm worker, zxing-wasm on this thread (with our options, with the
 * library's defaults, and on a centre crop), jsQR, and the native BarcodeDetector if there is one.
 *
 * The QR module matrices come from Node (the `qrcode` package), so no image library is involved.
 */
import { mulberry32 } from '$lib/domain/prng';
import { createDecoder, createNativeDecoder, type FrameDecoder } from '$lib/client/scan/decoder';
import { READER_OPTIONS } from '$lib/client/scan/reader-options';
import { cardQrPayload, makeCardCode } from '$lib/domain/card-code';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';
import jsqrUrl from 'jsqr/dist/jsQR.js?url';

const W = 1280;
const H = 720;
const QUIET = 4;

export interface QrMatrix {
	payload: string;
	size: number;
	data: number[];
}

export interface ConditionSpec {
	key: string;
	/** Symbol width in pixels (without the quiet zone); 0 for no card. */
	size: number;
	angle?: number;
	/** Degrees the card is turned away about its vertical and horizontal axes. */
	tiltY?: number;
	tiltX?: number;
	blur?: number;
	dim?: boolean;
	noise?: number;
	offCentre?: boolean;
}

export interface DecoderRun {
	times: number[];
	reads: number;
	wrong: number;
}

type JsQR = (data: Uint8ClampedArray, width: number, height: number, opts?: { inversionAttempts?: string }) => { data: string } | null;

interface Decoder {
	name: string;
	/** Decode `frame` (which it must not alter): the texts and the time it took, in ms. */
	run(frame: ImageData): Promise<{ ms: number; texts: string[] }>;
}

// --- randomness and geometry ---------------------------------------------------------------------

function gaussian(rng: () => number): number {
	const u = Math.max(rng(), 1e-12);
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

type Pt = [number, number];

/** The homography mapping the four `from` points to the four `to` points (row-major 3×3, h33 = 1). */
function homography(from: Pt[], to: Pt[]): number[] {
	const a: number[][] = [];
	for (let i = 0; i < 4; i++) {
		const [x, y] = from[i]!;
		const [u, v] = to[i]!;
		a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
		a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
	}
	// Gaussian elimination with partial pivoting on the 8×9 augmented matrix.
	for (let c = 0; c < 8; c++) {
		let p = c;
		for (let r = c + 1; r < 8; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
		[a[c], a[p]] = [a[p]!, a[c]!];
		for (let r = 0; r < 8; r++) {
			if (r === c) continue;
			const f = a[r]![c]! / a[c]![c]!;
			for (let k = c; k < 9; k++) a[r]![k]! -= f * a[c]![k]!;
		}
	}
	const h = a.map((row, i) => row[8]! / row[i]!);
	return [...h, 1];
}

// --- frames --------------------------------------------------------------------------------------

const frameCanvas = new OffscreenCanvas(W, H);
const frameCtx = frameCanvas.getContext('2d', { willReadFrequently: true })!;
const blurCanvas = new OffscreenCanvas(W, H);
const blurCtx = blurCanvas.getContext('2d', { willReadFrequently: true })!;

/** A printed card, upright: the QR code (8 px a module) above three lines of "text". Luma only. */
function cardImage(qr: QrMatrix): { width: number; height: number; luma: Float32Array; qrSide: number } {
	const M = 8;
	const qrSide = (qr.size + 2 * QUIET) * M;
	const width = qrSide;
	const height = Math.round(qrSide * 1.3);
	const luma = new Float32Array(width * height).fill(238);
	for (let r = 0; r < qr.size; r++)
		for (let c = 0; c < qr.size; c++) {
			if (!qr.data[r * qr.size + c]) continue;
			for (let y = 0; y < M; y++) luma.fill(22, ((QUIET + r) * M + y) * width + (QUIET + c) * M, ((QUIET + r) * M + y) * width + (QUIET + c + 1) * M);
		}
	for (let line = 0; line < 3; line++) {
		const y0 = qrSide + 8 + line * 26;
		const len = line === 1 ? 0.8 : 0.55;
		for (let y = y0; y < y0 + 12 && y < height; y++) luma.fill(60, y * width + Math.round(width * 0.1), y * width + Math.round(width * (0.1 + len)));
	}
	return { width, height, luma, qrSide };
}

/** A room behind the card: a lit wall, furniture-like blocks, stripes. Different for every seed. */
function drawRoom(rng: () => number): void {
	const g = frameCtx.createLinearGradient(0, 0, W * rng(), H);
	g.addColorStop(0, `hsl(${30 + rng() * 20} 25% ${55 + rng() * 20}%)`);
	g.addColorStop(1, `hsl(${20 + rng() * 40} 20% ${25 + rng() * 20}%)`);
	frameCtx.fillStyle = g;
	frameCtx.fillRect(0, 0, W, H);
	for (let i = 0; i < 24; i++) {
		frameCtx.fillStyle = `hsl(${rng() * 360} ${20 + rng() * 40}% ${15 + rng() * 70}%)`;
		const x = rng() * W;
		const y = rng() * H;
		if (rng() < 0.5) frameCtx.fillRect(x, y, 20 + rng() * 260, 20 + rng() * 200);
		else {
			frameCtx.beginPath();
			frameCtx.ellipse(x, y, 10 + rng() * 120, 10 + rng() * 90, rng() * Math.PI, 0, 2 * Math.PI);
			frameCtx.fill();
		}
	}
	frameCtx.strokeStyle = 'rgb(30 25 20 / 0.8)';
	for (let i = 0; i < 12; i++) {
		frameCtx.lineWidth = 1 + rng() * 6;
		frameCtx.beginPath();
		frameCtx.moveTo(rng() * W, rng() * H);
		frameCtx.lineTo(rng() * W, rng() * H);
		frameCtx.stroke();
	}
}

/** Where the card's corners land in the frame: scaled, turned, tilted in 3-D and projected. */
function cardCorners(spec: ConditionSpec, card: { width: number; height: number; qrSide: number }, qr: QrMatrix, rng: () => number): Pt[] {
	const scale = spec.size / (qr.size * 8); // frame px per card px
	let cx = W / 2 + (rng() - 0.5) * 80;
	let cy = H / 2 + (rng() - 0.5) * 60;
	if (spec.offCentre) {
		// Near a corner of the frame, wholly in view but well outside the guide square.
		cx = rng() < 0.5 ? 60 + spec.size * 0.8 : W - 60 - spec.size * 0.8;
		cy = rng() < 0.5 ? 40 + spec.size * 0.8 : H - 40 - spec.size * 1.1;
	}
	const angle = (((spec.angle ?? 0) + (rng() - 0.5) * 8) * Math.PI) / 180;
	const ty = ((spec.tiltY ?? 0) * Math.PI) / 180;
	const tx = ((spec.tiltX ?? 0) * Math.PI) / 180;
	const distance = 2.2 * spec.size; // camera distance, in frame px: a strong but plausible perspective
	// Card-local points, centred on the QR symbol's centre.
	const ox = card.width / 2;
	const oy = card.qrSide / 2;
	const local: Pt[] = [
		[0, 0],
		[card.width, 0],
		[card.width, card.height],
		[0, card.height]
	];
	return local.map(([x0, y0]) => {
		let x = (x0 - ox) * scale;
		let y = (y0 - oy) * scale;
		[x, y] = [x * Math.cos(angle) - y * Math.sin(angle), x * Math.sin(angle) + y * Math.cos(angle)];
		// Turn about the vertical axis, then the horizontal one; project from `distance`.
		let z = x * Math.sin(ty);
		x = x * Math.cos(ty);
		[y, z] = [y * Math.cos(tx) - z * Math.sin(tx), y * Math.sin(tx) + z * Math.cos(tx)];
		const k = distance / (distance + z);
		return [cx + x * k, cy + y * k];
	});
}

/** One test frame for `spec`, made from `seed`. */
export function makeFrame(spec: ConditionSpec, qr: QrMatrix | null, seed: number): ImageData {
	const rng = mulberry32(seed);
	frameCtx.filter = 'none';
	drawRoom(rng);
	const image = frameCtx.getImageData(0, 0, W, H);
	const px = image.data;

	if (qr && spec.size > 0) {
		const card = cardImage(qr);
		const corners = cardCorners(spec, card, qr, rng);
		const src: Pt[] = [
			[0, 0],
			[card.width, 0],
			[card.width, card.height],
			[0, card.height]
		];
		const h = homography(corners, src); // frame → card
		const light = 0.85 + rng() * 0.15;
		const xs = corners.map((p) => p[0]);
		const ys = corners.map((p) => p[1]);
		const x0 = Math.max(0, Math.floor(Math.min(...xs)));
		const x1 = Math.min(W - 1, Math.ceil(Math.max(...xs)));
		const y0 = Math.max(0, Math.floor(Math.min(...ys)));
		const y1 = Math.min(H - 1, Math.ceil(Math.max(...ys)));
		for (let y = y0; y <= y1; y++)
			for (let x = x0; x <= x1; x++) {
				// Four samples a pixel, each the nearest card pixel: edges come out soft, like a lens's.
				let sum = 0;
				let hits = 0;
				for (const [sx, sy] of [
					[0.25, 0.25],
					[0.75, 0.25],
					[0.25, 0.75],
					[0.75, 0.75]
				] as const) {
					const fx = x + sx;
					const fy = y + sy;
					const w = h[6]! * fx + h[7]! * fy + 1;
					const u = (h[0]! * fx + h[1]! * fy + h[2]!) / w;
					const v = (h[3]! * fx + h[4]! * fy + h[5]!) / w;
					if (u < 0 || v < 0 || u >= card.width || v >= card.height) continue;
					sum += card.luma[Math.floor(v) * card.width + Math.floor(u)]!;
					hits++;
				}
				if (hits === 0) continue;
				const i = (y * W + x) * 4;
				const cover = hits / 4;
				const value = (sum / hits) * light;
				// A warm indoor light on a white card.
				px[i] = px[i]! * (1 - cover) + value * cover;
				px[i + 1] = px[i + 1]! * (1 - cover) + value * 0.97 * cover;
				px[i + 2] = px[i + 2]! * (1 - cover) + value * 0.9 * cover;
			}
	}

	let out = image;
	if (spec.blur) {
		frameCtx.putImageData(image, 0, 0);
		blurCtx.filter = `blur(${spec.blur}px)`;
		blurCtx.drawImage(frameCanvas, 0, 0);
		blurCtx.filter = 'none';
		out = blurCtx.getImageData(0, 0, W, H);
	}
	const d = out.data;
	if (spec.dim) {
		// A dark corner of the hall: a quarter of the light and a washed-out, flat picture.
		for (let i = 0; i < d.length; i += 4) for (let c = 0; c < 3; c++) d[i + c] = 38 + d[i + c]! * 0.28;
	}
	if (spec.noise) {
		for (let i = 0; i < d.length; i += 4) for (let c = 0; c < 3; c++) d[i + c] = d[i + c]! + gaussian(rng) * spec.noise;
	}
	return out;
}

// Camera frames are opaque; a bitmap made from ImageData is not (Chromium cannot know every alpha
// is 255) and then costs the worker an alpha blend when drawn. An opaque canvas makes it like the
// camera's.
const opaqueCanvas = new OffscreenCanvas(W, H);
const opaqueCtx = opaqueCanvas.getContext('2d', { alpha: false })!;
function opaqueBitmap(frame: ImageData): Promise<ImageBitmap> {
	opaqueCtx.putImageData(frame, 0, 0);
	return createImageBitmap(opaqueCanvas);
}

function centreCrop(frame: ImageData): ImageData {
	// The guide square with a margin: the central H × H of the frame.
	const side = H;
	const x0 = (W - side) / 2;
	const out = new ImageData(side, side);
	for (let y = 0; y < side; y++) out.data.set(frame.data.subarray((y * W + x0) * 4, (y * W + x0 + side) * 4), y * side * 4);
	return out;
}

// --- decoders ------------------------------------------------------------------------------------

let decoders: Decoder[] = [];
let qrs: QrMatrix[] = [];

function loadScript(url: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const s = document.createElement('script');
		s.src = url;
		s.onload = () => resolve();
		s.onerror = () => reject(new Error(`could not load ${url}`));
		document.head.append(s);
	});
}

async function init(): Promise<{ workerReadyMs: number; native: string[] | null }> {
	const t0 = performance.now();
	const worker: FrameDecoder = await createDecoder({ prefer: 'zxing-wasm' });
	const workerReadyMs = performance.now() - t0;

	prepareZXingModule({
		overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) },
		fireImmediately: true
	});
	// jsQR is a UMD bundle; as a classic script it defines window.jsQR (the page server does not
	// pre-bundle CommonJS).
	await loadScript(jsqrUrl);
	const jsQR = (window as unknown as { jsQR: JsQR }).jsQR;

	const native = await createNativeDecoder();
	const detectorClass = (window as unknown as { BarcodeDetector?: { getSupportedFormats(): Promise<string[]> } }).BarcodeDetector;
	const nativeFormats = detectorClass ? await detectorClass.getSupportedFormats().catch(() => []) : null;

	const timed = async (f: () => Promise<string[]> | string[]) => {
		const start = performance.now();
		const texts = await f();
		return { ms: performance.now() - start, texts };
	};

	decoders = [
		{
			name: 'worker-videoframe',
			async run(frame) {
				// The camera path where WebCodecs exist: a VideoFrame wrapping the frame (not timed: the
				// camera's new VideoFrame(video) stands for it), transferred to the worker, drawn and
				// read there, decoded, answered.
				opaqueCtx.putImageData(frame, 0, 0);
				const videoFrame = new VideoFrame(opaqueCanvas, { timestamp: 0 });
				return timed(() => worker.decode(videoFrame));
			}
		},
		{
			name: 'worker-bitmap',
			async run(frame) {
				// The camera path without WebCodecs: a bitmap of the frame (not timed: the camera's
				// createImageBitmap(video) stands for it), transferred to the worker, read back there.
				const bitmap = await opaqueBitmap(frame);
				return timed(() => worker.decode(bitmap));
			}
		},
		{
			name: 'worker-imagedata',
			async run(frame) {
				const copy = new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height);
				return timed(() => worker.decode(copy));
			}
		},
		{
			name: 'main-zxing',
			run: (frame) => timed(async () => (await readBarcodes(frame, READER_OPTIONS)).filter((r) => r.isValid).map((r) => r.text))
		},
		{
			name: 'main-zxing-defaults',
			run: (frame) => timed(async () => (await readBarcodes(frame, { formats: ['QRCode'] })).filter((r) => r.isValid).map((r) => r.text))
		},
		{
			name: 'main-zxing-crop',
			async run(frame) {
				const crop = centreCrop(frame);
				return timed(async () => (await readBarcodes(crop, READER_OPTIONS)).filter((r) => r.isValid).map((r) => r.text));
			}
		},
		{
			name: 'jsqr',
			run: (frame) =>
				timed(() => {
					const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'dontInvert' });
					return found ? [found.data] : [];
				})
		}
	];
	if (native) {
		decoders.push({
			name: 'native',
			async run(frame) {
				const bitmap = await createImageBitmap(frame);
				return timed(() => native.decode(bitmap));
			}
		});
	}
	// Warm every decoder (JIT, wasm tiering, worker start) on a few frames before timing anything.
	return { workerReadyMs, native: nativeFormats };
}

function payloads(n: number): string[] {
	return Array.from({ length: n }, () => cardQrPayload(makeCardCode()));
}

function setQrs(list: QrMatrix[]): void {
	qrs = list;
}

async function runCondition(spec: ConditionSpec, frames: number, seedBase: number): Promise<Record<string, DecoderRun>> {
	const runs: Record<string, DecoderRun> = Object.fromEntries(decoders.map((d) => [d.name, { times: [], reads: 0, wrong: 0 }]));
	for (let i = 0; i < frames; i++) {
		const qr = spec.size > 0 ? qrs[i % qrs.length]! : null;
		const frame = makeFrame(spec, qr, seedBase + i);
		for (const decoder of decoders) {
			const { ms, texts } = await decoder.run(frame);
			const run = runs[decoder.name]!;
			run.times.push(ms);
			if (qr && texts.includes(qr.payload)) run.reads++;
			else if (texts.length > 0) run.wrong++;
		}
	}
	return runs;
}

async function warmUp(): Promise<void> {
	const spec: ConditionSpec = { key: 'warm', size: 300 };
	await runCondition(spec, 5, 999_000);
}

/** A frame as a PNG data URL, to look at (the benchmark saves one per condition for review). */
async function framePng(spec: ConditionSpec, seed: number): Promise<string> {
	const frame = makeFrame(spec, spec.size > 0 ? qrs[0]! : null, seed);
	frameCtx.putImageData(frame, 0, 0);
	const blob = await frameCanvas.convertToBlob({ type: 'image/png' });
	return await new Promise((resolve) => {
		const reader = new FileReader();
		reader.onload = () => resolve(String(reader.result));
		reader.readAsDataURL(blob);
	});
}

const api = { ready: true, init, payloads, setQrs, runCondition, warmUp, framePng };
export type DecodeBenchApi = typeof api;
(window as unknown as { decodeBench: DecodeBenchApi }).decodeBench = api;
