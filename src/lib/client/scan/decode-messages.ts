/** Messages between decoder.ts (the page) and decode.worker.ts. */

export type DecodeRequest =
	{ type: 'decode'; id: number; bitmap: ImageBitmap } | { type: 'decode'; id: number; width: number; height: number; pixels: ArrayBuffer };

export type DecodeResponse = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'result'; id: number; texts: string[]; error?: string };
