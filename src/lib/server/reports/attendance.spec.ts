/**
 * Attendance counts against a small ward whose every number is counted by hand below: a family
 * that visits two sites, a child whose age band changes within the 年度, visits on 31 March and on
 * 1 April, a cancelled session and one never opened, a walk-in, a deleted visit, a card whose
 * household is known only by its code, and a family that came to another program first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { testStores } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import { attendance, attendanceFromVisits, type AttendanceFilter } from './attendance';

const TODAY = '2026-12-01';
const FY2026 = { from: '2026-04-01', to: '2027-03-31' };

// Every count twice: from the attendance facts (what the pages read) and from the visits directly.
const PATHS = [
	{ path: 'facts', count: attendance },
	{
		path: 'visits',
		count: (store: Store, ...rest: Parameters<typeof attendanceFromVisits> extends [unknown, ...infer R] ? R : never) => attendanceFromVisits(store, ...rest)
	}
];

describe.each(testStores().flatMap((ts) => PATHS.map((p) => ({ ...ts, ...p, name: ts.name }))))('attendance counts on $name from the $path', (ts) => {
	let store: Store;
	const id = {
		nikoniko: uuidv7(),
		ohisama: uuidv7(),
		siteA: uuidv7(),
		siteB: uuidv7(),
		siteC: uuidv7(),
		s: {} as Record<string, string>
	};

	beforeAll(async () => {
		store = await ts.open();
		await store.transaction(async (tx) => {
			await writeCentreRecords(tx, 'programs', [
				{ id: id.nikoniko, data: f.program({ code: 'nikoniko', nameJa: 'にこにこ' }) },
				{ id: id.ohisama, data: f.program({ code: 'ohisama', nameJa: 'おひさまぴよぴよ', outdoor: true, sort: 1 }) }
			]);
			await writeCentreRecords(tx, 'sites', [
				{ id: id.siteA, data: f.site(id.nikoniko, { nameJa: 'A児童館' }) },
				{ id: id.siteB, data: f.site(id.nikoniko, { nameJa: 'B児童館' }) },
				{ id: id.siteC, data: f.site(id.ohisama, { nameJa: 'C公園', outdoor: true }) }
			]);
			const sessions: Array<[string, string, string, 'closed' | 'cancelled' | 'scheduled']> = [
				['A1', id.siteA, '2026-03-31', 'closed'], // the last day of 年度2025
				['A2', id.siteA, '2026-04-01', 'closed'], // the first day of 年度2026
				['A3', id.siteA, '2026-05-10', 'closed'],
				['A4', id.siteA, '2026-06-10', 'closed'],
				['B1', id.siteB, '2026-05-20', 'closed'],
				['A5', id.siteA, '2026-07-01', 'cancelled'],
				['A6', id.siteA, '2026-07-08', 'scheduled'], // never opened
				['A7', id.siteA, '2027-01-13', 'scheduled'], // still to come
				['C1', id.siteC, '2026-05-10', 'closed']
			];
			for (const [name] of sessions) id.s[name] = uuidv7();
			await writeCentreRecords(
				tx,
				'sessions',
				sessions.map(([name, site, date, status]) => ({
					id: id.s[name],
					data: f.session(site, { date, status, cancelReason: status === 'cancelled' ? 'rain' : null })
				}))
			);
			const h1 = f.household({ areaKind: 'ward', town: '本町1丁目', heardFrom: 'friend' });
			const h2 = f.household({ areaKind: 'outside', town: null, heardFrom: 'website' });
			const h3 = f.household({ areaKind: 'ward', town: '本町2丁目', heardFrom: 'poster' });
			// Registered at another tablet the same morning: its visit here names only the card.
			const h4 = f.household({ areaKind: 'ward', town: '本町1丁目', heardFrom: 'friend' });
			const [H1, H2, H3] = await writeCentreRecords(tx, 'households', [{ data: h1 }, { data: h2 }, { data: h3 }, { data: h4 }]);
			const [K1, K2, K3, K4] = await writeCentreRecords(tx, 'children', [
				{ data: f.child(H1!, { birthYm: '2025-06' }) }, // 0歳 until May 2026, 1歳 from June
				{ data: f.child(H1!, { birthYm: '2022-01' }) }, // 3歳以上
				{ data: f.child(H2!, { birthYm: '2023-10' }) }, // 2歳
				{ data: f.child(H3!, { birthYm: '2024-08' }) } // 1歳
			]);
			const fam = (session: string, hid: string, card: string, childIds: string[], adults = 1) => ({
				data: f.visit(id.s[session]!, { householdId: hid, cardCode: card, childIds, adults, method: 'camera' })
			});
			await writeCentreRecords(tx, 'visits', [
				fam('A1', H3!, h3.cardCode, [K4!]),
				fam('A2', H1!, h1.cardCode, [K1!, K2!], 2),
				fam('A2', H3!, h3.cardCode, [K4!]),
				// H1 again at A3, known to this tablet only by its card (resolved by the code).
				{ data: f.visit(id.s.A3!, { householdId: null, cardCode: h1.cardCode, childIds: [], adults: 1, method: 'scanner' }) },
				{ data: f.visit(id.s.A3!, { householdId: null, cardCode: h4.cardCode, childIds: [], adults: 1, method: 'camera' }) },
				{
					data: f.visit(id.s.A3!, {
						householdId: null,
						cardCode: null,
						childIds: [],
						walkInChildren: { age0: 0, age1: 1, age2: 0, age3plus: 1, school: 0 },
						adults: 1,
						method: 'walkin'
					})
				},
				fam('A4', H1!, h1.cardCode, [K1!]),
				fam('A4', H2!, h2.cardCode, [K3!]),
				fam('B1', H1!, h1.cardCode, [K2!]),
				fam('C1', H2!, h2.cardCode, [K3!]),
				// Undone at the kiosk: counts nowhere.
				{ ...fam('A3', H2!, h2.cardCode, [K3!], 2), deleted: true }
			]);
		});
	});
	afterAll(async () => {
		await store?.close();
		await ts.dispose();
	});

	const count = (filter: AttendanceFilter, siteIds: string[] | null = null) => ts.count(store, { siteIds }, filter, TODAY);

	it('counts 年度2026 of にこにこ: sessions, 延べ and 実 by age band, new and returning families', async () => {
		const c = await count({ ...FY2026, programId: id.nikoniko });
		// A2, A3, A4, B1 held; A5 rained off; A6 never opened; A7 to come. A1 is in 年度2025.
		expect(c.sessions).toEqual({ held: 4, cancelled: 1, notOpened: 1, upcoming: 1 });
		// 延べ: families A2×2, A3×2 (by card: H1 and H4), A4×2, B1×1 = 7, and one walk-in group.
		// Adults 2+1 (A2) + 1+1+1 (A3) + 1+1 (A4) + 1 (B1) = 9.
		// Children: A2 K1 0歳, K2 3歳以上, K4 1歳; A3 the walk-in's 1歳 and 3歳以上 (the card visit named
		// no child); A4 K1 now 1歳, K3 2歳; B1 K2 3歳以上.
		expect(c.visits).toEqual({
			families: 7,
			walkIns: 1,
			adults: 9,
			children: 8,
			byBand: { age0: 1, age1: 3, age2: 1, age3plus: 3, school: 0, unknown: 0 }
		});
		// 実: H1, H3, H2, H4 (known here by its card only); K1 (first seen 0歳), K2, K4, K3 and the walk-in's two.
		expect(c.distinct).toEqual({ households: 4, walkInGroups: 1, children: 6, byBand: { age0: 1, age1: 2, age2: 1, age3plus: 2, school: 0, unknown: 0 } });
		// H1, H2 and H4 are new to にこにこ (H2 came to おひさま first); H3 came on 31 March, 年度2025.
		expect(c.newness).toEqual({ firstEver: 3, firstThisYear: 1, returning: 0 });
		expect(c.area).toEqual({
			ward: 3,
			outside: 1,
			towns: [
				{ town: '本町1丁目', households: 2 },
				{ town: '本町2丁目', households: 1 }
			]
		});
		expect(c.heardFrom).toEqual([
			{ code: 'friend', households: 2 },
			{ code: 'poster', households: 1 },
			{ code: 'website', households: 1 }
		]);
	});

	it('counts May 2026: H1 returns within the 年度, at two sites; H4 comes for the first time', async () => {
		const c = await count({ from: '2026-05-01', to: '2026-05-31', programId: id.nikoniko });
		expect(c.sessions).toEqual({ held: 2, cancelled: 0, notOpened: 0, upcoming: 0 });
		expect(c.visits).toMatchObject({ families: 3, walkIns: 1, adults: 4, children: 3 });
		expect(c.distinct.households).toBe(2);
		expect(c.newness).toEqual({ firstEver: 1, firstThisYear: 0, returning: 1 });
	});

	it('counts the ward: the other program’s session and H2’s first visit there', async () => {
		const c = await count(FY2026);
		expect(c.sessions.held).toBe(5);
		expect(c.visits).toMatchObject({ families: 8, walkIns: 1, adults: 10, children: 9 });
		expect(c.visits.byBand.age2).toBe(2);
		// Ward-wide, H2 is still new in 年度2026 (its first visit ever was C1 in May).
		expect(c.newness).toEqual({ firstEver: 3, firstThisYear: 1, returning: 0 });
	});

	it('31 March belongs to the 年度 before: only H3, new then', async () => {
		const c = await count({ from: '2025-04-01', to: '2026-03-31' });
		expect(c.sessions.held).toBe(1);
		expect(c.visits).toMatchObject({ families: 1, adults: 1, children: 1, byBand: { age0: 0, age1: 1, age2: 0, age3plus: 0, school: 0, unknown: 0 } });
		expect(c.newness).toEqual({ firstEver: 1, firstThisYear: 0, returning: 0 });
	});

	it('one session, a site, and a consultant’s own sites', async () => {
		// A session is asked for on its own date, at its site: new or returning as of that day there.
		const a4 = await count({ from: '2026-06-10', to: '2026-06-10', siteId: id.siteA, sessionId: id.s.A4 });
		expect(a4.visits).toMatchObject({
			families: 2,
			walkIns: 0,
			adults: 2,
			children: 2,
			byBand: { age0: 0, age1: 1, age2: 1, age3plus: 0, school: 0, unknown: 0 }
		});
		// At A4, H1 had come to A earlier this 年度 (A2, A3): 継続; H2 had never come to A: 新規.
		expect(a4.newness).toEqual({ firstEver: 1, firstThisYear: 0, returning: 1 });
		const siteB = await count({ ...FY2026, siteId: id.siteB });
		expect(siteB.visits).toMatchObject({ families: 1, adults: 1, children: 1 });
		// New to B児童館, whatever H1 did at A.
		expect(siteB.newness).toEqual({ firstEver: 1, firstThisYear: 0, returning: 0 });
		// A consultant of B sees B only, even asking for the whole program.
		const mine = await count({ ...FY2026, programId: id.nikoniko }, [id.siteB]);
		expect(mine).toEqual(siteB);
	});
});
