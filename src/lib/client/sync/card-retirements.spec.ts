/**
 * A card reissued at the centre, seen from two simulated tablets (the real Dexie database and sync
 * engine, the real device API on a real store): one at the family's site, one at a site that does
 * not hold the family. After their next sync the old card is refused at both, recording nothing,
 * and the new card checks the family in; a check-in made with the old card before a tablet learnt
 * of it still counts for the family at the centre.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '$lib/server/db/store';
import { reissueCard } from '$lib/server/families/changes';
import { writeCentreRecords } from '$lib/server/sync/records';
import type { StaffUser } from '$lib/server/auth/staff-sessions';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import { Tablet } from '../../../../tests/tablet';
import * as f from '../../../../tests/factories';
import { checkIn, setSessionStatus } from '../db/repo';

describe.each(testStores())('a reissued card on the tablets, on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let home: Tablet;
	let elsewhere: Tablet;
	let family: { id: string; card: string; child: string };
	let coordinator: StaffUser;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		coordinator = { id: fx.staffId, displayName: 'コーディネーター', role: 'coordinator', loginName: 'coordinator' };
		const h = f.household({ registeredSiteId: fx.siteId, nickname: 'はる' });
		const [id, child] = await store.transaction(async (tx) => {
			const [hid] = await writeCentreRecords(tx, 'households', [{ data: h }]);
			const [cid] = await writeCentreRecords(tx, 'children', [{ data: f.child(hid!, { birthYm: '2025-06' }) }]);
			return [hid!, cid!];
		});
		family = { id, card: h.cardCode, child };
		home = new Tablet('home');
		elsewhere = new Tablet('elsewhere');
		await home.enroll(await enrollmentCode(store, [fx.siteId]));
		await elsewhere.enroll(await enrollmentCode(store, [fx.otherSiteId]));
		await Promise.all([home.sync(), elsewhere.sync()]);
		await setSessionStatus(home.db, fx.sessionId, 'open', null, { now: () => home.time });
		await setSessionStatus(elsewhere.db, fx.otherSessionId, 'open', null, { now: () => elsewhere.time });
	});
	afterEach(() => {
		home.close();
		elsewhere.close();
	});

	it('refuses the old card after a sync at the family’s site and at one that does not hold the family, and checks the new card in', async () => {
		expect(await home.ids('households')).toEqual([family.id]);
		expect(await elsewhere.ids('households')).toEqual([]);

		// A tablet that has not synced since: the old card still checks in (as an unknown card here).
		const early = await checkIn(elsewhere.db, fx.otherSessionId, family.card, 'typed', { now: () => elsewhere.time });
		expect(early.decision.kind).toBe('check_in');

		const r = await reissueCard(store, coordinator, family.id);
		if (r.status !== 'ok') throw new Error('reissue failed');
		const newCard = r.value.cardCode;
		await Promise.all([home.sync(), elsewhere.sync()]);
		for (const t of [home, elsewhere]) expect(t.engine.status).toMatchObject({ state: 'idle', pending: 0, rejected: 0, lastError: null });

		// The early visit counts for the family at the centre, and its tablet now names the family on it.
		const centre = await store.query<{ household_id: string }>('select household_id::text from visits where id = $1', [early.visit!.id]);
		expect(centre.rows[0]!.household_id).toBe(family.id);
		expect(await elsewhere.db.visits.get(early.visit!.id)).toMatchObject({ householdId: family.id, cardCode: family.card, childIds: [family.child] });

		// Both tablets know the retirement (and nothing about which family it was).
		for (const t of [home, elsewhere]) {
			const rows = await t.db.card_retirements.toArray();
			expect(rows.map(({ id: _id, hlc: _hlc, ...data }) => data)).toEqual([
				{ cardCode: family.card, reason: 'reissued', retiredOn: expect.any(String), deleted: false }
			]);
		}

		for (const [t, session] of [
			[home, fx.sessionId],
			[elsewhere, fx.otherSessionId]
		] as const) {
			const visits = await t.db.visits.count();
			const outbox = await t.db.outbox.count();
			const refused = await checkIn(t.db, session, family.card, 'typed', { now: () => t.time });
			expect(refused).toEqual({ decision: { kind: 'card_retired', cardCode: family.card, reason: 'reissued' }, visit: null, household: null, children: [] });
			expect(await t.db.visits.count()).toBe(visits);
			expect(await t.db.outbox.count()).toBe(outbox);
		}

		// The new card: the family, with its child, at its own site.
		expect((await home.db.households.get(family.id))?.cardCode).toBe(newCard);
		const ok = await checkIn(home.db, fx.sessionId, newCard, 'camera', { now: () => home.time });
		expect(ok.decision).toMatchObject({ kind: 'check_in', cardCode: newCard, childIds: [family.child] });
		expect(ok.visit).toMatchObject({ householdId: family.id, cardCode: newCard });
		await home.sync();
		const v = await store.query<{ household_id: string }>('select household_id::text from visits where id = $1', [ok.visit!.id]);
		expect(v.rows[0]!.household_id).toBe(family.id);
	});
});
