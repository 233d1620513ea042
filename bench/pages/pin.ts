/**
 * The PIN benchmark's measuring loop (driven by bench/pin.bench.js). The same module runs in
 * Chromium, as the page's `window.pinBench`, and in Node, loaded through Vite, so both time the
 * app's own `verifyPin` (src/lib/domain/pin.ts) the same way.
 */
import { hashPin, OWASP_PBKDF2_ITERATIONS, PIN_ITERATIONS, verifyPin } from '$lib/domain/pin';

export interface PinRun {
	iterations: number;
	/** Milliseconds per verification, right and wrong guesses alternating. */
	times: number[];
	/** Verifications whose answer was wrong (the right PIN refused, or a wrong one accepted). */
	mistakes: number;
}

/** One hash at `iterations`, then one untimed verification and `n` timed ones. */
export async function measure(iterations: number, n: number): Promise<PinRun> {
	const pin = '482193';
	const stored = await hashPin(pin, iterations);
	await verifyPin(pin, stored);
	const times: number[] = [];
	let mistakes = 0;
	for (let i = 0; i < n; i++) {
		const right = i % 2 === 0;
		const t0 = performance.now();
		const ok = await verifyPin(right ? pin : '482194', stored);
		times.push(performance.now() - t0);
		if (ok !== right) mistakes++;
	}
	return { iterations, times, mistakes };
}

const api = { ready: true, defaults: { pin: PIN_ITERATIONS, owasp: OWASP_PBKDF2_ITERATIONS }, measure };
export type PinBenchApi = typeof api;
if (typeof window !== 'undefined') (window as unknown as { pinBench: PinBenchApi }).pinBench = api;
