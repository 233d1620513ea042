/**
 * The zxing-wasm reader options the shipped decoder uses, shared by the worker and the benchmark
 * so that both measure the same thing. Chosen by bench/decode.bench.js (see bench/RESULTS.md).
 */
import type { ReaderOptions } from 'zxing-wasm/reader';

export const READER_OPTIONS: ReaderOptions = {
	// Cards and enrollment codes are QR codes; looking for nothing else saves most of the time spent
	// on frames without a code, which are most frames.
	formats: ['QRCode'],
	// Small, blurred and dim cards are read only with the extra passes; the cost is within budget.
	tryHarder: true,
	// The QR detector finds codes at any angle itself; the 90°/180°/270° retries are for 1D codes.
	tryRotate: false,
	// Printed cards and phone screens show dark modules on light; inverted codes are not ours.
	tryInvert: false,
	// A card held close fills the frame; the downscaled pass reads it faster and more surely.
	tryDownscale: true,
	// One card at a time: stop after the first symbol instead of searching the rest of the frame.
	maxNumberOfSymbols: 1
};
