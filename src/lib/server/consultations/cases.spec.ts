/**
 * The revision rule and follow-up cases at the centre, through the real push handler: every version
 * a tablet sends is kept (one that arrives late too), the newest is the record, and a referral opens
 * one case, due by urgency, whose history notes each later revision.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { addDays, tokyoDate } from '$lib/domain/dates';
import { deviceNode, formatHlc } from '$lib/domain/hlc';
import { uuidv7 } from '$lib/domain/ids';
import type { ConsultationData } from '$lib/domain/schemas';
import type { Store } from '$lib/server/db/store';
import type { PushResult } from '$lib/sync/protocol';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { BASE_URL, inProcessFetch } from '../../../../tests/in-process';
import { enrollDevice, seedCentre, type CentreFixture } from '../../../../tests/centre';
import * as f from '../../../../tests/factories';
import { writeCentreRecords } from '../sync/records';
import { DUE_DAYS } from './cases';

const call = inProcessFetch();

describe.each(testStores())('consultation revisions and follow-up cases on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let dev: { deviceId: string; token: string };
	const at = Date.now() - 60_000;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		dev = await enrollDevice(store, [fx.siteId], 'にこにこ 相談');
	});

	const version = (id: string, wall: number, data: ConsultationData) => ({
		table: 'consultations',
		id,
		hlc: formatHlc({ wall, counter: 0, node: deviceNode(dev.deviceId) }),
		deleted: false,
		data
	});
	const push = async (changes: unknown[]): Promise<string[]> => {
		const res = await call(`${BASE_URL}/api/v1/sync/push`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.token}` },
			body: JSON.stringify({ protocol: 1, changes })
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { results: PushResult[] }).results.map((r) => (r.error ? `${r.status}:${r.error.code}` : r.status));
	};
	const revisions = async (id: string) =>
		(
			await store.query<{ minutes: number }>(
				`select (data->>'durationMin')::int as minutes from consultation_revisions where consultation_id = $1 order by hlc`,
				[id]
			)
		).rows.map((r) => r.minutes);

	it('keeps every version as a revision, one that arrives after a newer one too, and never overwrites the newer', async () => {
		const id = uuidv7();
		const base = f.consultation(fx.sessionId, fx.staffId);
		expect(await push([version(id, at + 2000, { ...base, durationMin: 30 })])).toEqual(['applied']);
		// The first version, delayed on the network, arrives last: stale, yet kept beside the other.
		expect(await push([version(id, at, { ...base, durationMin: 10 })])).toEqual(['stale']);
		expect(await revisions(id)).toEqual([10, 30]);
		const current = await store.query<{ minutes: number }>(`select (data->>'durationMin')::int as minutes from consultations where id = $1`, [id]);
		expect(current.rows).toEqual([{ minutes: 30 }]);
		// The same versions again change nothing.
		expect(await push([version(id, at, { ...base, durationMin: 10 }), version(id, at + 2000, { ...base, durationMin: 30 })])).toEqual(['stale', 'duplicate']);
		expect(await revisions(id)).toEqual([10, 30]);
	});

	it('opens one case for a referral, due by urgency, and notes each later revision in its history', async () => {
		const urgent = uuidv7();
		const watch = uuidv7();
		const none = uuidv7();
		const consultedAt = new Date(at).toISOString();
		const data = (o: Partial<ConsultationData>) => f.consultation(fx.sessionId, fx.staffId, { consultedAt, ...o });
		expect(
			await push([
				version(urgent, at, data({ urgency: 'urgent', followUp: 'refer_centre' })),
				version(watch, at, data({ urgency: 'watch', followUp: 'refer_health' })),
				version(none, at, data({ urgency: 'urgent', followUp: 'next_time' }))
			])
		).toEqual(['applied', 'applied', 'applied']);
		const cases = await store.query<{ consultation_id: string; status: string; due_date: string }>(
			`select consultation_id::text, status, due_date from followup_cases order by due_date`
		);
		const day = tokyoDate(at);
		expect(cases.rows).toEqual([
			{ consultation_id: urgent, status: 'open', due_date: addDays(day, DUE_DAYS.urgent) },
			{ consultation_id: watch, status: 'open', due_date: addDays(day, DUE_DAYS.watch) }
		]);
		// A correction of the urgent one: still one case, with the revision in its history.
		expect(await push([version(urgent, at + 1000, data({ urgency: 'watch', followUp: 'refer_centre', durationMin: 40 }))])).toEqual(['applied']);
		const history = await store.query<{ action: string; detail: { urgency: string } }>(
			`select e.action, e.detail from followup_events e join followup_cases c on c.id = e.case_id where c.consultation_id = $1 order by e.id`,
			[urgent]
		);
		expect(history.rows.map((r) => [r.action, r.detail.urgency])).toEqual([
			['opened', 'urgent'],
			['revised', 'watch']
		]);
		expect((await store.query('select 1 from followup_cases')).rows).toHaveLength(2);
		// A revision that makes an ordinary consultation a referral opens its case then.
		expect(await push([version(none, at + 1000, data({ urgency: 'urgent', followUp: 'refer_support' }))])).toEqual(['applied']);
		expect((await store.query('select 1 from followup_cases where consultation_id = $1', [none])).rows).toHaveLength(1);
	});

	it('refuses a note sealed to a key the centre does not hold, and a revision by another staff member', async () => {
		const id = uuidv7();
		expect(await push([version(id, at, f.consultation(fx.sessionId, fx.staffId, { sealed: f.SEALED_SAMPLE }))])).toEqual(['rejected:unknown_seal_key']);
		expect((await store.query('select 1 from consultations')).rows).toEqual([]);
		expect(await push([version(id, at, f.consultation(fx.sessionId, fx.staffId))])).toEqual(['applied']);
		const [other] = await store.transaction((tx) => writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ siteIds: [fx.siteId] }) }]));
		expect(await push([version(id, at + 1000, f.consultation(fx.sessionId, other!))])).toEqual(['rejected:forbidden_staff']);
		expect(await revisions(id)).toEqual([10]);
	});
});
