import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryScratch } from './scratch';

describe('the tests’ scratch folder', () => {
	const saved = process.env.HIROBA_TEST_TMPDIR;
	afterEach(() => {
		if (saved === undefined) delete process.env.HIROBA_TEST_TMPDIR;
		else process.env.HIROBA_TEST_TMPDIR = saved;
	});

	it('is on tmpfs when /dev/shm is one with room, and is what this run uses', () => {
		const shm = (() => {
			try {
				const fs = statfsSync('/dev/shm');
				return fs.type === 0x01021994 && fs.bavail * fs.bsize >= 4 * 2 ** 30;
			} catch {
				return false;
			}
		})();
		expect(memoryScratch()).toBe(shm ? '/dev/shm/hiroba-tests' : null);
		if (shm) expect(tmpdir()).toBe('/dev/shm/hiroba-tests');
	});

	it('stays on disk where the folder is not tmpfs, or when asked to', () => {
		expect(memoryScratch(process.cwd())).toBeNull();
		expect(memoryScratch('/no/such/folder')).toBeNull();
		process.env.HIROBA_TEST_TMPDIR = 'disk';
		expect(memoryScratch()).toBeNull();
	});
});
