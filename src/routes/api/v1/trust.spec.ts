/**
 * Trust no tablet (DESIGN.md "Security and privacy model"): each attack a stolen or tampered tablet
 * could try with its own token and plain HTTP, through the real device API handlers. Each is
 * refused with its stable code, and a snapshot of every table (full rows) shows nothing changed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deviceNode, formatHlc, hlcAfter, MAX_AHEAD_MS } from '$lib/domain/hlc';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { authenticateDevice, setDeviceState } from '$lib/server/auth/devices';
import { applyPush } from '$lib/server/sync/push';
import { LOOKUP_RATE } from '$lib/server/sync/lookup';
import { HOLD_MONTHS } from '$lib/server/sync/holdings';
import { runExpiry } from '$lib/server/db';
import { writeCentreRecords } from '$lib/server/sync/records';
import type { Change, PullResponse, PushResult, SyncTable } from '$lib/sync/protocol';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { BASE_URL, inProcessFetch } from '../../../../tests/in-process';
import { enrollDevice, seedCentre, type CentreFixture } from '../../../../tests/centre';
import { storeSnapshot } from '../../../../tests/snapshot';
import * as f from '../../../../tests/factories';

const call = inProcessFetch();
const DAY = 86_400_000;

interface Dev {
	deviceId: string;
	token: string;
}

describe.each(testStores())('a tablet that is not to be trusted, on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	/** Enrolled at fx.siteId: the tablet in the attacker's hands. */
	let attacker: Dev;
	/** Enrolled at fx.otherSiteId: the victim site's tablet. */
	let victim: Dev;
	let otherStaffId: string;
	let adminId: string;
	/** The victim site's records, pushed by the victim tablet. */
	let theirs: { household: Change<'households'>; child: Change<'children'>; visit: Change<'visits'>; consultation: Change<'consultations'> };

	const enroll = (siteIds: string[], name: string): Promise<Dev> => enrollDevice(store, siteIds, name);
	const stamp = (dev: Dev, at = Date.now()) => hlcAfter(null, deviceNode(dev.deviceId), at);
	const change = <T extends SyncTable>(dev: Dev, table: T, data: Change<T>['data'], o: { id?: string; hlc?: string; deleted?: boolean } = {}): Change<T> => ({
		table,
		id: o.id ?? uuidv7(),
		hlc: o.hlc ?? stamp(dev),
		deleted: o.deleted ?? false,
		data
	});
	const push = async (dev: Dev, changes: unknown[]) => {
		const res = await call(`${BASE_URL}/api/v1/sync/push`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.token}` },
			body: JSON.stringify({ protocol: 1, changes })
		});
		return { status: res.status, body: (await res.json()) as { results: PushResult[]; error?: { code: string } } };
	};
	const verdicts = async (dev: Dev, changes: unknown[]) => {
		const r = await push(dev, changes);
		expect(r.status).toBe(200);
		return r.body.results.map((x) => (x.status === 'rejected' ? `rejected:${x.error!.code}` : x.status));
	};
	const pullAll = async (dev: Dev, since = '0', limit = 3) => {
		const changes: Change[] = [];
		const evict: PullResponse['evict'] = [];
		let cursor = since;
		for (;;) {
			const res = await call(`${BASE_URL}/api/v1/sync/pull?since=${cursor}&limit=${limit}`, { headers: { authorization: `Bearer ${dev.token}` } });
			expect(res.status).toBe(200);
			const page = (await res.json()) as PullResponse;
			changes.push(...page.changes);
			evict.push(...page.evict);
			cursor = page.cursor;
			if (!page.more) return { changes, evict, cursor };
		}
	};
	/** The attack is refused with `code`, and nothing at all changes. */
	const refused = async (dev: Dev, changes: unknown[], code: string) => {
		const before = await storeSnapshot(store);
		expect(await verdicts(dev, changes)).toEqual(changes.map(() => `rejected:${code}`));
		expect(await storeSnapshot(store)).toEqual(before);
	};

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		const staff = await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [
				{ data: f.staffMember({ displayName: '相談員 桜台', siteIds: [fx.otherSiteId] }) },
				{ data: f.staffMember({ displayName: '管理者', role: 'admin', siteIds: [] }) }
			])
		);
		[otherStaffId, adminId] = [staff[0]!, staff[1]!];
		attacker = await enroll([fx.siteId], '若葉 1');
		victim = await enroll([fx.otherSiteId], '桜台 1');
		const h = f.household({ registeredSiteId: fx.otherSiteId, nickname: 'さくら' });
		const household = change(victim, 'households', h);
		const child = change(victim, 'children', f.child(household.id));
		theirs = {
			household,
			child,
			visit: change(victim, 'visits', f.visit(fx.otherSessionId, { householdId: household.id, cardCode: h.cardCode, childIds: [child.id] })),
			consultation: change(victim, 'consultations', f.consultation(fx.otherSessionId, otherStaffId, { householdId: household.id }))
		};
		expect(await verdicts(victim, [theirs.household, theirs.child, theirs.visit, theirs.consultation])).toEqual(['applied', 'applied', 'applied', 'applied']);
	});

	describe('row-level authorization, old row and new', () => {
		it('cannot take over another site’s visit by naming its own session', async () => {
			await refused(attacker, [change(attacker, 'visits', { ...theirs.visit.data, sessionId: fx.sessionId }, { id: theirs.visit.id })], 'forbidden_site');
		});

		it('cannot delete another site’s visit or consultation', async () => {
			await refused(
				attacker,
				[change(attacker, 'visits', { ...theirs.visit.data, sessionId: fx.sessionId }, { id: theirs.visit.id, deleted: true })],
				'forbidden_site'
			);
			await refused(
				attacker,
				[
					change(
						attacker,
						'consultations',
						{ ...theirs.consultation.data, sessionId: fx.sessionId, staffId: fx.staffId, householdId: null },
						{ id: theirs.consultation.id, deleted: true }
					)
				],
				'forbidden_site'
			);
		});

		it('cannot move its own visit to another site’s session', async () => {
			const mine = change(attacker, 'visits', f.visit(fx.sessionId));
			expect(await verdicts(attacker, [mine])).toEqual(['applied']);
			await refused(attacker, [change(attacker, 'visits', { ...mine.data, sessionId: fx.otherSessionId }, { id: mine.id })], 'forbidden_site');
		});

		it('cannot edit or delete a family it may not hold, nor its children', async () => {
			await refused(
				attacker,
				[change(attacker, 'households', { ...theirs.household.data, nickname: '乗っ取り' }, { id: theirs.household.id })],
				'forbidden_household'
			);
			await refused(attacker, [change(attacker, 'households', theirs.household.data, { id: theirs.household.id, deleted: true })], 'forbidden_household');
			await refused(
				attacker,
				[change(attacker, 'households', { ...theirs.household.data, registeredSiteId: fx.siteId }, { id: theirs.household.id })],
				'forbidden_household'
			);
			await refused(attacker, [change(attacker, 'children', theirs.child.data, { id: theirs.child.id, deleted: true })], 'forbidden_household');
			await refused(attacker, [change(attacker, 'children', f.child(theirs.household.id))], 'forbidden_household');
		});

		it('cannot move a child of its own family into another family', async () => {
			const h = change(attacker, 'households', f.household({ registeredSiteId: fx.siteId }));
			const c = change(attacker, 'children', f.child(h.id));
			expect(await verdicts(attacker, [h, c])).toEqual(['applied', 'applied']);
			await refused(attacker, [change(attacker, 'children', { ...c.data, householdId: theirs.household.id }, { id: c.id })], 'forbidden_household');
		});

		it('registers a new family only at its own sites', async () => {
			await refused(attacker, [change(attacker, 'households', f.household({ registeredSiteId: fx.otherSiteId }))], 'forbidden_household');
			await refused(attacker, [change(attacker, 'households', f.household({ registeredSiteId: null }))], 'forbidden_household');
		});

		it('cannot check in a family it may not hold without its card, nor name another family’s children', async () => {
			await refused(attacker, [change(attacker, 'visits', f.visit(fx.sessionId, { householdId: theirs.household.id, cardCode: null }))], 'forbidden_household');
			await refused(attacker, [change(attacker, 'visits', f.visit(fx.sessionId, { householdId: uuidv7(), cardCode: null }))], 'unknown_household');
			await refused(attacker, [change(attacker, 'visits', f.visit(fx.sessionId, { childIds: [theirs.child.id] }))], 'unknown_child');
		});

		it('cannot attribute a consultation to an unknown staff member, the admin, or another site’s consultant', async () => {
			for (const staffId of [uuidv7(), adminId, otherStaffId]) {
				await refused(attacker, [change(attacker, 'consultations', f.consultation(fx.sessionId, staffId))], 'forbidden_staff');
			}
			expect(await verdicts(attacker, [change(attacker, 'consultations', f.consultation(fx.sessionId, fx.staffId))])).toEqual(['applied']);
		});

		it('cannot record a consultation about a family it may not hold', async () => {
			await refused(
				attacker,
				[change(attacker, 'consultations', f.consultation(fx.sessionId, fx.staffId, { householdId: theirs.household.id }))],
				'forbidden_household'
			);
		});

		it('cannot change another site’s session, nor move one of its own', async () => {
			const s = await store.query<{ data: Change<'sessions'>['data'] }>('select data from sessions where id = $1', [fx.otherSessionId]);
			await refused(
				attacker,
				[change(attacker, 'sessions', { ...s.rows[0]!.data, status: 'cancelled', cancelReason: 'rain' }, { id: fx.otherSessionId })],
				'forbidden_site'
			);
			const mine = await store.query<{ data: Change<'sessions'>['data'] }>('select data from sessions where id = $1', [fx.sessionId]);
			await refused(attacker, [change(attacker, 'sessions', { ...mine.rows[0]!.data, siteId: fx.otherSiteId }, { id: fx.sessionId })], 'forbidden_site');
		});
	});

	describe('clocks the centre can trust', () => {
		it('refuses a stamp far in the future, so no record can be frozen; honest edits still win', async () => {
			const mine = change(attacker, 'visits', f.visit(fx.sessionId));
			expect(await verdicts(attacker, [mine])).toEqual(['applied']);
			const node = deviceNode(attacker.deviceId);
			await refused(attacker, [change(attacker, 'visits', { ...mine.data, adults: 9 }, { id: mine.id, hlc: `999999999999999:99999:${node}` })], 'clock_ahead');
			await refused(
				attacker,
				[change(attacker, 'visits', { ...mine.data, adults: 9 }, { id: mine.id, hlc: stamp(attacker, Date.now() + MAX_AHEAD_MS + 60_000) })],
				'clock_ahead'
			);
			// A few seconds ahead is a tablet's ordinary drift, and is taken.
			expect(
				await verdicts(attacker, [change(attacker, 'visits', { ...mine.data, adults: 2 }, { id: mine.id, hlc: stamp(attacker, Date.now() + 5_000) })])
			).toEqual(['applied']);
			// The centre's own edit stamps after the newest stamp it replaces, and wins.
			await store.transaction((tx) => writeCentreRecords(tx, 'visits', [{ id: mine.id, data: { ...mine.data, adults: 3 } }]));
			const row = await store.query<{ adults: number; hlc: string }>(`select (data->>'adults')::int as adults, hlc from visits where id = $1`, [mine.id]);
			expect(row.rows[0]!.adults).toBe(3);
			expect(row.rows[0]!.hlc).toMatch(/^\d{15}:\d{5}:centre$/);
		});

		it('keeps refusing a stamp it refused as ahead, even once its clock has caught up with it', async () => {
			const ahead = change(attacker, 'visits', f.visit(fx.sessionId), { hlc: stamp(attacker, Date.now() + MAX_AHEAD_MS + 60_000) });
			await refused(attacker, [ahead], 'clock_ahead');
			const device = await authenticateDevice(store, `Bearer ${attacker.token}`, 'push');
			const later = await applyPush(store, device, [ahead], Date.now() + MAX_AHEAD_MS + 120_000);
			expect(later.map((r) => r.error?.code)).toEqual(['clock_ahead']);
			const n = await store.query<{ n: number }>('select count(*)::int as n from visits where id = $1', [ahead.id]);
			expect(n.rows[0]!.n).toBe(0);
		});

		it('refuses a stamp past 15 digits as a malformed push', async () => {
			const before = await storeSnapshot(store);
			const r = await push(attacker, [change(attacker, 'visits', f.visit(fx.sessionId), { hlc: `1000000000000000:00000:${deviceNode(attacker.deviceId)}` })]);
			expect(r).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
			expect(await storeSnapshot(store)).toEqual(before);
		});

		it('refuses a stamp signed as another node: the centre, or another tablet', async () => {
			await refused(attacker, [change(attacker, 'visits', f.visit(fx.sessionId), { hlc: hlcAfter(null, 'centre') })], 'wrong_node');
			await refused(attacker, [change(attacker, 'visits', f.visit(fx.sessionId), { hlc: stamp(victim) })], 'wrong_node');
		});

		it('answers with the Date header a tablet sets its clock by', async () => {
			const res = await call(`${BASE_URL}/api/v1/sync/push`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${attacker.token}` },
				body: JSON.stringify({ protocol: 1, changes: [] })
			});
			expect(Math.abs(Date.parse(res.headers.get('date')!) - Date.now())).toBeLessThan(2_000);
		});
	});

	describe('the least data on a tablet', () => {
		it('pulls the families registered or seen at its sites and the roster of its sites only, never the ward', async () => {
			const { changes } = await pullAll(attacker);
			const ids = (t: SyncTable) => changes.filter((c) => c.table === t).map((c) => c.id);
			expect(ids('households')).toEqual([]);
			expect(ids('children')).toEqual([]);
			expect(ids('staff')).toEqual([fx.staffId]);
			expect(JSON.stringify(changes)).not.toContain('さくら');
			// The victim's tablet holds its family, and its own roster.
			const v = await pullAll(victim);
			expect(v.changes.filter((c) => c.table === 'staff').map((c) => c.id)).toEqual([otherStaffId]);
		});

		it('pulls only its own share of a ward of 30,000 families', async () => {
			// 30,000 families registered across 30 sites, 1,000 of them at the attacker's; written in
			// bulk (the rows need not pass the schemas for this count).
			await store.query(
				`with g as (
				   select n, (case when n % 30 = 0 then $1::uuid else md5('site' || (n % 30))::uuid end) as site from generate_series(1, 30000) n
				 ), h as (
				   insert into households (id, hlc, deleted, seq, data)
				   select md5('h' || n)::uuid, '000000000000001:00000:centre', false, nextval('sync_seq'),
				     jsonb_build_object('cardCode', lpad(n::text, 17, '0'), 'registeredSiteId', site, 'nickname', 'bulk')
				   from g returning id, (data->>'registeredSiteId')::uuid as site
				 )
				 insert into household_sites (household_id, site_id, last_seen, live, seq)
				 select id, site, to_char(now(), 'YYYY-MM-DD'), true, nextval('sync_seq') from h`,
				[fx.siteId]
			);
			const { changes } = await pullAll(attacker, '0', 5000);
			const families = changes.filter((c) => c.table === 'households');
			expect(families.length).toBe(1000);
			expect(families.every((c) => (c.data as { registeredSiteId: string }).registeredSiteId === fx.siteId)).toBe(true);
		});

		it('gets a family from elsewhere once its card is checked in here, with its children', async () => {
			const { cursor } = await pullAll(attacker);
			// The card proves the family was here: the visit is taken although the family is not held.
			const visit = change(attacker, 'visits', f.visit(fx.sessionId, { householdId: null, cardCode: theirs.household.data.cardCode }));
			expect(await verdicts(attacker, [visit])).toEqual(['applied']);
			const after = await pullAll(attacker, cursor);
			expect(after.changes.filter((c) => c.table === 'households').map((c) => c.id)).toEqual([theirs.household.id]);
			expect(after.changes.filter((c) => c.table === 'children').map((c) => c.id)).toEqual([theirs.child.id]);
			// Now held, the family may be named on the visit and edited.
			expect(
				await verdicts(attacker, [
					change(attacker, 'visits', { ...visit.data, householdId: theirs.household.id, childIds: [theirs.child.id] }, { id: visit.id }),
					change(attacker, 'households', { ...theirs.household.data, nickname: 'さくらママ' }, { id: theirs.household.id })
				])
			).toEqual(['applied', 'applied']);
		});

		it('evicts a family not seen for 13 months, and a staff member who no longer works there', async () => {
			const h = change(attacker, 'households', f.household({ registeredSiteId: fx.siteId }));
			expect(await verdicts(attacker, [h])).toEqual(['applied']);
			const { cursor } = await pullAll(victim);
			const first = await pullAll(attacker);
			expect(first.changes.filter((c) => c.table === 'staff').map((c) => c.id)).toEqual([fx.staffId]);

			expect(await runExpiry(store, Date.now() + (HOLD_MONTHS * 31 + 1) * DAY)).toBeGreaterThan(0);
			const s = await store.query<{ data: Change<'staff'>['data'] }>('select data from staff where id = $1', [fx.staffId]);
			await store.transaction((tx) => writeCentreRecords(tx, 'staff', [{ id: fx.staffId, data: { ...s.rows[0]!.data, siteIds: [fx.otherSiteId] } }]));

			const later = await pullAll(attacker, first.cursor);
			expect(later.evict).toEqual(
				expect.arrayContaining([
					{ table: 'households', id: h.id },
					{ table: 'staff', id: fx.staffId }
				])
			);
			expect(later.changes.filter((c) => c.table === 'staff')).toEqual([]);
			// The family is no longer its to change.
			await refused(attacker, [change(attacker, 'households', { ...h.data, nickname: 'x' }, { id: h.id })], 'forbidden_household');
			// The victim's tablet gets the staff member who now works there.
			const v = await pullAll(victim, cursor);
			expect(v.changes.filter((c) => c.table === 'staff').map((c) => c.id)).toEqual([fx.staffId]);
		});

		it('looks one card up while online: one family, audited, rate-limited', async () => {
			const lookup = (card: string) => call(`${BASE_URL}/api/v1/households/lookup?card=${card}`, { headers: { authorization: `Bearer ${attacker.token}` } });
			const res = await lookup(theirs.household.data.cardCode);
			expect(res.status).toBe(200);
			const body = (await res.json()) as { household: Change; children: Change[] };
			expect(body.household.id).toBe(theirs.household.id);
			expect(body.children.map((c) => c.id)).toEqual([theirs.child.id]);
			expect(await lookup(f.household().cardCode).then((r) => r.status)).toBe(404);
			expect(await lookup('not-a-card').then((r) => r.status)).toBe(400);
			const audited = await store.query<{ actor: string; subject: string | null; found: boolean }>(
				`select actor, subject::text, (detail->>'found')::boolean as found from audit_log where action = 'household.lookup' order by id`
			);
			expect(audited.rows).toEqual([
				{ actor: `device:${attacker.deviceId}`, subject: theirs.household.id, found: true },
				{ actor: `device:${attacker.deviceId}`, subject: null, found: false }
			]);
			await store.query(`update rate_limits set count = $2 where key = $1`, [`lookup:${attacker.deviceId}`, LOOKUP_RATE.limit]);
			const before = await storeSnapshot(store);
			const limited = await lookup(theirs.household.data.cardCode);
			expect(limited.status).toBe(429);
			expect(await storeSnapshot(store)).toEqual(before);
		});
	});

	describe('a retired tablet', () => {
		it('delivers only what it recorded before it was retired, for 7 days, and then is told to wipe', async () => {
			// Recorded two hours ago, offline; the tablet was retired an hour ago.
			const before = change(attacker, 'visits', f.visit(fx.sessionId), { hlc: stamp(attacker, Date.now() - 2 * 3_600_000) });
			await setDeviceState(store, attacker.deviceId, 'retired', 'test');
			await store.query(`update devices set state_changed_at = now() - interval '1 hour' where id = $1`, [attacker.deviceId]);
			expect(await verdicts(attacker, [before])).toEqual(['applied']);
			await refused(attacker, [change(attacker, 'visits', f.visit(fx.sessionId))], 'stamped_after_retirement');
			const lookup = await call(`${BASE_URL}/api/v1/households/lookup?card=${theirs.household.data.cardCode}`, {
				headers: { authorization: `Bearer ${attacker.token}` }
			});
			expect(lookup.status).toBe(401);

			await store.query(`update devices set state_changed_at = now() - interval '8 days' where id = $1`, [attacker.deviceId]);
			const snap = await storeSnapshot(store);
			const late = await push(attacker, [
				change(attacker, 'visits', f.visit(fx.sessionId), { hlc: formatHlc({ wall: Date.now() - 9 * DAY, counter: 0, node: deviceNode(attacker.deviceId) }) })
			]);
			expect(late).toMatchObject({ status: 401, body: { error: { code: 'device_revoked' } } });
			expect(await storeSnapshot(store)).toEqual(snap);
		});
	});
});
