import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compareHlc, deviceNode, formatHlc, HlcClock, hlcAfter, HLC_RE, MAX_DRIFT_MS, maxHlc, parseHlc, type HlcParts } from './hlc';

const MAX_WALL = 10 ** 15 - 2; // leaves room for one overflow step within 15 digits
const node = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const parts = fc.record({
	wall: fc.integer({ min: 0, max: MAX_WALL }),
	counter: fc.integer({ min: 0, max: 99_999 }),
	node
});

/** A settable fake clock. */
function fakeClock(start: number) {
	let t = start;
	return {
		now: () => t,
		set: (v: number) => {
			t = v;
		}
	};
}

function tupleCompare(a: HlcParts, b: HlcParts): number {
	if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
	if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
	return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

describe('formatHlc / parseHlc', () => {
	it('writes a fixed-width stamp', () => {
		expect(formatHlc({ wall: 1732500000000, counter: 0, node: 'tab-1' })).toBe('001732500000000:00000:tab-1');
		expect(formatHlc({ wall: 0, counter: 42, node: 'c' })).toBe('000000000000000:00042:c');
		expect(formatHlc({ wall: 999_999_999_999_999, counter: 99_999, node: 'Z_z' })).toBe('999999999999999:99999:Z_z');
	});

	it('parses what it writes', () => {
		expect(parseHlc('001732500000000:00007:tab-1')).toEqual({ wall: 1732500000000, counter: 7, node: 'tab-1' });
	});

	it('round-trips (property)', () => {
		fc.assert(
			fc.property(parts, (p) => {
				const s = formatHlc(p);
				expect(s).toMatch(HLC_RE);
				expect(parseHlc(s)).toEqual(p);
			}),
			{ numRuns: 2000 }
		);
	});

	it('refuses malformed stamps', () => {
		for (const bad of [
			'',
			'1732500000000:0:tab',
			'001732500000000:00000:',
			'001732500000000:0000:tab',
			'0001732500000000:00000:tab',
			'001732500000000:00000:tab:1',
			'001732500000000:00000:tab 1',
			'001732500000000:00000:' + 'x'.repeat(65),
			'00173250000000a:00000:tab'
		]) {
			expect(() => parseHlc(bad), bad).toThrow(/malformed hlc/);
		}
	});
});

describe('ordering', () => {
	it('string order equals (wall, counter, node) order (property)', () => {
		fc.assert(
			fc.property(parts, parts, (a, b) => {
				const sa = formatHlc(a);
				const sb = formatHlc(b);
				expect(Math.sign(compareHlc(sa, sb))).toBe(tupleCompare(a, b));
				expect(sa < sb).toBe(tupleCompare(a, b) < 0);
			}),
			{ numRuns: 5000 }
		);
	});

	it('orders by wall before counter, and counter before node', () => {
		const a = formatHlc({ wall: 9, counter: 99_999, node: 'zzz' });
		const b = formatHlc({ wall: 10, counter: 0, node: 'AAA' });
		const c = formatHlc({ wall: 10, counter: 1, node: '0' });
		expect(compareHlc(a, b)).toBe(-1);
		expect(compareHlc(b, c)).toBe(-1);
		expect(compareHlc(c, a)).toBe(1);
		expect(compareHlc(b, b)).toBe(0);
	});

	it('maxHlc picks the larger and tolerates missing values', () => {
		const a = formatHlc({ wall: 1, counter: 0, node: 'a' });
		const b = formatHlc({ wall: 1, counter: 1, node: 'a' });
		expect(maxHlc(a, b)).toBe(b);
		expect(maxHlc(b, a)).toBe(b);
		expect(maxHlc(a, a)).toBe(a);
		expect(maxHlc(null, a)).toBe(a);
		expect(maxHlc(a, undefined)).toBe(a);
		expect(maxHlc(null, undefined)).toBeNull();
		expect(maxHlc(undefined, null)).toBeNull();
	});
});

describe('HlcClock.tick', () => {
	it('refuses a bad node id', () => {
		expect(() => new HlcClock('')).toThrow(/bad hlc node id/);
		expect(() => new HlcClock('a:b')).toThrow(/bad hlc node id/);
		expect(() => new HlcClock('x'.repeat(65))).toThrow(/bad hlc node id/);
		expect(new HlcClock('tab_01-A').node).toBe('tab_01-A');
	});

	it('follows physical time, counts when it stands still and when it goes backwards', () => {
		const clock = fakeClock(1000);
		const c = new HlcClock('n', undefined, clock.now);
		expect(c.tick()).toBe('000000000001000:00000:n');
		expect(c.tick()).toBe('000000000001000:00001:n');
		clock.set(500); // backwards
		expect(c.tick()).toBe('000000000001000:00002:n');
		clock.set(999.9);
		expect(c.tick()).toBe('000000000001000:00003:n');
		clock.set(2000.7); // forward; fractions are floored
		expect(c.tick()).toBe('000000000002000:00000:n');
		expect(c.state).toEqual({ wall: 2000, counter: 0 });
	});

	it('resumes from a persisted state', () => {
		const c = new HlcClock('n', { wall: 5000, counter: 7 }, () => 1000);
		expect(c.tick()).toBe('000000000005000:00008:n');
		expect(c.state).toEqual({ wall: 5000, counter: 8 });
	});

	it('hands out copies of its state', () => {
		const init = { wall: 10, counter: 0 };
		const c = new HlcClock('n', init, () => 10);
		const s = c.state;
		s.wall = 1e12;
		init.wall = 1e12;
		expect(c.tick()).toBe('000000000000010:00001:n');
	});

	it('steps the wall when the counter overflows', () => {
		const c = new HlcClock('n', { wall: 1000, counter: 99_998 }, () => 1000);
		expect(c.tick()).toBe('000000000001000:99999:n');
		expect(c.tick()).toBe('000000000001001:00000:n');
		expect(c.tick()).toBe('000000000001001:00001:n');
	});

	it('is strictly increasing whatever the physical clock does (property)', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 2e12 }),
				fc.array(fc.oneof(fc.integer({ min: -5000, max: 5000 }), fc.constant(0)), { minLength: 1, maxLength: 300 }),
				(start, steps) => {
					const clock = fakeClock(start);
					const c = new HlcClock('n', undefined, clock.now);
					let prev = c.tick();
					let t = start;
					for (const step of steps) {
						t = Math.max(0, t + step);
						clock.set(t);
						const next = c.tick();
						expect(next > prev).toBe(true);
						expect(parseHlc(next).wall).toBeGreaterThanOrEqual(t);
						prev = next;
					}
				}
			)
		);
	});
});

describe('fixed width', () => {
	it('refuses to format a wall time or counter that would not fit, rather than sort wrongly', () => {
		expect(() => formatHlc({ wall: 10 ** 15, counter: 0, node: 'a' })).toThrow(RangeError);
		expect(() => formatHlc({ wall: -1, counter: 0, node: 'a' })).toThrow(RangeError);
		expect(() => formatHlc({ wall: 1, counter: 100_000, node: 'a' })).toThrow(RangeError);
		expect(() => hlcAfter('999999999999999:99999:x', 'centre', 0)).toThrow(RangeError);
		expect(formatHlc({ wall: 10 ** 15 - 1, counter: 99_999, node: 'a' })).toBe('999999999999999:99999:a');
	});

	it('names a device in stamps by its id without hyphens', () => {
		expect(deviceNode('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).toBe('0190a1b2c3d47e5f8a9b0c1d2e3f4a5b');
		expect(HLC_RE.test(formatHlc({ wall: 1, counter: 0, node: deviceNode('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b') }))).toBe(true);
	});
});

describe('HlcClock.tickAfter', () => {
	it('stamps after the version being replaced even when the clock was set back below it', () => {
		const clock = fakeClock(1_000_000);
		const c = new HlcClock('a', { wall: 0, counter: 0 }, clock.now);
		const prev = formatHlc({ wall: 1_000_500, counter: 7, node: 'b' });
		const s = c.tickAfter(prev);
		expect(s).toBe(formatHlc({ wall: 1_000_500, counter: 8, node: 'a' }));
		expect(c.tick() > s).toBe(true);
	});

	it('is an ordinary tick when the version replaced is older, or there is none', () => {
		const c = new HlcClock('a', { wall: 0, counter: 0 }, () => 2_000);
		expect(c.tickAfter(null)).toBe(formatHlc({ wall: 2_000, counter: 0, node: 'a' }));
		expect(c.tickAfter(formatHlc({ wall: 5, counter: 3, node: 'z' }))).toBe(formatHlc({ wall: 2_000, counter: 1, node: 'a' }));
	});

	it('is always greater than both the clock and the version replaced (property)', () =>
		fc.assert(
			fc.property(parts, fc.integer({ min: 0, max: MAX_WALL - 1 }), fc.integer({ min: 0, max: 99_998 }), (p, wall, counter) => {
				const c = new HlcClock('me', { wall, counter }, () => 0);
				const before = formatHlc({ wall, counter, node: 'me' });
				const prev = formatHlc(p);
				const s = c.tickAfter(prev);
				expect(s > prev).toBe(true);
				expect(s > before).toBe(true);
			})
		));
});

describe('HlcClock.receive', () => {
	it('follows a stamp ahead of it', () => {
		const c = new HlcClock('a', undefined, () => 1000);
		c.tick();
		c.receive('000000000005000:00003:b');
		expect(c.state).toEqual({ wall: 5000, counter: 4 });
		expect(c.tick()).toBe('000000000005000:00005:a');
	});

	it('takes the larger counter when walls are equal', () => {
		const c = new HlcClock('a', { wall: 1000, counter: 2 }, () => 1000);
		c.receive('000000000001000:00009:b');
		const next = c.tick();
		expect(next).toBe('000000000001000:00011:a');
		expect(next > '000000000001000:00009:b').toBe(true);
	});

	it('ignores the counter of an older stamp but still advances', () => {
		const c = new HlcClock('a', { wall: 5000, counter: 0 }, () => 1000);
		c.receive('000000000001000:00050:b');
		expect(c.state).toEqual({ wall: 5000, counter: 1 });
		expect(c.tick()).toBe('000000000005000:00002:a');
	});

	it('moves to physical time when that is the largest', () => {
		const c = new HlcClock('a', { wall: 1000, counter: 4 }, () => 9000);
		c.receive('000000000002000:00003:b');
		expect(c.state).toEqual({ wall: 9000, counter: 0 });
		expect(c.tick()).toBe('000000000009000:00001:a');
	});

	it('orders later ticks after the received stamp even when the node id sorts lower', () => {
		const c = new HlcClock('AAA', undefined, () => 1000);
		const remote = '000000000001000:00000:zzz';
		c.receive(remote);
		expect(c.tick() > remote).toBe(true);
	});

	it('steps the wall when a received counter is exhausted', () => {
		const c = new HlcClock('a', { wall: 1000, counter: 0 }, () => 1000);
		const remote = '000000000001000:99999:b';
		c.receive(remote);
		expect(c.state).toEqual({ wall: 1001, counter: 0 });
		const next = c.tick();
		expect(next).toBe('000000000001001:00001:a');
		expect(next > remote).toBe(true);
	});

	it('makes later ticks greater than any received stamp within the drift limit (property)', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 4e12 }),
				fc.record({ wall: fc.integer({ min: 0, max: 4e12 }), counter: fc.integer({ min: 0, max: 99_999 }) }),
				fc.integer({ min: -4e12, max: MAX_DRIFT_MS }),
				fc.integer({ min: 0, max: 99_999 }),
				node,
				(now, state, offset, counter, remoteNode) => {
					const c = new HlcClock('local', state, () => now);
					const remote = formatHlc({ wall: Math.max(0, now + offset), counter, node: remoteNode });
					c.receive(remote);
					const next = c.tick();
					expect(next > remote).toBe(true);
					expect(parseHlc(next).wall).toBeGreaterThanOrEqual(now);
				}
			),
			{ numRuns: 3000 }
		);
	});

	it('does not follow a stamp more than MAX_DRIFT_MS in the future', () => {
		expect(MAX_DRIFT_MS).toBe(24 * 60 * 60 * 1000);
		const now = 1_700_000_000_000;
		const c = new HlcClock('a', undefined, () => now);
		const far = formatHlc({ wall: now + MAX_DRIFT_MS + 1, counter: 0, node: 'b' });
		c.receive(far);
		expect(c.state).toEqual({ wall: 0, counter: 0 });
		const next = c.tick();
		expect(next).toBe(formatHlc({ wall: now, counter: 0, node: 'a' }));
		expect(next < far).toBe(true);
	});

	it('still follows a stamp exactly MAX_DRIFT_MS ahead', () => {
		const now = 1_700_000_000_000;
		const c = new HlcClock('a', undefined, () => now);
		const edge = formatHlc({ wall: now + MAX_DRIFT_MS, counter: 0, node: 'b' });
		c.receive(edge);
		expect(c.tick()).toBe(formatHlc({ wall: now + MAX_DRIFT_MS, counter: 2, node: 'a' }));
	});

	it('refuses a malformed stamp without changing state', () => {
		const c = new HlcClock('a', { wall: 7, counter: 1 }, () => 7);
		expect(() => c.receive('garbage')).toThrow(/malformed hlc/);
		expect(c.state).toEqual({ wall: 7, counter: 1 });
	});
});

describe('hlcAfter', () => {
	it('starts at now without a previous stamp', () => {
		expect(hlcAfter(null, 'centre', 1234.9)).toBe('000000000001234:00000:centre');
	});

	it('uses now when the previous stamp is older', () => {
		expect(hlcAfter('000000000001000:00077:tab', 'centre', 2000)).toBe('000000000002000:00000:centre');
	});

	it('counts on from a stamp at or after now', () => {
		expect(hlcAfter('000000000002000:00077:tab', 'centre', 2000)).toBe('000000000002000:00078:centre');
		expect(hlcAfter('000000000005000:00000:tab', 'centre', 2000)).toBe('000000000005000:00001:centre');
	});

	it('follows a far-future stamp (unlike receive)', () => {
		const now = 1_700_000_000_000;
		const future = formatHlc({ wall: now + 10 * 365 * MAX_DRIFT_MS, counter: 5, node: 'broken-tablet' });
		const next = hlcAfter(future, 'centre', now);
		expect(next).toBe(formatHlc({ wall: now + 10 * 365 * MAX_DRIFT_MS, counter: 6, node: 'centre' }));
		expect(next > future).toBe(true);
	});

	it('steps the wall when the counter is exhausted', () => {
		expect(hlcAfter('000000000005000:99999:tab', 'centre', 2000)).toBe('000000000005001:00000:centre');
	});

	it('is strictly greater than its argument and no earlier than now (property)', () => {
		fc.assert(
			fc.property(parts, fc.double({ min: 0, max: MAX_WALL, noNaN: true }), node, (prev, now, n) => {
				const before = formatHlc(prev);
				const next = hlcAfter(before, n, now);
				expect(next).toMatch(HLC_RE);
				expect(next > before).toBe(true);
				expect(parseHlc(next).wall).toBeGreaterThanOrEqual(Math.floor(now));
				expect(parseHlc(next).node).toBe(n);
			}),
			{ numRuns: 3000 }
		);
	});
});

describe('clocks exchanging stamps', () => {
	type Op = { kind: 'tick'; at: number } | { kind: 'send'; from: number; to: number };
	const NODES = ['tab-a', 'tab-b', 'centre'];

	it('produce a total order consistent with causality (property)', () => {
		const op: fc.Arbitrary<Op> = fc.oneof(
			fc.record({ kind: fc.constant('tick' as const), at: fc.integer({ min: 0, max: 2 }) }),
			fc.record({ kind: fc.constant('send' as const), from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) })
		);
		fc.assert(
			fc.property(
				// clock offsets within an hour, per-step jitter that can send a clock backwards
				fc.array(fc.integer({ min: -3_600_000, max: 3_600_000 }), { minLength: 3, maxLength: 3 }),
				fc.array(fc.tuple(op, fc.integer({ min: 0, max: 50 }), fc.integer({ min: -100, max: 100 })), { minLength: 1, maxLength: 80 }),
				(offsets, ops) => {
					let real = 1_700_000_000_000;
					let jitter = 0;
					const clocks = NODES.map((n, i) => new HlcClock(n, undefined, () => real + offsets[i]! + jitter));
					const vcs = NODES.map(() => [0, 0, 0]);
					const events: { hlc: string; vc: number[] }[] = [];
					const local = (i: number) => {
						vcs[i]![i]! += 1;
						const e = { hlc: clocks[i]!.tick(), vc: [...vcs[i]!] };
						events.push(e);
						return e;
					};
					for (const [o, advance, j] of ops) {
						real += advance;
						jitter = j;
						if (o.kind === 'tick') {
							local(o.at);
						} else {
							const sent = local(o.from);
							clocks[o.to]!.receive(sent.hlc);
							vcs[o.to] = vcs[o.to]!.map((v, k) => Math.max(v, sent.vc[k]!));
							const got = local(o.to);
							expect(got.hlc > sent.hlc).toBe(true);
						}
					}
					// total: no two events share a stamp
					expect(new Set(events.map((e) => e.hlc)).size).toBe(events.length);
					// causal: e happened before f (vector clock ≤, distinct) ⇒ hlc(e) < hlc(f)
					for (const e of events) {
						for (const f of events) {
							if (e === f) continue;
							const before = e.vc.every((v, k) => v <= f.vc[k]!);
							if (before) expect(e.hlc < f.hlc).toBe(true);
						}
					}
				}
			),
			{ numRuns: 300 }
		);
	});
});
