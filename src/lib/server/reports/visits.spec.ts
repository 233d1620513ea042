/**
 * Visits one by one against a small ward counted by hand: a family at two sites, a child whose band
 * changes, 31 March and 1 April, a walk-in, a deleted visit, a card known only by its code and a
 * card the centre does not know at all. Each session's list adds up to attendance.ts's counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '$lib/domain/ids';
import { makeCardCode } from '$lib/domain/card-code';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { testStores } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import { attendance } from './attendance';
import { listVisits, type VisitRow } from './visits';

const at = (date: string, hm: string) => new Date(`${date}T${hm}:00+09:00`).toISOString();

describe.each(testStores())('visits one by one on $name', (ts) => {
	let store: Store;
	const id = { niko: uuidv7(), ohisama: uuidv7(), A: uuidv7(), B: uuidv7(), C: uuidv7(), s: {} as Record<string, string> };

	beforeAll(async () => {
		store = await ts.open();
		await store.transaction(async (tx) => {
			await writeCentreRecords(tx, 'programs', [
				{ id: id.niko, data: f.program({ code: 'nikoniko', nameJa: 'にこにこ' }) },
				{ id: id.ohisama, data: f.program({ code: 'ohisama', nameJa: 'おひさまぴよぴよ', outdoor: true, sort: 1 }) }
			]);
			await writeCentreRecords(tx, 'sites', [
				{ id: id.A, data: f.site(id.niko, { nameJa: 'A児童館' }) },
				{ id: id.B, data: f.site(id.niko, { nameJa: 'B児童館' }) },
				{ id: id.C, data: f.site(id.ohisama, { nameJa: 'C公園', outdoor: true }) }
			]);
			const sessions: Array<[string, string, string]> = [
				['A1', id.A, '2026-03-31'],
				['A2', id.A, '2026-04-01'],
				['A3', id.A, '2026-05-10'],
				['B1', id.B, '2026-05-20'],
				['C1', id.C, '2026-05-10']
			];
			for (const [name] of sessions) id.s[name] = uuidv7();
			await writeCentreRecords(
				tx,
				'sessions',
				sessions.map(([name, site, date]) => ({ id: id.s[name], data: f.session(site, { date, status: 'closed' }) }))
			);
			const h1 = f.household({ areaKind: 'ward', town: '本町1丁目' });
			const h2 = f.household({ areaKind: 'outside', town: null });
			const h4 = f.household({ areaKind: 'ward', town: '本町2丁目' });
			const [H1, H2] = await writeCentreRecords(tx, 'households', [{ data: h1 }, { data: h2 }, { data: h4 }]);
			const [K1, K2, K3] = await writeCentreRecords(tx, 'children', [
				{ data: f.child(H1!, { birthYm: '2025-05' }) }, // 0歳 until April 2026, 1歳 from May
				{ data: f.child(H1!, { birthYm: '2022-01' }) }, // 3歳以上・未就学
				{ data: f.child(H2!, { birthYm: '2023-10' }) } // 2歳
			]);
			const fam = (s: string, hid: string | null, card: string, childIds: string[], o: Record<string, unknown> = {}) => ({
				data: f.visit(id.s[s]!, { householdId: hid, cardCode: card, childIds, adults: 1, method: 'camera', ...o })
			});
			await writeCentreRecords(tx, 'visits', [
				fam('A1', H1!, h1.cardCode, [K1!], { checkedInAt: at('2026-03-31', '10:05') }),
				fam('A2', H1!, h1.cardCode, [K1!, K2!], { adults: 2, checkedInAt: at('2026-04-01', '10:20') }),
				fam('A2', H2!, h2.cardCode, [K3!], { checkedInAt: at('2026-04-01', '10:02'), method: 'scanner' }),
				// H1 again, by card only, with its younger child now 1歳; H4 by card only, first time.
				fam('A3', null, h1.cardCode, [K1!], { checkedInAt: at('2026-05-10', '10:30'), method: 'typed' }),
				fam('A3', null, h4.cardCode, [], { checkedInAt: at('2026-05-10', '10:31') }),
				// A card nobody at the centre knows: 延べ only.
				fam('A3', null, makeCardCode(), [], { checkedInAt: at('2026-05-10', '10:40') }),
				{
					data: f.visit(id.s.A3!, {
						householdId: null,
						cardCode: null,
						childIds: [],
						walkInChildren: { age0: 1, age1: 0, age2: 0, age3plus: 0, school: 1 },
						adults: 2,
						checkedInAt: at('2026-05-10', '11:00'),
						method: 'walkin'
					})
				},
				{ ...fam('A3', H2!, h2.cardCode, [K3!], { checkedInAt: at('2026-05-10', '10:10') }), deleted: true },
				fam('B1', H1!, h1.cardCode, [K2!], { checkedInAt: at('2026-05-20', '09:55') }),
				fam('C1', H2!, h2.cardCode, [K3!], { checkedInAt: at('2026-05-10', '10:00') })
			]);
		});
	});
	afterAll(async () => {
		await store?.close();
		await ts.dispose();
	});

	const brief = (r: VisitRow) => [r.date, r.siteName, r.method, r.adults, r.children, r.area, r.town, r.newness, r.householdKey];

	it('lists one session’s visits by check-in time, with bands at the session date and newness at its site', async () => {
		const rows = await listVisits(store, { siteIds: null }, { from: '2026-05-10', to: '2026-05-10', siteId: id.A, sessionId: id.s.A3 });
		expect(rows.map(brief)).toEqual([
			// H1: at A on 1 April this 年度 already: 継続.
			['2026-05-10', 'A児童館', 'typed', 1, 1, 'ward', '本町1丁目', 'returning', 'H001'],
			// H4: never at A before: 新規.
			['2026-05-10', 'A児童館', 'camera', 1, 0, 'ward', '本町2丁目', 'first', 'H002'],
			['2026-05-10', 'A児童館', 'camera', 1, 0, null, null, null, null],
			['2026-05-10', 'A児童館', 'walkin', 2, 2, null, null, null, null]
		]);
		expect(rows.map((r) => r.n)).toEqual([1, 2, 3, 4]);
		expect(rows[0]!.byBand).toEqual({ age0: 0, age1: 1, age2: 0, age3plus: 0, school: 0, unknown: 0 });
		expect(rows[3]!.byBand).toEqual({ age0: 1, age1: 0, age2: 0, age3plus: 0, school: 1, unknown: 0 });
		expect(rows.map((r) => r.walkIn)).toEqual([false, false, false, true]);
		expect(rows[0]!.checkedInAt).toBe(at('2026-05-10', '10:30'));
		expect(rows[0]!.fiscalYear).toBe(2026);
		// Nothing that names a family.
		expect(JSON.stringify(rows)).not.toMatch(/cardCode|householdId|nickname/);
	});

	it('judges 1 April against 31 March: 年度内初回 for a family last seen in the 年度 before', async () => {
		const rows = await listVisits(store, { siteIds: null }, { from: '2026-04-01', to: '2026-04-01', siteId: id.A });
		expect(rows.map((r) => [r.method, r.newness, r.children])).toEqual([
			['scanner', 'first', 1],
			['camera', 'year', 2]
		]);
		expect(rows[1]!.byBand).toMatchObject({ age0: 1, age3plus: 1 });
	});

	it('adds up, session by session, to the counts attendance.ts gives the session', async () => {
		for (const [name, site, date] of [
			['A2', id.A, '2026-04-01'],
			['A3', id.A, '2026-05-10'],
			['B1', id.B, '2026-05-20'],
			['C1', id.C, '2026-05-10']
		] as const) {
			const filter = { from: date, to: date, siteId: site, sessionId: id.s[name]! };
			const rows = await listVisits(store, { siteIds: null }, filter);
			const c = await attendance(store, { siteIds: null }, filter, '2026-12-01');
			expect(rows.filter((r) => !r.walkIn).length, name).toBe(c.visits.families);
			expect(rows.filter((r) => r.walkIn).length, name).toBe(c.visits.walkIns);
			expect(
				rows.reduce((a, r) => a + r.adults, 0),
				name
			).toBe(c.visits.adults);
			expect(
				rows.reduce((a, r) => a + r.children, 0),
				name
			).toBe(c.visits.children);
			for (const band of ['age0', 'age1', 'age2', 'age3plus', 'school', 'unknown'] as const)
				expect(
					rows.reduce((a, r) => a + r.byBand[band], 0),
					`${name} ${band}`
				).toBe(c.visits.byBand[band]);
			const n = (k: string) => rows.filter((r) => r.newness === k).length;
			expect({ firstEver: n('first'), firstThisYear: n('year'), returning: n('returning') }, name).toEqual(c.newness);
		}
	});

	it('lists a period within a program and the reader’s sites; each family keeps one key in one answer', async () => {
		const may = await listVisits(store, { siteIds: null }, { from: '2026-05-01', to: '2026-05-31', programId: id.niko });
		expect(may.map((r) => [r.date, r.siteName, r.householdKey])).toEqual([
			['2026-05-10', 'A児童館', 'H001'],
			['2026-05-10', 'A児童館', 'H002'],
			['2026-05-10', 'A児童館', null],
			['2026-05-10', 'A児童館', null],
			// H1 again, at B: the same key, and new to B.
			['2026-05-20', 'B児童館', 'H001']
		]);
		expect(may[4]!.newness).toBe('first');
		expect(may.every((r) => r.programName === 'にこにこ')).toBe(true);
		// A consultant of B sees B only, whatever the program or site asked for.
		const mine = await listVisits(store, { siteIds: [id.B] }, { from: '2026-04-01', to: '2027-03-31' });
		expect(mine.map((r) => r.siteName)).toEqual(['B児童館']);
		expect(await listVisits(store, { siteIds: [id.B] }, { from: '2026-04-01', to: '2027-03-31', siteId: id.A })).toEqual([]);
		// The limit, for exports that must refuse "too many".
		expect(await listVisits(store, { siteIds: null }, { from: '2026-04-01', to: '2027-03-31' }, 3)).toHaveLength(3);
		// 31 March is 年度2025.
		const march = await listVisits(store, { siteIds: null }, { from: '2026-03-01', to: '2026-03-31' });
		expect(march.map((r) => [r.date, r.fiscalYear, r.newness])).toEqual([['2026-03-31', 2025, 'first']]);
	});
});
