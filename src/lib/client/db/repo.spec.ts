/**
 * The tablet's check-in operations on a real Dexie database (fake-indexeddb): what gets recorded,
 * what does not, and that every write is queued for the centre.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { cardQrPayload, formatCardCode, makeCardCode } from '$lib/domain/card-code';
import { uuidv7 } from '$lib/domain/ids';
import { hlcAfter } from '$lib/domain/hlc';
import { HirobaDB, META, type Row } from './db';
import {
	addChildToVisit,
	checkIn,
	checkOut,
	recordWalkIn,
	registerFamily,
	resolveCardVisits,
	setSessionStatus,
	undoVisit,
	updateVisit,
	VisitEditError
} from './repo';
import * as f from '../../../../tests/factories';

const DATE = '2026-11-25';
const NOW = Date.parse('2026-11-25T01:30:00Z');
const clock = { now: () => NOW };

let db: HirobaDB;
let session: Row<'sessions'>;

async function seed<T extends 'sessions' | 'households' | 'children'>(
	table: T,
	data: Row<T> extends infer R ? Omit<R, 'id' | 'hlc' | 'deleted'> : never,
	id = uuidv7()
) {
	const row = { ...data, id, hlc: hlcAfter(null, 'centre', NOW - 60_000), deleted: false } as unknown as Row<T>;
	await db.syncTable(table).put(row);
	return row;
}

beforeEach(async () => {
	db = new HirobaDB(`repo-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
	await db.setMeta(META.device, { deviceId: uuidv7(), token: 't', name: 'tab', sites: [], enrolledAt: new Date(NOW).toISOString() });
	session = await seed('sessions', f.session(uuidv7(), { date: DATE, status: 'open' }));
});
afterEach(() => db.close());

const outbox = async () => (await db.outbox.toArray()).map((e) => `${e.table}:${e.deleted ? 'delete' : 'put'}`);

describe('checkIn', () => {
	it('records a visit for a known card with the household’s children, and queues it', async () => {
		const code = makeCardCode();
		const h = await seed('households', f.household({ cardCode: code, nickname: 'はる' }));
		const c = await seed('children', f.child(h.id, { birthYm: '2025-01' }));
		const r = await checkIn(db, session.id, cardQrPayload(code), 'camera', clock);
		expect(r.decision.kind).toBe('check_in');
		expect(r.household?.nickname).toBe('はる');
		expect(r.visit).toMatchObject({
			sessionId: session.id,
			householdId: h.id,
			cardCode: code,
			childIds: [c.id],
			adults: 1,
			method: 'camera',
			checkedInAt: new Date(NOW).toISOString()
		});
		expect(await outbox()).toEqual(['visits:put']);
	});

	it('records nothing for a second scan, a foreign code, a typo, or a session that is not open', async () => {
		const code = makeCardCode();
		await checkIn(db, session.id, code, 'camera', clock);
		expect((await checkIn(db, session.id, formatCardCode(code), 'typed', clock)).decision.kind).toBe('already');
		expect((await checkIn(db, session.id, 'https://example.com', 'camera', clock)).decision).toEqual({ kind: 'invalid', reason: 'foreign' });
		const typo = code.slice(0, 16) + (code[16] === '0' ? '1' : '0');
		expect((await checkIn(db, session.id, typo, 'typed', clock)).decision).toEqual({ kind: 'invalid', reason: 'check' });
		await setSessionStatus(db, session.id, 'closed', null, clock);
		expect((await checkIn(db, session.id, makeCardCode(), 'camera', clock)).decision).toEqual({ kind: 'session_not_open', status: 'closed' });
		expect(await db.visits.count()).toBe(1);
		expect(await outbox()).toEqual(['visits:put', 'sessions:put']);
	});

	it('lets only one of two simultaneous scans of a card record a visit', async () => {
		const code = makeCardCode();
		const results = await Promise.all([checkIn(db, session.id, code, 'camera', clock), checkIn(db, session.id, code, 'scanner', clock)]);
		expect(results.map((r) => r.decision.kind).sort()).toEqual(['already', 'check_in']);
		expect(await db.visits.count()).toBe(1);
	});

	it('checks in a card unknown to this tablet, then resolves it when the household arrives by sync', async () => {
		const code = makeCardCode();
		const r = await checkIn(db, session.id, code, 'camera', clock);
		expect(r.visit).toMatchObject({ householdId: null, cardCode: code, childIds: [] });
		expect(await resolveCardVisits(db, [session.id], clock)).toBe(0);
		// The household registered at another site today arrives by pull.
		const h = await seed('households', f.household({ cardCode: code }));
		const c = await seed('children', f.child(h.id, { birthYm: '2024-04' }));
		expect(await resolveCardVisits(db, [session.id], clock)).toBe(1);
		expect(await db.visits.get(r.visit!.id)).toMatchObject({ householdId: h.id, childIds: [c.id], cardCode: code });
		expect(await resolveCardVisits(db, [session.id], clock)).toBe(0);
	});
});

describe('session set-up', () => {
	it('cancels an outdoor session for rain, with the reason, queued for the centre; reopening clears the reason', async () => {
		const cancelled = await setSessionStatus(db, session.id, 'cancelled', 'rain', clock);
		expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'rain' });
		expect((await checkIn(db, session.id, makeCardCode(), 'camera', clock)).decision).toEqual({ kind: 'session_not_open', status: 'cancelled' });
		const reopened = await setSessionStatus(db, session.id, 'open', 'rain', clock);
		expect(reopened).toMatchObject({ status: 'open', cancelReason: null });
		expect(await outbox()).toEqual(['sessions:put']);
		await expect(setSessionStatus(db, session.id, 'cancelled', null, clock)).rejects.toThrow(/cancelled session needs a reason/);
	});
});

describe('registration, walk-ins and today’s corrections', () => {
	it('registers a family with a new card, its children and today’s visit in one go, queued for the centre', async () => {
		const r = await registerFamily(
			db,
			session,
			{
				nickname: null,
				areaKind: 'ward',
				town: '本町2丁目',
				heardFrom: 'health_checkup',
				language: 'vi',
				consentVersion: '2026-04',
				children: [{ birthYm: '2025-08' }, { birthYm: '2023-02' }],
				adults: 2
			},
			clock
		);
		expect(r.household).toMatchObject({
			areaKind: 'ward',
			town: '本町2丁目',
			consentDate: DATE,
			registeredSiteId: session.siteId,
			language: 'vi',
			cardPrintRequested: true
		});
		expect(r.household.cardCode).toMatch(/^[0-9A-Z]{17}$/);
		expect(r.children.map((c) => c.birthYm)).toEqual(['2025-08', '2023-02']);
		expect(r.visit).toMatchObject({ householdId: r.household.id, childIds: r.children.map((c) => c.id), adults: 2, method: 'registration' });
		expect(await outbox()).toEqual(['households:put', 'children:put', 'children:put', 'visits:put']);
		// The new card now checks in as already here.
		expect((await checkIn(db, session.id, r.household.cardCode, 'camera', clock)).decision.kind).toBe('already');
	});

	it('refuses a registration that fails the schema, writing nothing', async () => {
		await expect(
			registerFamily(
				db,
				session,
				{
					nickname: null,
					areaKind: 'ward',
					town: null,
					heardFrom: null,
					language: 'ja',
					consentVersion: '2026-04',
					children: [{ birthYm: '2025-13' }],
					adults: 1
				},
				clock
			)
		).rejects.toThrow();
		expect(await db.households.count()).toBe(0);
		expect(await db.outbox.count()).toBe(0);
	});

	it('records a walk-in by bands, checks a visit out, and undoes a mistaken check-in as a tombstone', async () => {
		const w = await recordWalkIn(db, session.id, 1, { age0: 1, age1: 0, age2: 0, age3plus: 0, school: 0 }, clock);
		expect(w).toMatchObject({ method: 'walkin', householdId: null, cardCode: null, walkInChildren: { age0: 1 } });
		const out = await checkOut(db, w.id, { now: () => NOW + 3_600_000 });
		expect(out.checkedOutAt).toBe(new Date(NOW + 3_600_000).toISOString());
		await undoVisit(db, w.id, clock);
		expect((await db.visits.get(w.id))?.deleted).toBe(true);
		// One pending entry per record: the newest version (the tombstone) replaces the unsent ones.
		expect(await outbox()).toEqual(['visits:delete']);
	});

	it('changes who came and the check-out time, undoes a check-out, and refuses what cannot be true, writing nothing', async () => {
		const h = await seed('households', f.household({ cardCode: makeCardCode() }));
		const a = await seed('children', f.child(h.id, { birthYm: '2025-01' }));
		const b = await seed('children', f.child(h.id, { birthYm: '2023-04' }));
		const other = await seed('children', f.child(uuidv7(), { birthYm: '2024-04' }));
		const v = (await checkIn(db, session.id, h.cardCode, 'camera', clock)).visit!;
		expect(v.childIds.sort()).toEqual([a.id, b.id].sort());

		// Only the younger child came, with two adults.
		const adjusted = await updateVisit(db, v.id, { childIds: [a.id], adults: 2 }, clock);
		expect(adjusted).toMatchObject({ childIds: [a.id], adults: 2, method: 'camera' });
		const out = new Date(NOW + 2 * 3_600_000).toISOString();
		expect((await updateVisit(db, v.id, { checkedOutAt: out }, clock)).checkedOutAt).toBe(out);
		expect((await updateVisit(db, v.id, { checkedOutAt: null }, clock)).checkedOutAt).toBeNull();

		const before = await db.visits.get(v.id);
		const outboxBefore = await db.outbox.toArray();
		const refused = async (patch: Parameters<typeof updateVisit>[2], code: VisitEditError['code']) => {
			const e = await updateVisit(db, v.id, patch, clock).catch((x: unknown) => x);
			expect(e).toBeInstanceOf(VisitEditError);
			expect((e as VisitEditError).code).toBe(code);
			expect((e as VisitEditError).message).toMatch(/[ぁ-んァ-ン一-龥]/);
		};
		await refused({ childIds: [other.id] }, 'not_their_child');
		await refused({ childIds: [], adults: 0 }, 'nobody');
		await refused({ checkedOutAt: new Date(NOW - 60_000).toISOString() }, 'out_before_in');
		await refused({ walkInChildren: { age0: 1, age1: 0, age2: 0, age3plus: 0, school: 0 } }, 'walkin_only');
		expect(await db.visits.get(v.id)).toEqual(before);
		expect(await db.outbox.toArray()).toEqual(outboxBefore);

		const w = await recordWalkIn(db, session.id, 1, { age0: 1, age1: 0, age2: 0, age3plus: 0, school: 0 }, clock);
		expect(
			(await updateVisit(db, w.id, { walkInChildren: { age0: 1, age1: 1, age2: 0, age3plus: 0, school: 0 }, adults: 2 }, clock)).walkInChildren
		).toMatchObject({ age0: 1, age1: 1 });
		await undoVisit(db, w.id, clock);
		await expect(updateVisit(db, w.id, { adults: 1 }, clock)).rejects.toMatchObject({ code: 'no_visit' });
	});

	it('adds a new baby to a family and to today’s visit in one go, queued for the centre, and refuses impossible birth months', async () => {
		const h = await seed('households', f.household({ cardCode: makeCardCode() }));
		const older = await seed('children', f.child(h.id, { birthYm: '2023-04' }));
		const r = await checkIn(db, session.id, h.cardCode, 'camera', clock);
		expect(r.children.map((c) => c.id)).toEqual([older.id]);
		await db.outbox.clear();

		const { child, visit } = await addChildToVisit(db, r.visit!.id, '2026-10', clock);
		expect(child).toMatchObject({ householdId: h.id, birthYm: '2026-10', nickname: null });
		expect(visit.childIds).toEqual([older.id, child.id]);
		expect(await db.visits.get(r.visit!.id)).toMatchObject({ childIds: [older.id, child.id], adults: 1 });
		expect(await outbox()).toEqual(['children:put', 'visits:put']);
		// The family's next visit brings the baby too.
		expect((await db.children.where('householdId').equals(h.id).toArray()).map((c) => c.birthYm).sort()).toEqual(['2023-04', '2026-10']);

		const walkIn = await recordWalkIn(db, session.id, 1, { age0: 1, age1: 0, age2: 0, age3plus: 0, school: 0 }, clock);
		const unknownCard = (await checkIn(db, session.id, makeCardCode(), 'camera', clock)).visit!;
		const before = { children: await db.children.toArray(), visits: await db.visits.toArray(), outbox: await db.outbox.toArray() };
		const refused = async (visitId: string, birthYm: string, code: VisitEditError['code']) => {
			const e = await addChildToVisit(db, visitId, birthYm, clock).catch((x: unknown) => x);
			expect(e).toBeInstanceOf(VisitEditError);
			expect((e as VisitEditError).code).toBe(code);
			expect((e as VisitEditError).message).toMatch(/[ぁ-んァ-ン一-龥]/);
		};
		// The session is in November 2026: December is in the future; 12 years back is the oldest.
		await refused(r.visit!.id, '2026-12', 'birth_future');
		await refused(r.visit!.id, '2014-10', 'birth_too_old');
		await refused(r.visit!.id, '2026-13', 'birth_month');
		await refused(walkIn.id, '2026-01', 'no_family');
		await refused(unknownCard.id, '2026-01', 'no_family');
		expect(await db.children.toArray()).toEqual(before.children);
		expect(await db.visits.toArray()).toEqual(before.visits);
		expect(await db.outbox.toArray()).toEqual(before.outbox);

		expect((await addChildToVisit(db, r.visit!.id, '2014-11', clock)).child.birthYm).toBe('2014-11');
		await undoVisit(db, r.visit!.id, clock);
		await refused(r.visit!.id, '2026-01', 'no_visit');
	});
});
