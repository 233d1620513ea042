/**
 * Family cards printed from the centre, in the browser, on the built server with its demo data
 * (families registered at the tablets with a printed card requested): a coordinator opens the print
 * queue from the menu, opens the print sheet of every queued card, and the sheet prints as A4 pages,
 * a front and a back per ten cards; every card's QR code, as the browser draws it, reads back as that
 * card's code. Marking them printed empties the queue, and the store holds the audit row. One card
 * prints on pages of its own size. Every screen passes axe and the 44 px rule.
 */
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardQrPayload, parseCardInput } from '../../src/lib/domain/card-code';
import { CARDS_PER_SHEET, SHEET } from '../../src/lib/domain/card-sheet';
import { makePlace, type Place, type RunningServer } from '../server-process';
import { expectAccessible, newContext, serverAndBrowser, signInAtCentre } from './browser';

/** The pages of a PDF and each one's size in points (Chromium writes one page object per page). */
function pdfPages(pdf: Buffer): Array<{ width: number; height: number }> {
	const text = pdf.toString('latin1');
	return [...text.matchAll(/\/Type\s*\/Page\b(?!s)[^]*?\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => ({
		width: Number(m[3]) - Number(m[1]),
		height: Number(m[4]) - Number(m[2])
	}));
}
const mmToPt = (mm: number) => (mm / 25.4) * 72;

/** A PNG's pixels, decoded by the browser (a canvas in a blank page), as jsQR takes them. */
async function pixels(decoder: Page, png: Buffer): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
	const r = await decoder.evaluate(async (b64) => {
		const img = new Image();
		img.src = `data:image/png;base64,${b64}`;
		await img.decode();
		const canvas = document.createElement('canvas');
		canvas.width = img.naturalWidth;
		canvas.height = img.naturalHeight;
		const ctx = canvas.getContext('2d')!;
		ctx.drawImage(img, 0, 0);
		const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
		let bin = '';
		for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
		return { b64: btoa(bin), width: canvas.width, height: canvas.height };
	}, png.toString('base64'));
	return { data: new Uint8ClampedArray(Buffer.from(r.b64, 'base64')), width: r.width, height: r.height };
}

describe('family cards printed from the centre', () => {
	let place: Place;
	let server: RunningServer | null = null;
	let browser: Browser;

	beforeAll(async () => {
		place = await makePlace('pglite', { from: 'demo' });
		[server, browser] = await serverAndBrowser({ dataDir: place.dataDir });
	});
	afterAll(async () => {
		await Promise.all([browser?.close(), server?.stop()]);
		await place?.dispose();
	});

	it('a coordinator prints the queue on A4 sheets whose every QR code reads, marks them printed, and the queue is empty', async () => {
		const url = server!.url;
		const ctx = await newContext(browser);
		const page = await ctx.newPage();
		const problems: string[] = [];
		page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
		page.on('console', (m) => {
			if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
		});
		await signInAtCentre(page, url);

		// By way of the monthly report, whose print style (A4 landscape, 10 mm margins, for every page)
		// stays in the tab after moving on in the app: the sheet's own page style must win over it.
		await page.goto(`${url}/centre/reports/monthly`);
		await page.getByRole('link', { name: 'カード印刷' }).click();
		await page.waitForURL(`${url}/centre/cards`);
		const codes = (await page.getByTestId('queue-code').allTextContents()).map((t) => t.trim());
		const n = codes.length;
		// The demo registers a few hundred families, about one in twenty with a card still to print:
		// more than one sheet's worth.
		expect(n).toBeGreaterThan(CARDS_PER_SHEET);
		expect(await page.locator('h1').textContent()).toBe(`カード印刷（印刷待ち ${n}枚）`);
		// With script, a "select all" box and the count; every card starts chosen.
		await expect.poll(() => page.getByRole('status').textContent()).toBe(`${n}枚を選択中`);
		await expectAccessible(page, expect);

		// Unchoose all, and "mark printed" refuses with nothing chosen.
		await page.getByLabel('すべて選択').uncheck();
		expect(await page.getByRole('status').textContent()).toBe('0枚を選択中');
		await page.getByRole('button', { name: '選んだカードを印刷済みにする' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('カードを1枚以上選んでください');
		expect(await page.locator('h1').textContent()).toBe(`カード印刷（印刷待ち ${n}枚）`);
		await page.getByLabel('すべて選択').check();

		await page.getByRole('button', { name: '印刷用シートを開く' }).click();
		await page.waitForURL(/\/centre\/cards\/sheet\?/);
		const sheets = Math.ceil(n / CARDS_PER_SHEET);
		expect(await page.locator('h1').textContent()).toBe(`カードの印刷用シート（${n}枚・A4用紙 ${sheets}枚）`);
		await expectAccessible(page, expect);
		await expect.poll(() => page.getByRole('button', { name: '印刷', exact: true }).count()).toBe(1);

		// Printed: A4 pages, a front and a back for every ten cards, and nothing else.
		const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
		const pages = pdfPages(pdf);
		expect(pages).toHaveLength(2 * sheets);
		for (const p of pages) {
			expect(p.width).toBeCloseTo(mmToPt(SHEET.pageWidth), 0);
			expect(p.height).toBeCloseTo(mmToPt(SHEET.pageHeight), 0);
		}

		// Every card's QR code, as drawn, reads as a queued card's payload; each once.
		const faces = page.getByTestId('card-face');
		expect(await faces.count()).toBe(n);
		const decoder = await ctx.newPage();
		const read: string[] = [];
		for (let i = 0; i < n; i++) {
			const shot = await pixels(decoder, await faces.nth(i).screenshot());
			const qr = jsQR(shot.data, shot.width, shot.height);
			expect(qr, `card ${i + 1}`).not.toBeNull();
			const parsed = parseCardInput(qr!.data);
			expect(parsed.ok, qr!.data).toBe(true);
			expect(qr!.data).toBe(cardQrPayload((parsed as { code: string }).code));
			read.push(qr!.data.slice('HIROBA:'.length));
		}
		expect(read.sort()).toEqual([...codes].sort());
		await decoder.close();

		// Each back lies behind its face when the sheet turns over on its long edge.
		const sheetPages = page.getByTestId('sheet-page');
		for (let s = 0; s < sheets; s++) {
			const front = sheetPages.nth(2 * s);
			const back = sheetPages.nth(2 * s + 1);
			expect(await front.getAttribute('data-side')).toBe('front');
			expect(await back.getAttribute('data-side')).toBe('back');
			const fBox = (await front.boundingBox())!;
			const bBox = (await back.boundingBox())!;
			const fCards = front.getByTestId('card-face');
			const bCards = back.getByTestId('card-back-slot');
			expect(await bCards.count()).toBe(await fCards.count());
			for (let i = 0; i < (await fCards.count()); i++) {
				expect(await bCards.nth(i).getAttribute('data-card-id')).toBe(await fCards.nth(i).getAttribute('data-card-id'));
				const f = (await fCards.nth(i).boundingBox())!;
				const b = (await bCards.nth(i).boundingBox())!;
				expect(f.x - fBox.x + (b.x - bBox.x) + f.width).toBeCloseTo(fBox.width, 0);
				expect(b.y - bBox.y).toBeCloseTo(f.y - fBox.y, 0);
			}
		}

		// The sheet needs no script: the same page without it has every card, and no 印刷 button.
		const plain = await browser.newContext({ javaScriptEnabled: false, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
		await plain.addCookies(await ctx.cookies());
		const plainPage = await plain.newPage();
		await plainPage.goto(page.url());
		expect(await plainPage.getByTestId('card-face').count()).toBe(n);
		expect(await plainPage.getByTestId('card-back-slot').count()).toBe(n);
		expect(await plainPage.getByRole('button', { name: '印刷', exact: true }).count()).toBe(0);
		expect(await plainPage.getByText('ブラウザーの印刷（Ctrl+P）でも印刷できます。').isVisible()).toBe(true);
		expect(pdfPages(await plainPage.pdf({ preferCSSPageSize: true }))).toHaveLength(2 * sheets);
		await plain.close();

		// After printing: mark them printed; the queue is empty.
		await page.getByRole('button', { name: `印刷済みにする（${n}枚）` }).click();
		await page.waitForURL(`${url}/centre/cards`);
		await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`${n}枚を印刷済みにしました。`);
		expect(await page.locator('h1').textContent()).toBe('カード印刷（印刷待ち 0枚）');
		expect(await page.getByTestId('queue-empty').textContent()).toBe('印刷待ちのカードはありません。');
		await expectAccessible(page, expect);

		// One card again, on pages of its own size (face and back), found by its number.
		await page.goto(`${url}/centre/cards`);
		await page.getByLabel('カード番号で探す（再印刷・スマートフォンへの送付）').fill(codes[0]!.toLowerCase());
		await page.getByRole('button', { name: 'カードを開く' }).click();
		await page.waitForURL(/\/centre\/cards\/[0-9a-f-]{36}$/);
		await expectAccessible(page, expect);
		await page.getByRole('link', { name: 'カード1枚の印刷ページ' }).click();
		await page.waitForURL(/\/print$/);
		await expectAccessible(page, expect);
		const one = pdfPages(await page.pdf({ preferCSSPageSize: true, printBackground: true }));
		expect(one).toHaveLength(2);
		for (const p of one) {
			expect(p.width).toBeCloseTo(mmToPt(SHEET.cardWidth), 0);
			expect(p.height).toBeCloseTo(mmToPt(SHEET.cardHeight), 0);
		}
		expect(problems).toEqual([]);
		await ctx.close();

		// The store: no card left to print, one audit row of the print with every card, one export.
		await server!.stop();
		server = null;
		const store = await place.open();
		try {
			const left = await store.query<{ n: number }>(`select count(*)::int as n from households where not deleted and (data->>'cardPrintRequested')::boolean`);
			expect(left.rows[0]!.n).toBe(0);
			const audit = await store.query<{ action: string; detail: { count?: number; householdIds?: string[]; format?: string } }>(
				`select action, detail from audit_log where action like 'card.%' order by id`
			);
			expect(audit.rows.map((a) => a.action)).toEqual(['card.print', 'card.export']);
			expect(audit.rows[0]!.detail.count).toBe(n);
			const printed = await store.query<{ code: string }>(`select data->>'cardCode' as code from households where id = any($1::uuid[])`, [
				audit.rows[0]!.detail.householdIds
			]);
			expect(printed.rows.map((r) => r.code).sort()).toEqual(codes.map((c) => c.replace(/-/g, '')).sort());
			expect(audit.rows[1]!.detail).toEqual({ format: 'print' });
		} finally {
			await store.close();
		}
	});
});
