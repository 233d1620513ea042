/**
 * @param {number[]} xs
 * @param {number} p 0..100
 * @returns {number}
 */
export function percentile(xs, p) {
	if (xs.length === 0) return NaN;
	const s = [...xs].sort((a, b) => a - b);
	const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
	return s[i] ?? NaN;
}

/** @param {number[]} xs */
export function median(xs) {
	return percentile(xs, 50);
}

/** @param {number} x @param {number} digits */
export const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
