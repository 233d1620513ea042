/**
 * The devices page and the overview through their real handlers: each tablet's pending count and
 * last sync, and the warning for a tablet that has been silent for a day across a session at its
 * sites (the rule itself is unit-tested in domain/sync-health.spec.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { addDays, tokyoDate } from '$lib/domain/dates';
import type { Store } from '$lib/server/db/store';
import { setDeviceState } from '$lib/server/auth/devices';
import { writeCentreRecords } from '$lib/server/sync/records';
import * as devices from './(app)/devices/+page.server';
import * as overview from './(app)/+page.server';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, signedIn } from '../../../tests/consultation-log';
import { enrollDevice, seedCentre, type CentreFixture } from '../../../tests/centre';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

describe.each(testStores())('tablets’ sync on the devices page on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let tokens: { coordinator: string; consultant: string };
	/** Tablets by what they show: overdue, quiet (no session since), recent, cancelled, retired. */
	let tablets: Record<'overdue' | 'quiet' | 'recent' | 'cancelled' | 'retired', string>;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store, addDays(tokyoDate(), 7));
		const today = tokyoDate();
		const [coordinator, quietSite, cancelSite] = await store.transaction(async (tx) => {
			const [coordinator] = await writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ role: 'coordinator' }) }]);
			const [quietSite, cancelSite] = await writeCentreRecords(tx, 'sites', [
				{ data: f.site(fx.programId, { nameJa: '静かな児童館' }) },
				{ data: f.site(fx.programId, { nameJa: '雨の公園' }) }
			]);
			await writeCentreRecords(tx, 'sessions', [
				// 若葉 held a session yesterday; 桜台 (the retired tablet's) too.
				{ data: f.session(fx.siteId, { date: addDays(today, -1) }) },
				{ data: f.session(fx.otherSiteId, { date: addDays(today, -1) }) },
				// The quiet site's last session was a week ago; the rainy one's yesterday was cancelled.
				{ data: f.session(quietSite!, { date: addDays(today, -7) }) },
				{ data: f.session(cancelSite!, { date: addDays(today, -1), status: 'cancelled', cancelReason: 'rain' }) }
			]);
			return [coordinator!, quietSite!, cancelSite!];
		});
		tokens = { coordinator: await signedIn(store, coordinator), consultant: await signedIn(store, fx.staffId) };
		const enroll = async (sites: string[], name: string) => (await enrollDevice(store, sites, name)).deviceId;
		tablets = {
			overdue: await enroll([fx.siteId], '若葉 1'),
			quiet: await enroll([quietSite], '静か 1'),
			recent: await enroll([fx.siteId], '若葉 2'),
			cancelled: await enroll([cancelSite], '雨 1'),
			retired: await enroll([fx.otherSiteId], '桜台 1')
		};
		// All but one synced last three days ago; the recent one an hour ago and holds 4 changes.
		await store.query(`update devices set last_sync_at = now() - interval '3 days', pending_count = 0, pending_reported_at = now() - interval '3 days'`);
		await store.query(
			`update devices set last_sync_at = now() - interval '1 hour', pending_count = 4, pending_reported_at = now() - interval '1 hour' where id = $1`,
			[tablets.recent]
		);
		await setDeviceState(store, tablets.retired, 'retired', 'test');
	});

	it('refuses a consultant and sends a signed-out visitor to sign in', async () => {
		expect(await call(devices.load, centreEvent('/centre/devices', { token: tokens.consultant }))).toMatchObject({ kind: 'error', status: 403 });
		expect(await call(devices.load, centreEvent('/centre/devices'))).toMatchObject({ kind: 'redirect', location: '/centre/login?next=%2Fcentre%2Fdevices' });
	});

	it('shows each tablet’s pending count and last sync, and flags only the one silent across a session', async () => {
		const o = await call(devices.load, centreEvent('/centre/devices', { token: tokens.coordinator }));
		expect(o.kind).toBe('ok');
		const list = (o as { value: { devices: any[]; now: number } }).value.devices;
		const byId = (id: string) => list.find((d) => d.id === id)!;
		expect(byId(tablets.recent)).toMatchObject({ pendingCount: 4, overdue: false });
		expect(Date.now() - Date.parse(byId(tablets.recent).lastSyncAt)).toBeGreaterThan(3_500_000);
		expect(byId(tablets.overdue)).toMatchObject({ pendingCount: 0, overdue: true, latestSession: { date: addDays(tokyoDate(), -1), endTime: '12:00' } });
		expect(byId(tablets.quiet).overdue).toBe(false);
		expect(byId(tablets.cancelled)).toMatchObject({ overdue: false, latestSession: null });
		expect(byId(tablets.retired).overdue).toBe(false);
		expect(list.filter((d) => d.overdue).map((d) => d.name)).toEqual(['若葉 1']);
	});

	it('counts the overdue tablets on the overview for those who manage tablets, and only for them', async () => {
		const o = await call(overview.load, centreEvent('/centre', { token: tokens.coordinator }));
		expect(o).toMatchObject({ kind: 'ok', value: { overdueDevices: 1 } });
		const c = await call(overview.load, centreEvent('/centre', { token: tokens.consultant }));
		expect(c).toMatchObject({ kind: 'ok', value: { overdueDevices: null } });
		// A tablet that has never synced counts from its enrollment, so a fresh one is not overdue.
		await store.query('update devices set last_sync_at = null');
		expect(await call(overview.load, centreEvent('/centre', { token: tokens.coordinator }))).toMatchObject({ kind: 'ok', value: { overdueDevices: 0 } });
	});
});
