/**
 * Where printed family cards go on paper. Cards are business-card size (名刺, 91 × 55 mm), ten on an
 * A4 page in 2 columns × 5 rows with no gap between them and margins of 14 mm left and right, 11 mm
 * top and bottom: the layout of the common pre-cut 名刺 label sheets (A4 10面), so a sheet of those
 * needs no cutting, and plain paper is cut along the crop marks in the margins.
 *
 * The back of a sheet is the next page, its columns swapped: printed duplex with the binding on the
 * long edge, the paper turns over about its vertical axis, so the card at the left of the front has
 * its back at the right of the reverse. The margins are the same on both sides, so the backs land
 * exactly behind their faces.
 */
export const SHEET = {
	pageWidth: 210,
	pageHeight: 297,
	cardWidth: 91,
	cardHeight: 55,
	columns: 2,
	rows: 5,
	left: 14,
	top: 11
} as const;

export const CARDS_PER_SHEET = SHEET.columns * SHEET.rows;

/** Crop marks stop this far short of the cards (mm), so a slightly off cut leaves no line on a card. */
const MARK_GAP = 2;
/** And are this long (mm); they stay inside the margins, clear of the paper's unprintable edge. */
const MARK_LENGTH = 5;

/**
 * `both`: each sheet's front, then its back (for duplex printing, long-edge binding); `front` or
 * `back` alone: for a printer without duplex, print the fronts, put the stack back in turned over
 * along the long edge, and print the backs.
 */
export const SHEET_SIDES = ['both', 'front', 'back'] as const;
export type SheetSides = (typeof SHEET_SIDES)[number];

export interface SheetSlot<T> {
	item: T;
	/** Position of the card's top-left corner on the page, in mm. */
	x: number;
	y: number;
}

export interface SheetPage<T> {
	/** 1-based number of the sheet of paper. */
	sheet: number;
	side: 'front' | 'back';
	slots: SheetSlot<T>[];
}

export function slotPosition(index: number, side: 'front' | 'back'): { x: number; y: number } {
	const row = Math.floor(index / SHEET.columns);
	const column = index % SHEET.columns;
	const printed = side === 'front' ? column : SHEET.columns - 1 - column;
	return { x: SHEET.left + printed * SHEET.cardWidth, y: SHEET.top + row * SHEET.cardHeight };
}

/** The pages to print for these cards, in order; each sheet holds the next ten, front then back. */
export function layoutSheets<T>(items: readonly T[], sides: SheetSides): SheetPage<T>[] {
	const pages: SheetPage<T>[] = [];
	const faces: Array<'front' | 'back'> = sides === 'both' ? ['front', 'back'] : [sides];
	for (let start = 0, sheet = 1; start < items.length; start += CARDS_PER_SHEET, sheet++) {
		const chunk = items.slice(start, start + CARDS_PER_SHEET);
		for (const side of faces) pages.push({ sheet, side, slots: chunk.map((item, i) => ({ item, ...slotPosition(i, side) })) });
	}
	return pages;
}

export interface MarkLine {
	x1: number;
	y1: number;
	x2: number;
	y2: number;
}

/**
 * Crop marks in the margins, in line with every card edge: short vertical lines above and below
 * each column edge, horizontal ones left and right of each row edge. The cards touch each other, so
 * these are the corners' marks (a mark between two cards would print on them).
 */
export function cropMarks(): MarkLine[] {
	const lines: MarkLine[] = [];
	const right = SHEET.left + SHEET.columns * SHEET.cardWidth;
	const bottom = SHEET.top + SHEET.rows * SHEET.cardHeight;
	for (let c = 0; c <= SHEET.columns; c++) {
		const x = SHEET.left + c * SHEET.cardWidth;
		lines.push({ x1: x, y1: SHEET.top - MARK_GAP - MARK_LENGTH, x2: x, y2: SHEET.top - MARK_GAP });
		lines.push({ x1: x, y1: bottom + MARK_GAP, x2: x, y2: bottom + MARK_GAP + MARK_LENGTH });
	}
	for (let r = 0; r <= SHEET.rows; r++) {
		const y = SHEET.top + r * SHEET.cardHeight;
		lines.push({ x1: SHEET.left - MARK_GAP - MARK_LENGTH, y1: y, x2: SHEET.left - MARK_GAP, y2: y });
		lines.push({ x1: right + MARK_GAP, y1: y, x2: right + MARK_GAP + MARK_LENGTH, y2: y });
	}
	return lines;
}
