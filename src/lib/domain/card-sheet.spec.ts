import { describe, expect, it } from 'vitest';
import { CARDS_PER_SHEET, cropMarks, layoutSheets, SHEET } from './card-sheet';

describe('card sheet layout', () => {
	it('puts ten business cards on an A4 page within its margins, touching each other', () => {
		expect(CARDS_PER_SHEET).toBe(10);
		expect(SHEET.left * 2 + SHEET.columns * SHEET.cardWidth).toBe(SHEET.pageWidth);
		expect(SHEET.top * 2 + SHEET.rows * SHEET.cardHeight).toBe(SHEET.pageHeight);
		const [front] = layoutSheets([...Array(10).keys()], 'front');
		expect(front!.slots.map((s) => [s.x, s.y])).toEqual([
			[14, 11],
			[105, 11],
			[14, 66],
			[105, 66],
			[14, 121],
			[105, 121],
			[14, 176],
			[105, 176],
			[14, 231],
			[105, 231]
		]);
	});

	it('follows each sheet’s front with its back, columns swapped so each back lands behind its face (long-edge duplex)', () => {
		const pages = layoutSheets([...Array(13).keys()], 'both');
		expect(pages.map((p) => `${p.sheet}${p.side}`)).toEqual(['1front', '1back', '2front', '2back']);
		for (const [front, back] of [
			[pages[0]!, pages[1]!],
			[pages[2]!, pages[3]!]
		] as const) {
			expect(back.slots.map((s) => s.item)).toEqual(front.slots.map((s) => s.item));
			front.slots.forEach((f, i) => {
				const b = back.slots[i]!;
				// Turned over about the vertical axis, the back's left edge is the front's right edge mirrored.
				expect(b.x).toBe(SHEET.pageWidth - (f.x + SHEET.cardWidth));
				expect(b.y).toBe(f.y);
			});
		}
		// The last sheet's lone third card: left on the front, right on the back.
		expect(pages[2]!.slots.map((s) => s.x)).toEqual([14, 105, 14]);
		expect(pages[3]!.slots.map((s) => s.x)).toEqual([105, 14, 105]);
	});

	it('prints one side only when asked, and nothing for no cards', () => {
		expect(layoutSheets([1, 2], 'back').map((p) => [p.side, p.slots.map((s) => s.x)])).toEqual([['back', [105, 14]]]);
		expect(layoutSheets([], 'both')).toEqual([]);
	});

	it('draws crop marks in line with every card edge, in the margins only', () => {
		const marks = cropMarks();
		const xs = new Set(marks.filter((m) => m.x1 === m.x2).map((m) => m.x1));
		const ys = new Set(marks.filter((m) => m.y1 === m.y2).map((m) => m.y1));
		expect([...xs]).toEqual([14, 105, 196]);
		expect([...ys]).toEqual([11, 66, 121, 176, 231, 286]);
		const inCards = (x: number, y: number) => x > SHEET.left && x < 196 && y > SHEET.top && y < 286;
		for (const m of marks) {
			expect(inCards((m.x1 + m.x2) / 2, (m.y1 + m.y2) / 2)).toBe(false);
			for (const v of [m.x1, m.x2]) expect(v).toBeGreaterThanOrEqual(3);
			for (const v of [m.y1, m.y2]) expect(v).toBeGreaterThanOrEqual(3);
			expect(Math.max(m.x1, m.x2)).toBeLessThanOrEqual(SHEET.pageWidth - 3);
			expect(Math.max(m.y1, m.y2)).toBeLessThanOrEqual(SHEET.pageHeight - 3);
		}
	});
});
