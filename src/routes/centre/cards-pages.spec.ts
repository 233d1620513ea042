/**
 * Family cards at the centre through their real handlers: who may use them, the print queue and its
 * filter, the lookup by card number, the print sheet, marking cards printed and putting one back in
 * the queue, and handing a card out as an image or a print page, each change and export audited.
 *
 * On top of the consultation log's sites (tests/consultation-log.ts), five households:
 *   q1 registered at 若葉 on 2026-05-01, English, nickname はる, queued
 *   q2 registered at 桜台 on 2026-05-10, Japanese, queued
 *   q3 registered at 若葉 on 2026-04-20, Vietnamese, queued
 *   p1 registered at 若葉 on 2026-03-01, card already printed
 *   d1 queued but deleted
 * so the queue, newest first, is q2, q1, q3.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { render } from 'svelte/server';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { cardQrPayload, formatCardCode } from '$lib/domain/card-code';
import type { HouseholdData } from '$lib/domain/schemas';
import { uuidv7 } from '$lib/domain/ids';
import { CARD_BACK } from '$lib/domain/card-back';
import * as queuePage from './(app)/cards/+page.server';
import * as sheetPage from './(app)/cards/sheet/+page.server';
import * as cardPage from './(app)/cards/[id]/+page.server';
import * as printPage from './(app)/cards/[id]/print/+page.server';
import * as cardSvg from './(app)/cards/[id]/card.svg/+server';
import QueuePage from './(app)/cards/+page.svelte';
import SheetPage from './(app)/cards/sheet/+page.svelte';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import * as f from '../../../tests/factories';
import { readCardQr } from '../../../tests/card-qr';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));
/** A page rendered on the server, without Svelte's hydration markers. */
const rendered = (component: any, props: Record<string, unknown>) => render(component, { props } as any).body.replace(/<!--[^]*?-->/g, '');

/** A POST of a form whose fields may repeat (`id` once per chosen card). */
function post(path: string, fields: Array<[string, string]>, o: { token?: string; params?: Record<string, string> } = {}): RequestEvent {
	const event = centreEvent(path, o);
	const body = new URLSearchParams(fields);
	return { ...event, request: new Request(event.url, { method: 'POST', body }) } as RequestEvent;
}

describe.each(testStores())('family cards at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { consultant: string; coordinator: string };
	let h: Record<'q1' | 'q2' | 'q3' | 'p1' | 'd1', { id: string; data: HouseholdData }>;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		tokens = { consultant: await signedIn(store, log.staff.a), coordinator: await signedIn(store, log.staff.coordinator) };
		const { wakaba, sakura } = log.sites;
		const make = (o: Partial<HouseholdData>) => ({ id: uuidv7(), data: f.household({ cardPrintRequested: true, ...o }) });
		h = {
			q1: make({ registeredSiteId: wakaba, consentDate: '2026-05-01', language: 'en', nickname: 'はる' }),
			q2: make({ registeredSiteId: sakura, consentDate: '2026-05-10' }),
			q3: make({ registeredSiteId: wakaba, consentDate: '2026-04-20', language: 'vi' }),
			p1: make({ registeredSiteId: wakaba, consentDate: '2026-03-01', cardPrintRequested: false }),
			d1: make({ registeredSiteId: wakaba, consentDate: '2026-05-15' })
		};
		await store.transaction((tx) =>
			writeCentreRecords(
				tx,
				'households',
				Object.entries(h).map(([k, v]) => ({ ...v, deleted: k === 'd1' }))
			)
		);
	});

	const audits = async () =>
		(
			await store.query<{ actor: string; action: string; subject: string | null; detail: any }>(
				`select actor, action, subject, detail from audit_log where action like 'card.%' order by id`
			)
		).rows;
	const stored = async () => {
		const r = await store.query<{ id: string; seq: string; queued: boolean }>(
			`select id::text, seq::text, (data->>'cardPrintRequested')::boolean as queued from households order by id`
		);
		return new Map(r.rows.map((x) => [x.id, x]));
	};
	const load = async (query = '', token = tokens.coordinator) => {
		const o = (await call(queuePage.load, centreEvent(`/centre/cards${query}`, { token }))) as any;
		expect(o.kind).toBe('ok');
		return o.value;
	};
	const sheet = async (query: string) => {
		const o = (await call(sheetPage.load, centreEvent(`/centre/cards/sheet${query}`, { token: tokens.coordinator }))) as any;
		expect(o.kind).toBe('ok');
		return o.value;
	};
	const markPrinted = (ids: string[], token = tokens.coordinator) =>
		call(
			queuePage.actions.printed,
			post(
				'/centre/cards?/printed',
				ids.map((id) => ['id', id]),
				{ token }
			)
		);
	const ids = (...keys: Array<keyof typeof h>) => keys.map((k) => h[k].id);

	it('sends a signed-out visitor of every card page, file and action to the sign-in page, changing nothing', async () => {
		const before = await stored();
		const id = h.p1.id;
		const cases: Array<[unknown, RequestEvent]> = [
			[queuePage.load, centreEvent('/centre/cards')],
			[sheetPage.load, centreEvent(`/centre/cards/sheet?id=${id}`)],
			[cardPage.load, centreEvent(`/centre/cards/${id}`, { params: { id } })],
			[printPage.load, centreEvent(`/centre/cards/${id}/print`, { params: { id } })],
			[cardSvg.GET, centreEvent(`/centre/cards/${id}/card.svg`, { params: { id } })],
			[queuePage.actions.printed, post('/centre/cards?/printed', [['id', h.q1.id]])],
			[cardPage.actions.requeue, post(`/centre/cards/${id}?/requeue`, [], { params: { id } })]
		];
		for (const [fn, event] of cases) {
			const o = await call(fn, event);
			expect(o.kind, event.url.pathname).toBe('redirect');
			expect((o as { location: string }).location).toMatch(/^\/centre\/login\?next=%2Fcentre%2Fcards/);
		}
		expect(await stored()).toEqual(before);
		expect(await audits()).toEqual([]);
	});

	it('refuses a consultant everything with 403, changing nothing', async () => {
		const before = await stored();
		const id = h.p1.id;
		const token = tokens.consultant;
		const cases: Array<[unknown, RequestEvent]> = [
			[queuePage.load, centreEvent('/centre/cards', { token })],
			[sheetPage.load, centreEvent(`/centre/cards/sheet?id=${id}`, { token })],
			[cardPage.load, centreEvent(`/centre/cards/${id}`, { token, params: { id } })],
			[printPage.load, centreEvent(`/centre/cards/${id}/print`, { token, params: { id } })],
			[cardSvg.GET, centreEvent(`/centre/cards/${id}/card.svg`, { token, params: { id } })],
			[queuePage.actions.printed, post('/centre/cards?/printed', [['id', h.q1.id]], { token })],
			[cardPage.actions.requeue, post(`/centre/cards/${id}?/requeue`, [], { token, params: { id } })]
		];
		for (const [fn, event] of cases) {
			const o = await call(fn, event);
			expect(o, event.url.pathname).toMatchObject({ kind: 'error', status: 403 });
		}
		expect(await stored()).toEqual(before);
		expect(await audits()).toEqual([]);
	});

	it('shows a coordinator the queue newest first with site and date, the count in the heading, and filters by site', async () => {
		const d = await load();
		expect(d.total).toBe(3);
		expect(d.queue.map((r: any) => r.id)).toEqual(ids('q2', 'q1', 'q3'));
		expect(d.queue.map((r: any) => [r.siteName, r.registeredOn, r.language])).toEqual([
			['桜台児童館', '2026-05-10', 'ja'],
			['若葉児童館', '2026-05-01', 'en'],
			['若葉児童館', '2026-04-20', 'vi']
		]);
		// Nothing on the list but what a card needs: no nickname, town or children.
		expect(JSON.stringify(d.queue)).not.toMatch(/はる|nickname|town|本町/);

		const page = rendered(QueuePage, { data: d, form: null });
		expect(page).toContain('<h1>カード印刷（印刷待ち 3枚）</h1>');
		expect(page.match(/name="id"/g)).toHaveLength(3);
		expect(page).toContain(formatCardCode(h.q1.data.cardCode));

		const wakaba = await load(`?site=${log.sites.wakaba}`);
		expect(wakaba.queue.map((r: any) => r.id)).toEqual(ids('q1', 'q3'));
		expect(wakaba.total).toBe(3);
		const bad = await load('?site=nowhere');
		expect(bad.errors).toEqual({ site: '会場の指定が正しくありません' });
		expect(bad.queue).toHaveLength(3);
	});

	it('opens a card by its number however it is typed or scanned, and says why when it cannot', async () => {
		const code = h.p1.data.cardCode;
		for (const typed of [formatCardCode(code).toLowerCase().replace(/-/g, ' '), cardQrPayload(code), code]) {
			const o = await call(queuePage.load, centreEvent(`/centre/cards?code=${encodeURIComponent(typed)}`, { token: tokens.coordinator }));
			expect(o).toEqual({ kind: 'redirect', location: `/centre/cards/${h.p1.id}` });
		}
		const wrongCheck = code.slice(0, 16) + (code[16] === '0' ? '1' : '0');
		expect((await load(`?code=${wrongCheck}`)).errors.code).toBe('カード番号が正しくありません。入力の誤りがないか確かめてください');
		expect((await load('?code=https%3A%2F%2Fexample.com')).errors.code).toBe('ひろばのカード番号ではありません');
		expect((await load(`?code=${f.household().cardCode}`)).errors.code).toBe('このカード番号の世帯は見つかりません');
		// A deleted household's card is no card.
		expect((await load(`?code=${h.d1.data.cardCode}`)).errors.code).toBe('このカード番号の世帯は見つかりません');
	});

	it('lays the chosen cards out on A4 sheets, front then mirrored back, and refuses a bad choice', async () => {
		const d = await sheet(
			`?${ids('q3', 'q1', 'q2')
				.map((id) => `id=${id}`)
				.join('&')}`
		);
		expect(d.error).toBeNull();
		expect(d.count).toBe(3);
		expect(d.sheets).toBe(1);
		expect(d.pages.map((p: any) => p.side)).toEqual(['front', 'back']);
		const [front, back] = d.pages;
		expect(front.slots.map((s: any) => s.item.id)).toEqual(ids('q2', 'q1', 'q3'));
		expect(front.slots.map((s: any) => s.x)).toEqual([14, 105, 14]);
		expect(back.slots.map((s: any) => s.x)).toEqual([105, 14, 105]);
		expect(back.slots.map((s: any) => s.item.language)).toEqual(['ja', 'en', 'vi']);
		expect(front.slots[1].item.face).toContain(formatCardCode(h.q1.data.cardCode));
		expect(JSON.stringify(d)).not.toContain('はる');

		const page = rendered(SheetPage, { data: d });
		expect(page.match(/data-testid="card-face"/g)).toHaveLength(3);
		expect(page.match(/data-testid="card-back"/g)).toHaveLength(3);
		expect(page).toContain('lang="vi"');
		expect(page).toContain(CARD_BACK.vi.steps[0]);

		expect((await sheet('')).error).toBe('カードを1枚以上選んでください');
		expect((await sheet(`?id=${uuidv7()}`)).error).toBe('選んだカードの一部が見つかりません。一覧を読み込み直してください。');
		expect((await sheet(`?id=${h.d1.id}`)).error).toBe('選んだカードの一部が見つかりません。一覧を読み込み直してください。');
		expect((await sheet(`?id=${h.q1.id}&sides=upside-down`)).error).toBe('印刷する面の指定が正しくありません');
		expect((await sheet(`?id=${h.q1.id}&sides=back`)).pages.map((p: any) => p.side)).toEqual(['back']);
		expect(await audits()).toEqual([]);
	});

	it('marks the chosen cards printed in one write that flows to tablets, audited with the count and ids', async () => {
		const before = await stored();
		const o = (await markPrinted(ids('q1', 'q3'))) as any;
		expect(o).toEqual({ kind: 'ok', value: { printed: 2, alreadyPrinted: 0 } });
		const after = await stored();
		for (const k of ['q1', 'q3'] as const) {
			expect(after.get(h[k].id)!.queued).toBe(false);
			// A new version with a new sequence number: the next pull carries it to the tablets.
			expect(BigInt(after.get(h[k].id)!.seq)).toBeGreaterThan(BigInt(before.get(h[k].id)!.seq));
		}
		expect(after.get(h.q2.id)).toEqual(before.get(h.q2.id));
		const row = await store.query<{ data: HouseholdData }>('select data from households where id = $1', [h.q1.id]);
		expect(row.rows[0]!.data).toEqual({ ...h.q1.data, cardPrintRequested: false });
		expect(await audits()).toEqual([
			{
				actor: `staff:${log.staff.coordinator}`,
				action: 'card.print',
				subject: null,
				detail: { count: 2, householdIds: ids('q1', 'q3').sort() }
			}
		]);
		expect((await load()).queue.map((r: any) => r.id)).toEqual(ids('q2'));

		// A card someone has marked already is counted apart and not written again.
		expect(await markPrinted(ids('q1', 'q2'))).toEqual({ kind: 'ok', value: { printed: 1, alreadyPrinted: 1 } });
		expect((await audits()).map((a) => a.detail)).toEqual([
			{ count: 2, householdIds: ids('q1', 'q3').sort() },
			{ count: 1, householdIds: ids('q2') }
		]);
		expect((await stored()).get(h.q1.id)!.seq).toBe(after.get(h.q1.id)!.seq);
		const page = rendered(QueuePage, { data: await load(), form: { printed: 1, alreadyPrinted: 1 } });
		expect(page).toContain('1枚を印刷済みにしました。（1枚はすでに印刷済みでした）');
		expect(page).toContain('印刷待ちのカードはありません。');
		expect(page).toContain('<h1>カード印刷（印刷待ち 0枚）</h1>');
	});

	it('refuses no choice, an unknown or deleted household and a malformed id with a Japanese message, changing nothing', async () => {
		const before = await stored();
		expect(await markPrinted([])).toEqual({ kind: 'fail', status: 400, data: { printError: 'カードを1枚以上選んでください' } });
		const unknown = { kind: 'fail', status: 400, data: { printError: '選んだカードの一部が見つかりません。一覧を読み込み直してください。' } };
		expect(await markPrinted([h.q1.id, uuidv7()])).toEqual(unknown);
		expect(await markPrinted([h.q1.id, h.d1.id])).toEqual(unknown);
		expect(await markPrinted([h.q1.id, 'not-a-household'])).toEqual({
			kind: 'fail',
			status: 400,
			data: { printError: '選んだカードの指定が正しくありません。一覧を読み込み直してください。' }
		});
		expect(await stored()).toEqual(before);
		expect(await audits()).toEqual([]);
		const page = rendered(QueuePage, { data: await load(), form: { printError: 'カードを1枚以上選んでください' } });
		expect(page).toMatch(/role="alert"[^]*カードを1枚以上選んでください/);
	});

	it('puts a printed card back in the queue on request, once, audited', async () => {
		const id = h.p1.id;
		const requeue = (cardId = id) =>
			call(cardPage.actions.requeue, post(`/centre/cards/${cardId}?/requeue`, [], { token: tokens.coordinator, params: { id: cardId } }));
		expect(await requeue()).toEqual({ kind: 'ok', value: { requeued: true } });
		expect((await stored()).get(id)!.queued).toBe(true);
		expect((await load()).queue.map((r: any) => r.id)).toEqual([...ids('q2', 'q1', 'q3'), id]);
		expect(await audits()).toEqual([{ actor: `staff:${log.staff.coordinator}`, action: 'card.requeue', subject: id, detail: null }]);

		const before = await stored();
		expect(await requeue()).toEqual({ kind: 'fail', status: 400, data: { requeueError: 'このカードはすでに印刷待ちです' } });
		expect(await requeue(uuidv7())).toMatchObject({ kind: 'error', status: 404 });
		expect(await requeue(h.d1.id)).toMatchObject({ kind: 'error', status: 404 });
		expect(await requeue('nope')).toMatchObject({ kind: 'error', status: 404 });
		expect(await stored()).toEqual(before);
		expect(await audits()).toHaveLength(1);
	});

	it('hands one card out as an SVG file and as a print page, each audited, with nothing personal on it', async () => {
		const id = h.q1.id;
		const code = h.q1.data.cardCode;
		const page = (await call(cardPage.load, centreEvent(`/centre/cards/${id}`, { token: tokens.coordinator, params: { id } }))) as any;
		expect(page.kind).toBe('ok');
		expect(page.value.card).toMatchObject({ id, code, language: 'en', siteName: '若葉児童館', queued: true });
		expect(await audits()).toEqual([]);

		const o = (await call(cardSvg.GET, centreEvent(`/centre/cards/${id}/card.svg`, { token: tokens.coordinator, params: { id } }))) as any;
		expect(o.kind).toBe('ok');
		const res = o.value as Response;
		expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
		expect(res.headers.get('content-disposition')).toBe(`attachment; filename="hiroba-card-${formatCardCode(code)}.svg"`);
		const svg = await res.text();
		expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="91mm" height="55mm"/);
		expect(svg).toContain(formatCardCode(code));
		expect(svg).not.toContain('はる');
		expect(svg).not.toContain(h.q1.data.town!);

		const p = (await call(printPage.load, centreEvent(`/centre/cards/${id}/print`, { token: tokens.coordinator, params: { id } }))) as any;
		expect(p.kind).toBe('ok');
		expect(p.value.card).toEqual({ id, code, language: 'en' });
		expect(await audits()).toEqual([
			{ actor: `staff:${log.staff.coordinator}`, action: 'card.export', subject: id, detail: { format: 'svg' } },
			{ actor: `staff:${log.staff.coordinator}`, action: 'card.export', subject: id, detail: { format: 'print' } }
		]);

		for (const bad of [uuidv7(), h.d1.id, 'x']) {
			for (const fn of [cardPage.load, printPage.load, cardSvg.GET]) {
				const r = await call(fn, centreEvent(`/centre/cards/${bad}`, { token: tokens.coordinator, params: { id: bad } }));
				expect(r).toMatchObject({ kind: 'error', status: 404 });
			}
		}
		expect(await audits()).toHaveLength(2);
	});

	it('the SVG file’s QR code is the card’s', async () => {
		const id = h.q2.id;
		const o = (await call(cardSvg.GET, centreEvent(`/centre/cards/${id}/card.svg`, { token: tokens.coordinator, params: { id } }))) as any;
		const svg = await (o.value as Response).text();
		expect(readCardQr(svg)).toBe(cardQrPayload(h.q2.data.cardCode));
	});
});
