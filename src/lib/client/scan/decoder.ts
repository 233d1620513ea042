/**
 * QR decoding for camera frames. The browser's own BarcodeDetector where it reads QR codes (Android
 * and ChromeOS Chrome, Safari), otherwise zxing-wasm in a Web Worker. Either way at most one frame
 * is being decoded at a time: a frame offered while the decoder is busy is dropped at once (a
 * camera makes a new one every 33 ms, so waiting would only add latency).
 *
 * Nothing heavy loads with this module: the worker and its WebAssembly are fetched the first time
 * createDecoder() picks them, so the kiosk's first-load JavaScript stays small.
 */
import type { DecodeRequest, DecodeResponse } from './decode-messages';

export type DecoderKind = 'native' | 'zxing-wasm';
export type Frame = ImageData | ImageBitmap | VideoFrame;

export interface FrameDecoder {
	/** The texts of the QR codes in the frame; [] when there are none or the frame was dropped. */
	decode(frame: Frame): Promise<string[]>;
	readonly kind: DecoderKind;
	/** True while a frame is being decoded: a caller can skip grabbing the next one. */
	readonly busy: boolean;
	close(): void;
}

export interface DecoderOptions {
	/** 'zxing-wasm' skips the native detector (the benchmark measures the worker path this way). */
	prefer?: 'auto' | 'zxing-wasm';
	/** How long the worker may take to fetch and compile its WebAssembly. */
	loadTimeoutMs?: number;
}

/** The decoder could not be loaded (no worker, the .wasm missing from the cache, a CSP refusal…). */
export class DecoderLoadError extends Error {
	override name = 'DecoderLoadError';
}

export async function createDecoder(opts: DecoderOptions = {}): Promise<FrameDecoder> {
	if (opts.prefer !== 'zxing-wasm') {
		const native = await createNativeDecoder();
		if (native) return native;
	}
	return createWorkerDecoder(opts.loadTimeoutMs ?? 20_000);
}

/** Frames are decoded at most this wide: a card fills enough of a 1280-wide frame to read. */
export const MAX_DECODE_WIDTH = 1280;

/** The size to decode a frame at: at most maxWidth wide, aspect kept. */
export function decodeSize(width: number, height: number, maxWidth: number): { width: number; height: number } {
	if (width <= maxWidth) return { width, height };
	return { width: maxWidth, height: Math.round((height * maxWidth) / width) };
}

function release(frame: Frame): void {
	if ('close' in frame) frame.close();
}

// --- native -------------------------------------------------------------------------------------

interface NativeBarcodeDetector {
	detect(source: ImageBitmapSource): Promise<{ rawValue: string }[]>;
}
interface NativeBarcodeDetectorClass {
	new (options: { formats: string[] }): NativeBarcodeDetector;
	getSupportedFormats(): Promise<string[]>;
}

/** A BarcodeDetector that reads QR codes, or null. Desktop Linux and Windows Chrome have none. */
export async function createNativeDecoder(): Promise<FrameDecoder | null> {
	const Detector = (globalThis as { BarcodeDetector?: NativeBarcodeDetectorClass }).BarcodeDetector;
	if (!Detector) return null;
	let formats: string[];
	try {
		formats = await Detector.getSupportedFormats();
	} catch {
		return null;
	}
	if (!formats.includes('qr_code')) return null;
	const detector = new Detector({ formats: ['qr_code'] });
	let busy = false;
	let closed = false;
	return {
		kind: 'native',
		get busy() {
			return busy;
		},
		async decode(frame) {
			if (busy || closed) {
				release(frame);
				return [];
			}
			busy = true;
			try {
				return (await detector.detect(frame)).map((b) => b.rawValue);
			} finally {
				busy = false;
				release(frame);
			}
		},
		close() {
			closed = true;
		}
	};
}

// --- zxing-wasm in a worker ---------------------------------------------------------------------

async function createWorkerDecoder(loadTimeoutMs: number): Promise<FrameDecoder> {
	let worker: Worker;
	try {
		worker = new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: 'hiroba-qr-decoder' });
	} catch (e) {
		throw new DecoderLoadError(`the decoder worker could not start: ${e instanceof Error ? e.message : String(e)}`);
	}

	await new Promise<void>((resolve, reject) => {
		const fail = (message: string) => {
			clearTimeout(timer);
			worker.terminate();
			reject(new DecoderLoadError(message));
		};
		const timer = setTimeout(() => fail(`the decoder did not load within ${loadTimeoutMs} ms`), loadTimeoutMs);
		worker.onmessage = (event: MessageEvent<DecodeResponse>) => {
			if (event.data.type === 'ready') {
				clearTimeout(timer);
				resolve();
			} else if (event.data.type === 'failed') fail(`the decoder's WebAssembly did not load: ${event.data.message}`);
		};
		worker.onerror = (event) => {
			event.preventDefault();
			fail(`the decoder worker failed: ${event.message || 'script error'}`);
		};
	});

	let nextId = 1;
	let pending: { id: number; resolve: (texts: string[]) => void; reject: (e: Error) => void } | null = null;
	let closed = false;
	let broken: Error | null = null;

	worker.onmessage = (event: MessageEvent<DecodeResponse>) => {
		const message = event.data;
		if (message.type !== 'result' || !pending || message.id !== pending.id) return;
		const { resolve } = pending;
		pending = null;
		// A frame that failed to decode is a frame without a code: the next one gets its chance.
		resolve(message.texts);
	};
	worker.onerror = (event) => {
		event.preventDefault();
		broken = new DecoderLoadError(`the decoder worker failed: ${event.message || 'script error'}`);
		pending?.reject(broken);
		pending = null;
	};

	return {
		kind: 'zxing-wasm',
		get busy() {
			return pending !== null;
		},
		decode(frame) {
			if (broken) {
				release(frame);
				return Promise.reject(broken);
			}
			if (pending || closed) {
				release(frame);
				return Promise.resolve([]);
			}
			const id = nextId++;
			return new Promise<string[]>((resolve, reject) => {
				pending = { id, resolve, reject };
				// Transferred, not copied: the bitmap or the pixel buffer moves to the worker, and the
				// caller's ImageData is left empty (detached).
				if ('close' in frame) {
					const [width, height] = 'displayWidth' in frame ? [frame.displayWidth, frame.displayHeight] : [frame.width, frame.height];
					const size = decodeSize(width, height, MAX_DECODE_WIDTH);
					const request: DecodeRequest = { type: 'decode', id, bitmap: frame, width: size.width, height: size.height };
					worker.postMessage(request, [frame]);
				} else {
					const pixels = frame.data.buffer as ArrayBuffer;
					const request: DecodeRequest = { type: 'decode', id, width: frame.width, height: frame.height, pixels };
					worker.postMessage(request, [pixels]);
				}
			});
		},
		close() {
			closed = true;
			worker.terminate();
			pending?.resolve([]);
			pending = null;
		}
	};
}
