import { describe, it, expect } from 'vitest';
import { isUuidV7, UUID_RE, UUIDV7_RE, uuidv7, uuidv7Time } from './ids';

/**
 * uuidv7 keeps module state (the last millisecond used), so each test takes its own times from a
 * base that only grows: a fresh value is always later than anything used before.
 */
let base = Date.UTC(2031, 0, 1);
const fresh = () => (base += 1_000_000);

describe('uuidv7', () => {
	it('has the UUIDv7 layout: version 7, RFC 9562 variant', () => {
		const variants = new Set<string>();
		for (let i = 0; i < 2000; i++) {
			const id = uuidv7();
			expect(id).toMatch(UUIDV7_RE);
			expect(id).toMatch(UUID_RE);
			expect(id).toHaveLength(36);
			expect(id[14]).toBe('7');
			expect('89ab').toContain(id[19]!);
			variants.add(id[19]!);
		}
		// the two low variant bits are random: all four variant characters show up
		expect([...variants].sort()).toEqual(['8', '9', 'a', 'b']);
	});

	it('writes the millisecond as the first 48 bits, big-endian', () => {
		const ms = fresh();
		const id = uuidv7(ms);
		expect(id.slice(0, 8) + id.slice(9, 13)).toBe(ms.toString(16).padStart(12, '0'));
	});

	it('floors a fractional now', () => {
		const ms = fresh();
		expect(uuidv7Time(uuidv7(ms + 0.9))).toBe(ms);
	});

	it('gives distinct ids', () => {
		const ids = Array.from({ length: 10_000 }, () => uuidv7());
		expect(new Set(ids).size).toBe(10_000);
	});
});

describe('uuidv7Time', () => {
	it('returns the millisecond the id was made in', () => {
		for (let i = 0; i < 20; i++) {
			const ms = fresh() + i * 37;
			expect(uuidv7Time(uuidv7(ms))).toBe(ms);
		}
	});

	it('reads a known id', () => {
		// 0x017F22E279B0 = 1645557742000 (the RFC 9562 example time)
		expect(uuidv7Time('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(1645557742000);
	});

	it('refuses what is not a UUIDv7', () => {
		expect(() => uuidv7Time('550e8400-e29b-41d4-a716-446655440000')).toThrow(/not a UUIDv7/);
		expect(() => uuidv7Time('not-a-uuid')).toThrow(/not a UUIDv7/);
	});
});

describe('ordering', () => {
	it('strictly increases for 5000 ids made with a fixed now, borrowing the next ms past 4096', () => {
		const now = fresh();
		const ids = Array.from({ length: 5000 }, () => uuidv7(now));
		for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i}`).toBe(true);
		expect(new Set(ids).size).toBe(5000);
		for (const id of ids) expect(id).toMatch(UUIDV7_RE);
		// the 12-bit counter starts at a random 0..7 and counts up to 0xfff within `now`
		const firstSeq = parseInt(ids[0]!.slice(15, 18), 16);
		expect(firstSeq).toBeGreaterThanOrEqual(0);
		expect(firstSeq).toBeLessThanOrEqual(7);
		const inNow = ids.filter((id) => uuidv7Time(id) === now).length;
		expect(inNow).toBe(4096 - firstSeq);
		expect(ids.slice(inNow).every((id) => uuidv7Time(id) === now + 1)).toBe(true);
		expect(parseInt(ids[inNow - 1]!.slice(15, 18), 16)).toBe(0xfff);
		expect(parseInt(ids[inNow]!.slice(15, 18), 16)).toBe(0);
	});

	it('keeps increasing when the clock goes backwards', () => {
		const t = fresh();
		const a = uuidv7(t);
		const b = uuidv7(t - 60_000);
		expect(b > a).toBe(true);
		expect(uuidv7Time(b)).toBe(t);
	});

	it('sorts by creation time across milliseconds', () => {
		const t = fresh();
		const a = uuidv7(t);
		const b = uuidv7(t + 1);
		const c = uuidv7(t + 1000);
		expect([c, a, b].sort()).toEqual([a, b, c]);
	});
});

describe('isUuidV7', () => {
	it('accepts v7 and refuses other versions and shapes', () => {
		expect(isUuidV7(uuidv7())).toBe(true);
		expect(isUuidV7('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(true);
		expect(isUuidV7('550e8400-e29b-41d4-a716-446655440000')).toBe(false); // v4
		expect(isUuidV7('6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(false); // v1
		expect(isUuidV7('00000000-0000-0000-0000-000000000000')).toBe(false); // nil
		expect(isUuidV7('017f22e2-79b0-7cc3-c8c4-dc0c0c07398f')).toBe(false); // wrong variant
		expect(isUuidV7('017F22E2-79B0-7CC3-98C4-DC0C0C07398F')).toBe(false); // not lowercase
		expect(isUuidV7('017f22e279b07cc398c4dc0c0c07398f')).toBe(false); // no hyphens
		expect(isUuidV7('')).toBe(false);
	});

	it('UUID_RE accepts any version 1..8 (for ids made elsewhere)', () => {
		expect(UUID_RE.test('550e8400-e29b-41d4-a716-446655440000')).toBe(true);
		expect(UUID_RE.test('00000000-0000-0000-0000-000000000000')).toBe(false);
	});
});
