/**
 * Report exports that open cleanly in Japanese Excel, in two forms from one description of the
 * columns:
 *
 * - `.xlsx` (exceljs): numbers as numbers, dates as real date cells shown `yyyy/mm/dd`, text as
 *   text (never a formula, whatever it starts with), a bold frozen header row, widths that fit
 *   Japanese text, and a title row above the table when one is given.
 * - CSV in UTF-8 with a byte-order mark (csv.ts): dates written `yyyy/mm/dd`, which Excel reads as
 *   dates; text that a spreadsheet would run as a formula guarded with a leading apostrophe.
 *
 * The caller audits the export (who, what, how many rows) before sending it.
 */
import ExcelJS from 'exceljs';
import { isValidIsoDate } from '$lib/domain/dates';
import { toCsv } from '$lib/domain/csv';

export type ColumnKind = 'text' | 'number' | 'date';

export interface Column<R> {
	header: string;
	kind: ColumnKind;
	/** Text, a number, or for `date` an ISO date `YYYY-MM-DD`; null leaves the cell empty. */
	value: (row: R) => string | number | null;
	/** Width in characters (Japanese characters count double); worked out from the data when absent. */
	width?: number;
}

export interface ExportTable<R> {
	/** The sheet's name (at most 31 characters; Excel forbids some characters, which are replaced). */
	sheet: string;
	/** A line above the table, e.g. 「令和8年度 来場者数（にこにこ）」. */
	title?: string;
	columns: ReadonlyArray<Column<R>>;
	rows: readonly R[];
}

export type ExportFormat = 'csv' | 'xlsx';

/** An ISO date as Excel shows a date in Japan. */
function slashDate(iso: string): string {
	return iso.replace(/-/g, '/');
}

function checkDate(value: string | number | null, header: string): string | null {
	if (value === null) return null;
	if (typeof value !== 'string' || !isValidIsoDate(value)) throw new TypeError(`column ${header}: ${String(value)} is not a date YYYY-MM-DD`);
	return value;
}

export function tableToCsv<R>(table: ExportTable<R>): string {
	const rows = table.rows.map((r) =>
		table.columns.map((c) => {
			const v = c.value(r);
			if (c.kind === 'date') {
				const d = checkDate(v, c.header);
				return d === null ? null : slashDate(d);
			}
			return v;
		})
	);
	return toCsv(
		table.columns.map((c) => c.header),
		rows
	);
}

/** Display width: characters outside ASCII take two columns in Excel's default fonts. */
function displayWidth(text: string): number {
	let w = 0;
	for (const ch of text) w += ch.charCodeAt(0) > 0xff ? 2 : 1;
	return w;
}

/** Characters Excel does not allow in a sheet name. */
const BAD_SHEET_CHARS = /[\\/?*[\]:]/g;

export async function tableToXlsx<R>(table: ExportTable<R>): Promise<Uint8Array> {
	const book = new ExcelJS.Workbook();
	book.creator = 'Hiroba';
	const sheet = book.addWorksheet(table.sheet.replace(BAD_SHEET_CHARS, '＿').slice(0, 31) || 'Sheet1');
	let headerRow = 1;
	if (table.title) {
		sheet.getCell(1, 1).value = table.title;
		sheet.getCell(1, 1).font = { bold: true, size: 13 };
		headerRow = 3;
	}
	const header = sheet.getRow(headerRow);
	table.columns.forEach((c, i) => {
		header.getCell(i + 1).value = c.header;
	});
	header.font = { bold: true };
	sheet.views = [{ state: 'frozen', ySplit: headerRow }];

	const widths = table.columns.map((c) => displayWidth(c.header));
	table.rows.forEach((r, k) => {
		const row = sheet.getRow(headerRow + 1 + k);
		table.columns.forEach((c, i) => {
			const v = c.value(r);
			const cell = row.getCell(i + 1);
			if (v === null) return;
			if (c.kind === 'date') {
				const d = checkDate(v, c.header)!;
				// A date cell holds the calendar day; UTC midnight keeps it the same day anywhere.
				cell.value = new Date(`${d}T00:00:00Z`);
				cell.numFmt = 'yyyy/mm/dd';
				widths[i] = Math.max(widths[i]!, 10);
			} else if (c.kind === 'number') {
				if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`column ${c.header}: ${String(v)} is not a number`);
				cell.value = v;
				widths[i] = Math.max(widths[i]!, String(v).length);
			} else {
				// A string value, never a formula object: text beginning with = stays text.
				cell.value = String(v);
				widths[i] = Math.max(widths[i]!, displayWidth(String(v)));
			}
		});
	});
	table.columns.forEach((c, i) => {
		sheet.getColumn(i + 1).width = c.width ?? Math.min(60, widths[i]! + 2);
	});
	return new Uint8Array(await book.xlsx.writeBuffer());
}

export async function exportBody<R>(table: ExportTable<R>, format: ExportFormat): Promise<string | Uint8Array> {
	return format === 'csv' ? tableToCsv(table) : tableToXlsx(table);
}

const CONTENT_TYPE: Record<ExportFormat, string> = {
	csv: 'text/csv; charset=utf-8',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
};

/**
 * A download response. The file name may be Japanese: an ASCII fallback for old clients and the
 * UTF-8 name (RFC 6266 / 5987) for every current browser.
 */
export function exportResponse(body: string | Uint8Array, format: ExportFormat, fileName: string): Response {
	const full = `${fileName}.${format}`;
	const ascii = full.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
	return new Response(body as BodyInit, {
		headers: {
			'content-type': CONTENT_TYPE[format],
			'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(full)}`,
			'cache-control': 'no-store'
		}
	});
}
