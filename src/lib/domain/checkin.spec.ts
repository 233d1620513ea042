import { describe, expect, it } from 'vitest';
import { cardQrPayload, formatCardCode, makeCardCode } from './card-code';
import { decideCheckIn, sessionCounts, visitFor, type CheckInContext } from './checkin';
import { uuidv7 } from './ids';
import type { CardRetirementData } from './schemas';
import * as f from '../../../tests/factories';

const sessionId = uuidv7();
const siteId = uuidv7();

function ctx(
	o: Partial<CheckInContext> & {
		households?: ReturnType<typeof withId<ReturnType<typeof f.household>>>[];
		children?: ReturnType<typeof withId<ReturnType<typeof f.child>>>[];
		retirements?: Array<CardRetirementData & { id: string; deleted?: boolean }>;
	} = {}
): CheckInContext {
	const households = o.households ?? [];
	const children = o.children ?? [];
	const retirements = o.retirements ?? [];
	return {
		session: o.session ?? { ...f.session(siteId, { date: '2026-11-25', status: 'open' }), id: sessionId },
		findHousehold: (code) => households.find((h) => h.cardCode === code),
		findRetirement: (code) => retirements.find((r) => r.cardCode === code),
		childrenOf: (hid) => children.filter((c) => c.householdId === hid),
		visits: o.visits ?? []
	};
}

function withId<T>(data: T, id = uuidv7()): T & { id: string; deleted?: boolean } {
	return { ...data, id };
}

describe('decideCheckIn', () => {
	const code = makeCardCode();
	const household = withId(f.household({ cardCode: code, nickname: 'はる' }));
	const older = withId(f.child(household.id, { birthYm: '2024-02' }));
	const baby = withId(f.child(household.id, { birthYm: '2026-05' }));
	const unborn = withId(f.child(household.id, { birthYm: '2027-01' }));

	it('checks a known family in with its children, youngest last, whatever way the code came', () => {
		for (const input of [cardQrPayload(code), formatCardCode(code), formatCardCode(code).toLowerCase(), code]) {
			const d = decideCheckIn(input, ctx({ households: [household], children: [baby, older, unborn] }));
			expect(d).toEqual({ kind: 'check_in', cardCode: code, household, childIds: [older.id, baby.id], childCount: 2 });
		}
	});

	it('checks in a valid card whose household has not reached this tablet, to resolve by sync', () => {
		const other = makeCardCode();
		expect(decideCheckIn(cardQrPayload(other), ctx({ households: [household] }))).toEqual({
			kind: 'check_in',
			cardCode: other,
			household: null,
			childIds: [],
			childCount: 0
		});
	});

	it('refuses foreign and mistyped codes, recording nothing', () => {
		const typo = code.slice(0, 3) + (code[3] === 'A' ? 'B' : 'A') + code.slice(4);
		expect(decideCheckIn(typo, ctx({ households: [household] }))).toEqual({ kind: 'invalid', reason: 'check' });
		expect(decideCheckIn('https://example.com/?q=1', ctx())).toEqual({ kind: 'invalid', reason: 'foreign' });
		expect(decideCheckIn('WIFI:S:cafe;T:WPA;P:secret;;', ctx())).toEqual({ kind: 'invalid', reason: 'foreign' });
		expect(decideCheckIn('4901234567894', ctx())).toEqual({ kind: 'invalid', reason: 'length' });
		expect(decideCheckIn('   ', ctx())).toEqual({ kind: 'invalid', reason: 'empty' });
	});

	it('says a card is already checked in, by card or by household, and ignores an undone visit', () => {
		const byCard = withId(f.visit(sessionId, { cardCode: code }));
		expect(decideCheckIn(code, ctx({ households: [household], visits: [byCard] }))).toEqual({ kind: 'already', visitId: byCard.id, household });
		const byHousehold = withId(f.visit(sessionId, { householdId: household.id, cardCode: null }));
		expect(decideCheckIn(code, ctx({ households: [household], visits: [byHousehold] }))).toMatchObject({ kind: 'already', visitId: byHousehold.id });
		const undone = { ...withId(f.visit(sessionId, { cardCode: code })), deleted: true };
		expect(decideCheckIn(code, ctx({ households: [household], visits: [undone] })).kind).toBe('check_in');
	});

	it('refuses a retired card however it is read, recording nothing, even before the session opens or for a family here already', () => {
		const old = makeCardCode();
		const reissued = withId({ cardCode: old, reason: 'reissued' as const, retiredOn: '2026-11-20' });
		for (const input of [cardQrPayload(old), formatCardCode(old).toLowerCase(), old]) {
			expect(decideCheckIn(input, ctx({ households: [household], retirements: [reissued] }))).toEqual({
				kind: 'card_retired',
				cardCode: old,
				reason: 'reissued'
			});
		}
		// A merged family's card, on a tablet that still holds the merged-away household and its visit today.
		const merged = withId({ cardCode: code, reason: 'merged' as const, retiredOn: '2026-11-20' });
		const visit = withId(f.visit(sessionId, { householdId: household.id, cardCode: code }));
		const closed = { ...f.session(siteId, { date: '2026-11-25', status: 'closed' }), id: sessionId };
		expect(decideCheckIn(code, ctx({ households: [household], retirements: [merged], visits: [visit] }))).toEqual({
			kind: 'card_retired',
			cardCode: code,
			reason: 'merged'
		});
		expect(decideCheckIn(code, ctx({ session: closed, households: [household], retirements: [merged] })).kind).toBe('card_retired');
		// Other cards are untouched; a mistyped old card is still a typo.
		expect(decideCheckIn(makeCardCode(), ctx({ retirements: [reissued, merged] })).kind).toBe('check_in');
		const typo = old.slice(0, 16) + (old[16] === '0' ? '1' : '0');
		expect(decideCheckIn(typo, ctx({ retirements: [reissued] }))).toEqual({ kind: 'invalid', reason: 'check' });
	});

	it('refuses check-in while the session is not open', () => {
		for (const status of ['scheduled', 'closed'] as const) {
			const session = { ...f.session(siteId, { date: '2026-11-25', status }), id: sessionId };
			expect(decideCheckIn(code, ctx({ session }))).toEqual({ kind: 'session_not_open', status });
		}
	});

	it('makes a schema-valid visit for the decision', () => {
		const d = decideCheckIn(code, ctx({ households: [household], children: [older] }));
		if (d.kind !== 'check_in') throw new Error('expected a check-in');
		const v = visitFor(d, sessionId, 'camera', new Date('2026-11-25T01:00:00Z'));
		expect(v).toEqual({ ...f.visit(sessionId, { householdId: household.id, cardCode: code, childIds: [older.id], checkedInAt: '2026-11-25T01:00:00.000Z' }) });
	});
});

describe('sessionCounts', () => {
	it('counts families, walk-ins, adults and children by band, leaving out undone visits', () => {
		const [c0, c1, c3, cs] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
		const births = new Map([
			[c0, '2026-03'],
			[c1, '2025-06'],
			[c3, '2022-01'],
			[cs, '2019-05']
		]);
		const visits = [
			withId(f.visit(sessionId, { householdId: uuidv7(), childIds: [c0!, c3!], adults: 2 })),
			withId(f.visit(sessionId, { householdId: null, childIds: [], adults: 1 })),
			withId(f.visit(sessionId, { method: 'walkin', cardCode: null, walkInChildren: { age0: 0, age1: 1, age2: 1, age3plus: 0, school: 0 }, adults: 1 })),
			{ ...withId(f.visit(sessionId, { householdId: uuidv7(), childIds: [c1!] })), deleted: true },
			withId(f.visit(sessionId, { householdId: uuidv7(), childIds: [cs!, c1!] }))
		];
		expect(sessionCounts(visits, (id) => births.get(id), '2026-11-25')).toEqual({
			visits: 4,
			families: 3,
			walkIns: 1,
			adults: 5,
			children: { age0: 1, age1: 2, age2: 1, age3plus: 1, school: 1 },
			childrenTotal: 6,
			unresolved: 1
		});
	});
});
