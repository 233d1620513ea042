/** Messages between decoder.ts (the page) and decode.worker.ts. */

export type DecodeRequest =
	/** A camera frame (a VideoFrame where the browser has WebCodecs, else an ImageBitmap), drawn at `width` × `height`. */
	| { type: 'decode'; id: number; bitmap: ImageBitmap | VideoFrame; width: number; height: number }
	| { type: 'decode'; id: number; width: number; height: number; pixels: ArrayBuffer };

export type DecodeResponse = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'result'; id: number; texts: string[]; error?: string };
