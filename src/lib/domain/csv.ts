/**
 * CSV for spreadsheets at the centre: UTF-8 with a byte-order mark (Excel in Japan opens a file
 * without one as Shift_JIS and shows mojibake), CRLF line ends, every cell quoted. A cell a
 * spreadsheet would read as a formula (starting with = + - @, or a tab or CR that some strip before
 * looking) gets a leading apostrophe, so exported text can never run as a formula on a desk.
 */
export const CSV_BOM = '\ufeff';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null | undefined): string {
	if (value === null || value === undefined) return '""';
	// Numbers are ours, not typed by anyone: a negative one stays a number.
	let text = typeof value === 'number' ? String(value) : value;
	if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
	return `"${text.replace(/"/g, '""')}"`;
}

/** A whole file: the mark, a header row, then the rows. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
	const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
	return CSV_BOM + lines.join('\r\n') + '\r\n';
}
