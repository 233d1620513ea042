import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv';

describe('toCsv', () => {
	it('starts with a byte-order mark, quotes every cell and ends lines with CRLF', () => {
		const csv = toCsv(['日付', '会場'], [['2026-11-25', '若葉児童館']]);
		expect(csv.charCodeAt(0)).toBe(0xfeff);
		expect(csv.slice(1)).toBe('"日付","会場"\r\n"2026-11-25","若葉児童館"\r\n');
		expect(new TextEncoder().encode(csv).slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
	});

	it('guards cells that a spreadsheet would run as a formula', () => {
		for (const bad of ['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
			expect(csvCell(bad)).toBe(`"'${bad.replace(/"/g, '""')}"`);
		}
		expect(csvCell('a=b')).toBe('"a=b"');
		expect(csvCell('相談-1')).toBe('"相談-1"');
	});

	it('doubles quotes, keeps commas and line breaks inside the quotes, and leaves numbers alone', () => {
		expect(csvCell('say "hi", then\ngo')).toBe('"say ""hi"", then\ngo"');
		expect(csvCell(-3)).toBe('"-3"');
		expect(csvCell(null)).toBe('""');
	});
});
