import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { exportResponse, tableToCsv, tableToXlsx, type ExportTable } from './export';

interface Line {
	site: string;
	date: string | null;
	visits: number;
	note: string;
}

const table: ExportTable<Line> = {
	sheet: '来場者数/月別',
	title: '令和8年度 来場者数（にこにこ）',
	columns: [
		{ header: '会場', kind: 'text', value: (r) => r.site },
		{ header: '開催日', kind: 'date', value: (r) => r.date },
		{ header: '延べ人数', kind: 'number', value: (r) => r.visits },
		{ header: '備考', kind: 'text', value: (r) => r.note }
	],
	rows: [
		{ site: '若葉児童館', date: '2026-04-01', visits: 12, note: '' },
		{ site: '=HYPERLINK("http://x","押して")', date: '2027-03-31', visits: 0, note: '-1' },
		{ site: '桜台児童館', date: null, visits: 3, note: '@SUM(A1)' }
	]
};

async function read(bytes: Uint8Array) {
	const book = new ExcelJS.Workbook();
	await book.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
	return book.worksheets[0]!;
}

describe('report exports', () => {
	it('xlsx: a title, a bold frozen header, numbers as numbers, dates as date cells, formula-like text as text', async () => {
		const sheet = await read(await tableToXlsx(table));
		expect(sheet.name).toBe('来場者数＿月別');
		expect(sheet.getCell('A1').value).toBe('令和8年度 来場者数（にこにこ）');
		expect(sheet.getRow(3).values).toEqual([undefined, '会場', '開催日', '延べ人数', '備考']);
		expect(sheet.getRow(3).font?.bold).toBe(true);
		expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });

		const date = sheet.getCell('B4');
		expect(date.value).toEqual(new Date('2026-04-01T00:00:00Z'));
		expect(date.numFmt).toBe('yyyy/mm/dd');
		expect(sheet.getCell('B5').value).toEqual(new Date('2027-03-31T00:00:00Z'));
		expect(sheet.getCell('B6').value).toBeNull();
		expect(sheet.getCell('C4').value).toBe(12);
		expect(sheet.getCell('C5').value).toBe(0);
		// Text that looks like a formula is a plain string cell, not a formula.
		const injected = sheet.getCell('A5');
		expect(injected.type).toBe(ExcelJS.ValueType.String);
		expect(injected.value).toBe('=HYPERLINK("http://x","押して")');
		expect(sheet.getCell('D6').value).toBe('@SUM(A1)');
		// Japanese text gets room: 若葉児童館 is 10 columns wide.
		expect(sheet.getColumn(1).width).toBeGreaterThanOrEqual(12);
	});

	it('CSV: a BOM, Japanese headers, dates as Excel reads them, formulas guarded', () => {
		const csv = tableToCsv(table);
		expect(csv.startsWith('\ufeff"会場","開催日","延べ人数","備考"\r\n')).toBe(true);
		expect(csv).toContain('"若葉児童館","2026/04/01","12",""\r\n');
		expect(csv).toContain(`"'=HYPERLINK(""http://x"",""押して"")","2027/03/31","0","'-1"\r\n`);
		expect(csv).toContain(`"桜台児童館","","3","'@SUM(A1)"\r\n`);
	});

	it('refuses a value of the wrong kind rather than write a wrong cell', async () => {
		const bad: ExportTable<{ d: string }> = { sheet: 's', columns: [{ header: '日付', kind: 'date', value: (r) => r.d }], rows: [{ d: '4月1日' }] };
		expect(() => tableToCsv(bad)).toThrow('日付');
		await expect(tableToXlsx(bad)).rejects.toThrow('日付');
	});

	it('names the download in Japanese with an ASCII fallback', () => {
		const res = exportResponse('x', 'csv', '来場者数-2026');
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(res.headers.get('content-disposition')).toBe(`attachment; filename="____-2026.csv"; filename*=UTF-8''${encodeURIComponent('来場者数-2026.csv')}`);
		expect(exportResponse(new Uint8Array(), 'xlsx', 'a').headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
	});
});
