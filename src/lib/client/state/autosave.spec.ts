import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Autosave } from './autosave';

describe('Autosave', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it('writes the latest value once typing pauses', async () => {
		const written: string[] = [];
		const a = new Autosave<string>(async (v) => void written.push(v), { delayMs: 400 });
		a.schedule('a');
		await vi.advanceTimersByTimeAsync(300);
		a.schedule('ab');
		await vi.advanceTimersByTimeAsync(300);
		expect(written).toEqual([]);
		await vi.advanceTimersByTimeAsync(150);
		expect(written).toEqual(['ab']);
		expect(a.pending).toBe(false);
	});

	it('flushes at once, and writes one value at a time in order', async () => {
		const written: string[] = [];
		let release!: () => void;
		const a = new Autosave<string>(async (v) => {
			if (v === 'slow') await new Promise<void>((r) => (release = r));
			written.push(v);
		});
		a.schedule('slow');
		const first = a.flush();
		a.schedule('next');
		const second = a.flush();
		await vi.advanceTimersByTimeAsync(0);
		expect(written).toEqual([]);
		release();
		await first;
		await second;
		expect(written).toEqual(['slow', 'next']);
	});

	it('cancel drops what waits and waits for the write under way', async () => {
		const written: string[] = [];
		let release!: () => void;
		const a = new Autosave<string>(async (v) => {
			await new Promise<void>((r) => (release = r));
			written.push(v);
		});
		a.schedule('one');
		void a.flush();
		a.schedule('two');
		let cancelled = false;
		const c = a.cancel().then(() => (cancelled = true));
		await vi.advanceTimersByTimeAsync(0);
		expect(cancelled).toBe(false);
		release();
		await c;
		await vi.advanceTimersByTimeAsync(1000);
		expect(written).toEqual(['one']);
	});

	it('reports a failed write and keeps going', async () => {
		const errors: unknown[] = [];
		const written: string[] = [];
		const a = new Autosave<string>(
			async (v) => {
				if (v === 'bad') throw new Error('boom');
				written.push(v);
			},
			{ onerror: (e) => errors.push(e) }
		);
		a.schedule('bad');
		await a.flush();
		a.schedule('good');
		await a.flush();
		expect(errors).toHaveLength(1);
		expect(written).toEqual(['good']);
	});
});
