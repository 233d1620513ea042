/**
 * The centre's attendance report (利用状況) through its real handlers: who may see which sites,
 * the drill-down from the ward to a session's visits, refused filters, the exports and their audit,
 * and the page itself rendered on the server with its charts and tables.
 *
 * On top of the consultation log's sites and sessions (tests/consultation-log.ts), 年度2026:
 *   2026-04-10 若葉 (にこにこ): family H1 (区内 本町1丁目, 2 adults, a child born 2025-06 → 0歳 and
 *              one born 2022-01 → 3歳以上), and a walk-in (1 adult, one 1歳)
 *   2026-05-15 桜台 (にこにこ): family H2 (区外, 1 adult, a child born 2023-10 → 2歳)
 *   2026-05-20 中央公園 (おひさま): H1 again (1 adult, its 0歳)
 *   2027-04-01 若葉: H1 (年度2027, outside every count below)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import ExcelJS from 'exceljs';
import { render } from 'svelte/server';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { fiscalYear, tokyoDate } from '$lib/domain/dates';
import * as page from './(app)/reports/+page.server';
import * as exporter from './(app)/reports/export/+server';
import ReportPage from './(app)/reports/+page.svelte';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

describe.each(testStores())('attendance report pages at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { a: string; coordinator: string };
	let programs: { niko: string; ohisama: string };
	let cards: string[];

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		tokens = { a: await signedIn(store, log.staff.a), coordinator: await signedIn(store, log.staff.coordinator) };
		const p = await store.query<{ id: string; code: string }>(`select id::text, data->>'code' as code from programs`);
		programs = { niko: p.rows.find((r) => r.code === 'nikoniko')!.id, ohisama: p.rows.find((r) => r.code === 'ohisama')!.id };
		const h1 = f.household({ areaKind: 'ward', town: '本町1丁目', heardFrom: 'friend' });
		const h2 = f.household({ areaKind: 'outside', town: null, heardFrom: 'website' });
		cards = [h1.cardCode, h2.cardCode];
		await store.transaction(async (tx) => {
			const [H1, H2] = await writeCentreRecords(tx, 'households', [{ data: h1 }, { data: h2 }]);
			const [baby, older, k2] = await writeCentreRecords(tx, 'children', [
				{ data: f.child(H1!, { birthYm: '2025-06', nickname: 'はーちゃん' }) },
				{ data: f.child(H1!, { birthYm: '2022-01' }) },
				{ data: f.child(H2!, { birthYm: '2023-10' }) }
			]);
			const s = log.sessions;
			await writeCentreRecords(tx, 'visits', [
				{ data: f.visit(s.apr, { householdId: H1!, cardCode: h1.cardCode, childIds: [baby!, older!], adults: 2, checkedInAt: '2026-04-10T01:05:00.000Z' }) },
				{
					data: f.visit(s.apr, {
						householdId: null,
						cardCode: null,
						childIds: [],
						walkInChildren: { age0: 0, age1: 1, age2: 0, age3plus: 0, school: 0 },
						adults: 1,
						method: 'walkin',
						checkedInAt: '2026-04-10T01:30:00.000Z'
					})
				},
				{
					data: f.visit(s.may, {
						householdId: H2!,
						cardCode: h2.cardCode,
						childIds: [k2!],
						adults: 1,
						method: 'scanner',
						checkedInAt: '2026-05-15T00:50:00.000Z'
					})
				},
				{ data: f.visit(s.koen, { householdId: H1!, cardCode: h1.cardCode, childIds: [baby!], adults: 1, checkedInAt: '2026-05-20T01:00:00.000Z' }) },
				{ data: f.visit(s.nextApr, { householdId: H1!, cardCode: h1.cardCode, childIds: [baby!], adults: 1, checkedInAt: '2027-04-01T01:00:00.000Z' }) }
			]);
		});
	});

	const auditRows = async () =>
		(await store.query<{ actor: string; detail: any }>(`select actor, detail from audit_log where action = 'report.export' order by id`)).rows;
	const load = async (query: string, token = tokens.coordinator) => {
		const o = (await call(page.load, centreEvent(`/centre/reports${query}`, { token }))) as any;
		expect(o.kind).toBe('ok');
		return o.value;
	};
	const exportOf = async (query: string, token = tokens.coordinator) => {
		const o = (await call(exporter.GET, centreEvent(`/centre/reports/export${query}`, { token }))) as any;
		expect(o.kind).toBe('ok');
		return o.value as Response;
	};
	const firstCells = (t: any) => t.rows.map((r: any) => r.cells[0]);
	const col = (t: any, header: string) => t.headers.indexOf(header);

	it('sends a signed-out visitor of the page and of both exports to the sign-in page, writing nothing', async () => {
		for (const url of ['/centre/reports?fy=2026', '/centre/reports/export?fy=2026', '/centre/reports/export?fy=2026&table=visits&format=csv']) {
			const fn = url.includes('export') ? exporter.GET : page.load;
			const o = await call(fn, centreEvent(url));
			expect(o.kind, url).toBe('redirect');
			expect((o as { location: string }).location).toMatch(/^\/centre\/login\?next=%2Fcentre%2Freports/);
		}
		expect(await auditRows()).toHaveLength(0);
	});

	it('shows a coordinator the ward by program, with this 年度 by default and its months against the year before', async () => {
		const d = await load('');
		expect(d.ok).toBe(true);
		expect(d.page.report.fiscalYear).toBe(fiscalYear(tokyoDate()));
		const w = await load('?fy=2026');
		expect(w.page.periodLabel).toBe('令和8年度');
		expect(w.page.report.level).toBe('ward');
		expect(w.page.counts.visits).toEqual({
			families: 3,
			walkIns: 1,
			adults: 5,
			children: 5,
			byBand: { age0: 2, age1: 1, age2: 1, age3plus: 1, school: 0, unknown: 0 }
		});
		expect(w.page.counts.distinct).toMatchObject({ households: 2, walkInGroups: 1, children: 4 });
		expect(w.page.counts.area).toEqual({ ward: 1, outside: 1, towns: [{ town: '本町1丁目', households: 1 }] });
		// By program, おひさま first (its sort), then the total line.
		const t = w.page.table;
		expect(t.caption).toBe('事業別');
		expect(firstCells(t)).toEqual(['おひさまぴよぴよ', 'にこにこ']);
		expect(t.rows[1].cells[col(t, '延べ 家族（組）')]).toBe('2');
		expect(t.rows[1].cells[col(t, '延べ 飛び込み（組）')]).toBe('1');
		expect(t.total[0]).toBe('合計');
		expect(t.total[col(t, '延べ 子ども（人）')]).toBe('5');
		// 実 households: H1 is at both programs, counted once in the total.
		expect(t.rows.map((r: any) => r.cells[col(t, '実 世帯')])).toEqual(['1', '2']);
		expect(t.total[col(t, '実 世帯')]).toBe('2');
		expect(t.rows[1].href).toBe(`/centre/reports?fy=2026&program=${programs.niko}`);
		// The chart data: April 2 (H1, the walk-in), May 2 (H2, H1), nothing a year before.
		expect(w.page.trend.months.slice(0, 3)).toEqual(['4月', '5月', '6月']);
		expect(w.page.trend.current.slice(0, 3)).toEqual([2, 2, 0]);
		expect(w.page.trend.previous.every((v: number) => v === 0)).toBe(true);
		expect(w.page.trend.currentLabel).toBe('令和8年度');
		expect(w.page.trend.previousLabel).toBe('令和7年度');
		expect(w.page.trend.newness[0]).toEqual({ first: 1, year: 0, returning: 0 });
	});

	it('drills down from a program to its sites, a site to its sessions, and a session to its visits', async () => {
		const prog = await load(`?fy=2026&program=${programs.niko}`);
		expect(prog.page.report.level).toBe('program');
		expect(firstCells(prog.page.table)).toEqual(['桜台児童館', '若葉児童館']);
		expect(prog.page.table.rows[1].href).toBe(`/centre/reports?fy=2026&program=${programs.niko}&site=${log.sites.wakaba}`);

		const site = await load(`?fy=2026&program=${programs.niko}&site=${log.sites.wakaba}`);
		const t = site.page.table;
		expect(t.caption).toBe('開催回別');
		// The 年度's sessions at 若葉: 10 April and 31 March (1 April 2027 is the next 年度).
		expect(firstCells(t)).toEqual(['2026年4月10日(金)', '2027年3月31日(水)']);
		expect(t.rows.map((r: any) => r.cells[col(t, '状態')])).toEqual(['未開催', '予定']);
		expect(t.rows[0].cells[col(t, '延べ 大人（人）')]).toBe('3');
		expect(t.rows[0].href).toBe(`/centre/reports?fy=2026&program=${programs.niko}&site=${log.sites.wakaba}&session=${log.sessions.apr}`);

		const session = await load(`?fy=2026&program=${programs.niko}&site=${log.sites.wakaba}&session=${log.sessions.apr}`);
		expect(session.page.report.level).toBe('session');
		expect(session.page.periodLabel).toBe('令和8年4月10日(金)');
		expect(session.page.trend).toBeNull();
		// The fixture's sessions were never opened (still 予定 on a past date).
		expect(session.page.sessionStatus).toBe('未開催');
		const v = session.page.table;
		expect(v.caption).toBe('来場記録');
		expect(v.headers).toEqual([
			'番号',
			'受付時刻',
			'受付方法',
			'区分',
			'大人（人）',
			'子ども（人）',
			'0歳',
			'1歳',
			'2歳',
			'3歳以上・未就学',
			'就学児',
			'不明',
			'新規・継続'
		]);
		expect(v.rows.map((r: any) => r.cells)).toEqual([
			['1', '10:05', 'カメラ', '登録', '2', '2', '1', '0', '0', '1', '0', '0', '新規'],
			['2', '10:30', '飛び込み', '飛び込み', '1', '1', '0', '1', '0', '0', '0', '0', '—']
		]);
		expect(v.total).toBeNull();
		// Nothing that names a family reaches the page.
		const json = JSON.stringify(session);
		for (const secret of [...cards, 'はーちゃん']) expect(json).not.toContain(secret);
		// A session is found from its id alone, too (its site and program follow).
		const bare = await load(`?fy=2026&session=${log.sessions.apr}`);
		expect(bare.page.report.site.name).toBe('若葉児童館');
		expect(bare.page.report.program.name).toBe('にこにこ');
	});

	it('names a session rained off, at its site and on its own page', async () => {
		await store.transaction((tx) =>
			writeCentreRecords(tx, 'sessions', [
				{ id: log.sessions.koen, data: f.session(log.sites.koen, { date: '2026-05-20', status: 'cancelled', cancelReason: 'rain' }) }
			])
		);
		const site = await load(`?fy=2026&site=${log.sites.koen}`);
		expect(site.page.table.rows.map((r: any) => r.cells[col(site.page.table, '状態')])).toEqual(['中止']);
		expect(site.page.counts.sessions).toEqual({ held: 0, cancelled: 1, notOpened: 0, upcoming: 0 });
		const session = await load(`?fy=2026&session=${log.sessions.koen}`);
		expect(session.page.sessionStatus).toBe('中止（雨天）');
	});

	it('shows a consultant their own sites only and refuses another site or session in Japanese, with no figures', async () => {
		const w = await load('?fy=2026', tokens.a);
		expect(w.scoped).toBe(true);
		expect(firstCells(w.page.table)).toEqual(['にこにこ']);
		expect(w.page.counts.visits).toMatchObject({ families: 1, walkIns: 1, adults: 3, children: 3 });
		expect(w.options.sites.map((s: any) => s.name)).toEqual(['若葉児童館']);
		// Asking for にこにこ gives 若葉 only, not 桜台.
		const prog = await load(`?fy=2026&program=${programs.niko}`, tokens.a);
		expect(firstCells(prog.page.table)).toEqual(['若葉児童館']);

		const other = await load(`?fy=2026&site=${log.sites.sakura}`, tokens.a);
		expect(other).toMatchObject({ ok: false, errors: { site: 'この会場の集計を見る権限がありません' } });
		expect(other.page).toBeUndefined();
		const otherSession = await load(`?fy=2026&session=${log.sessions.may}`, tokens.a);
		expect(otherSession).toMatchObject({ ok: false, errors: { session: 'この開催回の集計を見る権限がありません' } });
		// Nor through an export.
		const e = await exportOf(`?fy=2026&site=${log.sites.sakura}&table=visits&format=csv`, tokens.a);
		expect(e.status).toBe(400);
		expect(await e.text()).toContain('この会場の集計を見る権限がありません');
		expect(await auditRows()).toHaveLength(0);
		// The whole 年度's visits, for a consultant: their site's only.
		const mine = await exportOf('?fy=2026&table=visits&format=csv', tokens.a);
		const lines = (await mine.text()).trimEnd().split('\r\n');
		expect(lines).toHaveLength(1 + 2);
		expect(lines.slice(1).every((l) => l.includes('"若葉児童館"'))).toBe(true);
	});

	it('answers bad or mismatched filters in Japanese, never with an error page', async () => {
		const bad = await load('?fy=abc&month=2026-13&day=2026-02-30&program=x&site=1&session=zz');
		expect(bad.ok).toBe(false);
		expect(bad.errors).toEqual({
			fy: '年度の指定が正しくありません',
			month: '月は 2026-05 の形で指定してください',
			day: '日は 2026-05-10 の形の日付で指定してください',
			program: '事業の指定が正しくありません',
			site: '会場の指定が正しくありません',
			session: '開催回の指定が正しくありません'
		});
		expect((await load('?fy=2026&month=2027-04')).errors).toEqual({ month: '月は令和8年度（2026年4月〜2027年3月）の中から指定してください' });
		expect((await load('?fy=2026&month=2026-05&day=2026-06-01')).errors).toEqual({ day: '日は指定した月の中から指定してください' });
		expect((await load(`?fy=2026&program=${programs.ohisama}&site=${log.sites.wakaba}`)).errors).toEqual({
			site: '指定した会場は選んだ事業の会場ではありません'
		});
		expect((await load(`?fy=2026&site=${log.sites.sakura}&session=${log.sessions.apr}`)).errors).toEqual({
			session: '指定した開催回は選んだ会場のものではありません'
		});
		expect((await load(`?fy=2026&month=2026-05&session=${log.sessions.apr}`)).errors).toEqual({ session: '指定した開催回は選んだ期間のものではありません' });
		expect((await load(`?fy=2026&session=${log.sessions.nextApr}`)).errors).toEqual({
			session: '指定した開催回は令和8年度（2026年4月〜2027年3月）のものではありません'
		});
		expect((await load(`?fy=2026&site=${f.id()}`)).errors).toEqual({ site: '指定した会場が見つかりません' });
		const e = await exportOf('?fy=2026&month=2026-13');
		expect(e.status).toBe(400);
		expect(await e.text()).toContain('月は 2026-05 の形で指定してください');
		expect((await exportOf('?fy=2026&format=pdf')).status).toBe(400);
		expect((await exportOf('?fy=2026&table=everything')).status).toBe(400);
		expect(await auditRows()).toHaveLength(0);
	});

	it('narrows to a month or a day, named with its era', async () => {
		const may = await load('?fy=2026&month=2026-05');
		expect(may.page.periodLabel).toBe('令和8年5月');
		expect(may.page.counts.visits).toMatchObject({ families: 2, walkIns: 0 });
		const day = await load('?fy=2026&day=2026-05-20');
		expect(day.page.periodLabel).toBe('令和8年5月20日(水)');
		expect(day.page.counts.visits).toMatchObject({ families: 1, adults: 1 });
		// H1 had been to にこにこ in April, but the ward judges it as a whole: 継続 by 20 May.
		expect(day.page.counts.newness).toEqual({ firstEver: 0, firstThisYear: 0, returning: 1 });
	});

	it('exports the table shown as CSV with a BOM and as .xlsx, and audits each with its filter and rows', async () => {
		const csv = await exportOf(`?fy=2026&program=${programs.niko}&format=csv`);
		expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(csv.headers.get('content-disposition')).toContain(encodeURIComponent('利用状況-会場別-2026-04-01_2027-03-31.csv'));
		const bytes = new Uint8Array(await csv.arrayBuffer());
		expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const lines = new TextDecoder().decode(bytes.slice(3)).trimEnd().split('\r\n');
		expect(lines[0]!.split(',').slice(0, 6)).toEqual(['"会場"', '"開催"', '"中止"', '"未開催"', '"予定"', '"延べ 家族（組）"']);
		expect(lines.map((l) => l.split(',')[0])).toEqual(['"会場"', '"桜台児童館"', '"若葉児童館"', '"合計"']);
		expect(await auditRows()).toEqual([
			{
				actor: `staff:${log.staff.coordinator}`,
				detail: { filter: { fy: '2026', program: programs.niko }, table: 'level', level: 'program', format: 'csv', rows: 3 }
			}
		]);

		// A site's sessions as .xlsx: the dates are date cells.
		const xlsx = await exportOf(`?fy=2026&site=${log.sites.wakaba}`);
		expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
		const book = new ExcelJS.Workbook();
		await book.xlsx.load(await xlsx.arrayBuffer());
		const sheet = book.worksheets[0]!;
		expect(sheet.getCell(1, 1).value).toBe('令和8年度 利用状況 開催回別（若葉児童館）');
		expect(sheet.getRow(3).getCell(1).value).toBe('開催日');
		expect(sheet.getRow(4).getCell(1).value).toEqual(new Date('2026-04-10T00:00:00Z'));
		expect(sheet.getRow(4).getCell(2).value).toBe('若葉児童館');
		expect(sheet.getRow(6).getCell(2).value).toBe('合計');
		expect((await auditRows()).map((r) => [r.detail.format, r.detail.level, r.detail.rows])).toEqual([
			['csv', 'program', 3],
			['xlsx', 'site', 3]
		]);
	});

	it('exports every visit of the period and scope, one a row, without names or card codes', async () => {
		const res = await exportOf('?fy=2026&table=visits');
		const book = new ExcelJS.Workbook();
		await book.xlsx.load(await res.arrayBuffer());
		const sheet = book.worksheets[0]!;
		const header = (sheet.getRow(3).values as unknown[]).slice(1);
		expect(header).toEqual([
			'開催日',
			'年度',
			'事業',
			'会場',
			'受付時刻',
			'受付方法',
			'区分',
			'大人（人）',
			'子ども（人）',
			'0歳',
			'1歳',
			'2歳',
			'3歳以上・未就学',
			'就学児',
			'不明',
			'新規・継続',
			'区内・区外',
			'町丁',
			'世帯（仮番号）'
		]);
		const rows = [4, 5, 6, 7].map((i) => (sheet.getRow(i).values as unknown[]).slice(1));
		expect(rows).toEqual([
			[
				new Date('2026-04-10T00:00:00Z'),
				'令和8年度',
				'にこにこ',
				'若葉児童館',
				'10:05',
				'カメラ',
				'登録',
				2,
				2,
				1,
				0,
				0,
				1,
				0,
				0,
				'新規',
				'区内',
				'本町1丁目',
				'H001'
			],
			[new Date('2026-04-10T00:00:00Z'), '令和8年度', 'にこにこ', '若葉児童館', '10:30', '飛び込み', '飛び込み', 1, 1, 0, 1, 0, 0, 0, 0, '—'],
			[
				new Date('2026-05-15T00:00:00Z'),
				'令和8年度',
				'にこにこ',
				'桜台児童館',
				'09:50',
				'バーコードリーダー',
				'登録',
				1,
				1,
				0,
				0,
				1,
				0,
				0,
				0,
				'新規',
				'区外',
				undefined,
				'H002'
			],
			// H1 at the park: new there, whatever it did at 若葉; the same key.
			[
				new Date('2026-05-20T00:00:00Z'),
				'令和8年度',
				'おひさまぴよぴよ',
				'中央公園',
				'10:00',
				'カメラ',
				'登録',
				1,
				1,
				1,
				0,
				0,
				0,
				0,
				0,
				'新規',
				'区内',
				'本町1丁目',
				'H001'
			]
		]);
		expect(sheet.rowCount).toBe(7);
		const all = JSON.stringify(sheet.getSheetValues());
		for (const secret of [...cards, 'はーちゃん']) expect(all).not.toContain(secret);
		expect((await auditRows()).map((r) => r.detail)).toEqual([{ filter: { fy: '2026' }, table: 'visits', level: 'ward', format: 'xlsx', rows: 4 }]);

		// CSV: a BOM, dates as yyyy/mm/dd.
		const csv = await exportOf(`?fy=2026&session=${log.sessions.apr}&table=visits&format=csv`);
		const bytes = new Uint8Array(await csv.arrayBuffer());
		expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const lines = new TextDecoder().decode(bytes.slice(3)).trimEnd().split('\r\n');
		expect(lines).toHaveLength(3);
		expect(lines[1]).toBe(
			'"2026/04/10","令和8年度","にこにこ","若葉児童館","10:05","カメラ","登録","2","2","1","0","0","1","0","0","新規","区内","本町1丁目","H001"'
		);
		expect(lines[2]).toBe('"2026/04/10","令和8年度","にこにこ","若葉児童館","10:30","飛び込み","飛び込み","1","1","0","1","0","0","0","0","—","","",""');
	});

	it('renders the page on the server with the charts’ SVG and their tables, and only the refusal for a bad filter', async () => {
		const data = await load('?fy=2026');
		const html = render(ReportPage, {
			props: { data: { ...data, user: { displayName: 'x', role: 'coordinator' }, canManageDevices: true } as any }
		}).body;
		expect(html).toContain('<h1>利用状況（令和8年度・区全体）</h1>');
		expect(html.match(/<svg[^>]*lc-layout-svg/g)).toHaveLength(3);
		for (const caption of ['月別の来場（延べ組数）', '年齢別の子ども（延べ）', '月別の新規・継続（登録世帯）', '来場者数（延べ・実）', '開催回'])
			expect(html).toMatch(new RegExp(`<caption[^>]*>${caption.replace(/[()（）]/g, '.')}</caption>`));
		expect(html).toContain('この表をExcelで書き出す');

		const refused = await load(`?fy=2026&site=${log.sites.sakura}`, tokens.a);
		const r = render(ReportPage, {
			props: { data: { ...refused, user: { displayName: 'x', role: 'consultant' }, canManageDevices: false } as any }
		}).body;
		expect(r).toContain('この会場の集計を見る権限がありません');
		expect(r).not.toContain('<svg');
		expect(r).not.toContain('<caption');
	});
});
