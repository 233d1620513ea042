import { describe, expect, it } from 'vitest';
import { RecentCodes } from './recent-codes';

describe('RecentCodes', () => {
	it('accepts a text once while it keeps being seen, and again after it was gone for the window', () => {
		const recent = new RecentCodes(2000);
		expect(recent.accept('A', 0)).toBe(true);
		// A card held in view: read every 100 ms for 5 s, reported once.
		for (let t = 100; t <= 5000; t += 100) expect(recent.accept('A', t)).toBe(false);
		expect(recent.accept('A', 7001)).toBe(true);
	});

	it('keeps texts apart', () => {
		const recent = new RecentCodes(2000);
		expect(recent.accept('A', 0)).toBe(true);
		expect(recent.accept('B', 10)).toBe(true);
		expect(recent.accept('A', 20)).toBe(false);
	});

	it('forgets old sightings without forgetting recent ones', () => {
		const recent = new RecentCodes(2000);
		for (let i = 0; i < 100; i++) recent.accept(`code-${i}`, i * 1000);
		expect(recent.accept('code-99', 99_500)).toBe(false);
		expect(recent.accept('code-0', 99_500)).toBe(true);
	});
});
