/**
 * The QR decoder's worker: zxing-wasm (ZXing-C++ compiled to WebAssembly) off the main thread, so
 * that the camera preview and the kiosk's animations never wait for a decode.
 *
 * The .wasm comes from our own origin, never a CDN: the tablets are offline, and the service worker
 * precaches the hashed asset that Vite emits for this `?url` import.
 */
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';
import type { DecodeRequest, DecodeResponse } from './decode-messages';
import { READER_OPTIONS } from './reader-options';

// The project's TypeScript lib is the DOM's; a worker's global scope is declared here by what we use.
interface WorkerScope {
	postMessage(message: DecodeResponse): void;
	addEventListener(type: 'message', listener: (event: MessageEvent<DecodeRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;

let canvas: OffscreenCanvas | null = null;
let context: OffscreenCanvasRenderingContext2D | null = null;

/**
 * The frame's RGBA pixels. A camera frame is drawn (scaled to the requested size) on a reused
 * canvas, here in the worker: reading a video's pixels on the page would cost the main thread
 * several milliseconds a frame, which a slow tablet's kiosk cannot spare.
 */
function pixelsOf(request: DecodeRequest): ImageData {
	if (!('bitmap' in request)) return new ImageData(new Uint8ClampedArray(request.pixels), request.width, request.height);
	const { bitmap, width, height } = request;
	if (!canvas || canvas.width !== width || canvas.height !== height) {
		canvas = new OffscreenCanvas(width, height);
		context = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
	}
	if (!context) throw new Error('no 2d context in the worker');
	context.drawImage(bitmap, 0, 0, width, height);
	return context.getImageData(0, 0, width, height);
}

const ready = prepareZXingModule({
	overrides: {
		locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? new URL(wasmUrl, self.location.href).href : prefix + path)
	},
	fireImmediately: true
});

ready.then(
	() => scope.postMessage({ type: 'ready' }),
	(e: unknown) => scope.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) })
);

scope.addEventListener('message', (event) => {
	const request = event.data;
	if (request.type !== 'decode') return;
	void (async () => {
		try {
			await ready;
			const results = await readBarcodes(pixelsOf(request), READER_OPTIONS);
			scope.postMessage({ type: 'result', id: request.id, texts: results.filter((r) => r.isValid).map((r) => r.text) });
		} catch (e) {
			scope.postMessage({ type: 'result', id: request.id, texts: [], error: e instanceof Error ? e.message : String(e) });
		} finally {
			// A transferred frame belongs to this worker now; free its memory (a camera buffer) at once.
			if ('bitmap' in request) request.bitmap.close();
		}
	})();
});
