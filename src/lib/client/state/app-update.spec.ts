import { describe, expect, it } from 'vitest';
import { formatMegabytes, formatVersion } from './app-update.svelte';

describe('the device panel’s figures', () => {
	it('shows SvelteKit’s default version (the build time) as a date and time in Tokyo, and any other as it is', () => {
		expect(formatVersion(String(Date.parse('2026-11-30T23:45:00Z')))).toBe('2026/12/1 08:45 版');
		expect(formatVersion('1.4.2')).toBe('1.4.2');
	});

	it('shows bytes as megabytes with one decimal', () => {
		expect(formatMegabytes(0)).toBe('0.0 MB');
		expect(formatMegabytes(12_345_678)).toBe('12.3 MB');
	});
});
