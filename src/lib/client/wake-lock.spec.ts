/**
 * The kiosk's screen wake lock, against a stand-in for the browser's document and navigator: asked
 * for at once, asked for again when the page comes back into view, released when the kiosk closes,
 * and a refusal changes nothing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepScreenAwake } from './wake-lock';

function fakeBrowser(opts: { refuse?: boolean } = {}) {
	const listeners = new Set<() => void>();
	const doc = {
		visibilityState: 'visible' as 'visible' | 'hidden',
		addEventListener: (_: string, f: () => void) => listeners.add(f),
		removeEventListener: (_: string, f: () => void) => listeners.delete(f)
	};
	const held: Array<{ released: boolean }> = [];
	const request = vi.fn(async (type: string) => {
		expect(type).toBe('screen');
		if (opts.refuse) throw new DOMException('not allowed', 'NotAllowedError');
		const lock = { released: false, release: async () => void (lock.released = true) };
		held.push(lock);
		return lock;
	});
	vi.stubGlobal('document', doc);
	vi.stubGlobal('navigator', { wakeLock: { request } });
	const show = (state: 'visible' | 'hidden') => {
		doc.visibilityState = state;
		for (const f of listeners) f();
	};
	return { request, held, show, listeners };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => vi.unstubAllGlobals());

describe('keepScreenAwake', () => {
	it('asks for a screen lock at once and again each time the page becomes visible, and releases it when stopped', async () => {
		const b = fakeBrowser();
		const stop = keepScreenAwake();
		await settle();
		expect(b.request).toHaveBeenCalledTimes(1);
		b.show('hidden');
		await settle();
		expect(b.request).toHaveBeenCalledTimes(1);
		b.show('visible');
		await settle();
		expect(b.request).toHaveBeenCalledTimes(2);
		stop();
		await settle();
		expect(b.held.at(-1)!.released).toBe(true);
		expect(b.listeners.size).toBe(0);
	});

	it('shrugs off a refusal and a browser without the API', async () => {
		const b = fakeBrowser({ refuse: true });
		const stop = keepScreenAwake();
		await settle();
		expect(b.request).toHaveBeenCalledTimes(1);
		stop();
		vi.stubGlobal('navigator', {});
		expect(() => keepScreenAwake()()).not.toThrow();
	});
});
