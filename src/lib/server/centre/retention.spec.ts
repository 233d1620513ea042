/**
 * Retention: what a purge removes on a given day under the ward's settings, and what it keeps
 * (hand-made records on both sides of each cutoff); that each purge is audited with its counts;
 * the daily schedule runs once a day whatever the number of processes; and the page's role checks.
 *
 * Today is 2026-12-01 (年度2026). Kept 5 years, notes and visits of 年度2020 and before (up to
 * 2021-03-31) go; kept 3 years, a family last seen in 年度2022 or before (up to 2023-03-31) goes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { attendance } from '$lib/server/reports/attendance';
import { getRetention, previewPurge, purgeExpired, retentionCutoff, runScheduledPurge, setRetention } from './retention';
import * as page from '../../../routes/centre/(app)/retention/+page.server';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { centreEvent, outcome, signedIn } from '../../../../tests/consultation-log';
import * as f from '../../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));
const TODAY = '2026-12-01';

describe('retention cutoffs', () => {
	it('keeps a record for whole 年度 after its own', () => {
		expect(retentionCutoff(5, '2026-12-01')).toBe('2021-04-01');
		expect(retentionCutoff(5, '2026-03-31')).toBe('2020-04-01');
		expect(retentionCutoff(5, '2026-04-01')).toBe('2021-04-01');
		expect(retentionCutoff(3, '2026-12-01')).toBe('2023-04-01');
		expect(retentionCutoff(null, '2026-12-01')).toBeNull();
	});
});

describe.each(testStores())('retention on $name', (ts) => {
	let store: Store;
	let ids: Record<string, string>;

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		ids = await store.transaction(async (tx) => {
			const [program] = await writeCentreRecords(tx, 'programs', [{ data: f.program() }]);
			const [site] = await writeCentreRecords(tx, 'sites', [{ data: f.site(program!) }]);
			const [old, kept, late22, early23, recent] = await writeCentreRecords(
				tx,
				'sessions',
				['2021-03-31', '2021-04-01', '2023-03-31', '2023-04-01', '2026-11-01'].map((date) => ({ data: f.session(site!, { date, status: 'closed' }) }))
			);
			const [staff] = await writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ siteIds: [site!] }) }]);
			const hA = f.household({ consentDate: '2022-05-01' });
			const hD = f.household({ consentDate: '2019-05-01' });
			const [A, B, C, D] = await writeCentreRecords(tx, 'households', [
				{ data: hA },
				{ data: f.household({ consentDate: '2022-05-01' }) },
				{ data: f.household({ consentDate: '2023-04-01' }) },
				{ data: hD }
			]);
			const [childA] = await writeCentreRecords(tx, 'children', [{ data: f.child(A!, { nickname: 'あーちゃん' }) }, { data: f.child(B!) }]);
			const [vOld, vKept] = await writeCentreRecords(tx, 'visits', [
				{ data: f.visit(old!, { householdId: B!, cardCode: null }) },
				{ data: f.visit(kept!, { householdId: B!, cardCode: null }) },
				{ data: f.visit(late22!, { householdId: A!, cardCode: null }) },
				{ data: f.visit(early23!, { householdId: B!, cardCode: null }) },
				// Card-only: the family is seen by its card.
				{ data: f.visit(recent!, { householdId: null, cardCode: hD.cardCode }) }
			]);
			const consultation = (sessionId: string, at: string) =>
				f.consultation(sessionId, staff!, { consultedAt: at, sealed: f.SEALED_SAMPLE, followUp: 'refer_centre', urgency: 'watch' });
			const [cOld, cKept] = await writeCentreRecords(tx, 'consultations', [
				// 2021-03-31 23:30 in Tokyo: still 年度2020.
				{ data: consultation(old!, '2021-03-31T14:30:00.000Z') },
				{ data: consultation(kept!, '2021-03-31T15:30:00.000Z') }
			]);
			return { site: site!, old: old!, kept: kept!, A: A!, B: B!, C: C!, D: D!, childA: childA!, vOld: vOld!, vKept: vKept!, cOld: cOld!, cKept: cKept! };
		});
		// A case comment on each consultation's follow-up case.
		await store.query(
			`insert into followup_events (case_id, actor, action, detail)
			 select id, 'test', 'updated', jsonb_build_object('changes', '[]'::jsonb, 'comment', jsonb_build_object('id', '1', 'sealed', 'hs1.x')) from followup_cases`
		);
	});

	const sealedOf = async (id: string) =>
		(await store.query<{ s: string | null }>(`select data->>'sealed' as s from consultations where id = $1`, [id])).rows[0]!.s;

	it('purges what outlived its retention, and keeps everything on the other side of each cutoff', async () => {
		expect(await previewPurge(store, TODAY)).toEqual({ notes: 1, comments: 1, visits: 1, households: 1, children: 1 });
		expect(await purgeExpired(store, 'staff:test', TODAY)).toEqual({ notes: 1, comments: 1, visits: 1, households: 1, children: 1 });

		expect(await sealedOf(ids.cOld!)).toBeNull();
		expect(await sealedOf(ids.cKept!)).toBe(f.SEALED_SAMPLE);
		const revisions = await store.query<{ id: string; s: string | null }>(
			`select consultation_id::text as id, data->>'sealed' as s from consultation_revisions order by consultation_id`
		);
		expect(revisions.rows.filter((r) => r.id === ids.cOld).map((r) => r.s)).toEqual([null]);
		expect(revisions.rows.filter((r) => r.id === ids.cKept).map((r) => r.s)).toEqual([f.SEALED_SAMPLE]);
		const purgedAt = await store.query<{ id: string; purged: boolean; topics: string[] }>(
			`select id::text, note_purged_at is not null as purged, data->'topics' as topics from consultations order by id`
		);
		expect(purgedAt.rows.find((r) => r.id === ids.cOld)).toMatchObject({ purged: true, topics: ['sleep'] });
		expect(purgedAt.rows.find((r) => r.id === ids.cKept)).toMatchObject({ purged: false });
		const comments = await store.query<{ c: string; has: boolean }>(
			`select fc.consultation_id::text as c, e.detail ? 'comment' as has from followup_events e join followup_cases fc on fc.id = e.case_id`
		);
		expect(Object.fromEntries(comments.rows.map((r) => [r.c, r.has]))).toEqual({ [ids.cOld!]: false, [ids.cKept!]: true });

		const visits = await store.query<{ id: string }>(`select id::text from visits`);
		expect(visits.rows.map((r) => r.id)).not.toContain(ids.vOld);
		expect(visits.rows).toHaveLength(4);

		const households = await store.query<{ id: string; deleted: boolean; nickname: string | null }>(
			`select id::text, deleted, data->>'nickname' as nickname from households`
		);
		expect(households.rows.filter((h) => h.deleted).map((h) => h.id)).toEqual([ids.A]);
		expect(households.rows.find((h) => h.id === ids.A)!.nickname).toBeNull();
		const child = await store.query<{ deleted: boolean; nickname: string | null }>(
			`select deleted, data->>'nickname' as nickname from children where id = $1`,
			[ids.childA]
		);
		expect(child.rows).toEqual([{ deleted: true, nickname: null }]);

		const audit = await store.query<{ actor: string; detail: Record<string, unknown> }>(`select actor, detail from audit_log where action = 'retention.purge'`);
		expect(audit.rows).toEqual([
			{
				actor: 'staff:test',
				detail: {
					notes: 1,
					comments: 1,
					visits: 1,
					households: 1,
					children: 1,
					cutoffs: { notes: '2021-04-01', visits: '2021-04-01', households: '2023-04-01' },
					settings: { notes: 5, visits: 5, households: 3 }
				}
			}
		]);
		// A second purge the same day finds nothing more, and says so in the log.
		expect(await purgeExpired(store, 'staff:test', TODAY)).toEqual({ notes: 0, comments: 0, visits: 0, households: 0, children: 0 });
	});

	it('leaves the reports counting only what is left', async () => {
		const all = { siteIds: null };
		expect((await attendance(store, all, { from: '2021-03-01', to: '2021-03-31' }, TODAY)).visits.families).toBe(1);
		await purgeExpired(store, 'staff:test', TODAY);
		expect((await attendance(store, all, { from: '2021-03-01', to: '2021-03-31' }, TODAY)).visits.families).toBe(0);
		expect((await attendance(store, all, { from: '2021-04-01', to: '2021-04-30' }, TODAY)).visits.families).toBe(1);
	});

	it('follows the ward’s settings: kept for ever, or longer, nothing of that kind goes', async () => {
		expect(await getRetention(store)).toMatchObject({ notes: 5, visits: 5, households: 3, updatedAt: null });
		expect(await setRetention(store, 'staff:admin', { notes: 10, visits: null, households: 3 })).toEqual({ changed: ['notes', 'visits'] });
		expect(await purgeExpired(store, 'staff:test', TODAY)).toEqual({ notes: 0, comments: 0, visits: 0, households: 1, children: 1 });
		const audit = await store.query<{ detail: unknown }>(`select detail from audit_log where action = 'retention.update'`);
		expect(audit.rows).toEqual([{ detail: { notes: { from: 5, to: 10 }, visits: { from: 5, to: null } } }]);
		expect(await setRetention(store, 'staff:admin', { notes: 10, visits: null, households: 3 })).toEqual({ changed: [] });
	});

	it('runs on schedule once a day, however many processes try', async () => {
		const at = Date.parse(`${TODAY}T03:00:00+09:00`);
		// Real today is not TODAY; the schedule names its own day, so the cutoffs follow `at`.
		const [a, b] = await Promise.all([runScheduledPurge(store, at), runScheduledPurge(store, at)]);
		expect([a, b].filter((x) => x !== null)).toEqual([{ notes: 1, comments: 1, visits: 1, households: 1, children: 1 }]);
		expect(await runScheduledPurge(store, at + 3_600_000)).toBeNull();
		const runs = await store.query<{ day: string; counts: unknown }>(`select day, counts from retention_runs`);
		expect(runs.rows).toEqual([{ day: TODAY, counts: { notes: 1, comments: 1, visits: 1, households: 1, children: 1 } }]);
		const audit = await store.query(`select 1 from audit_log where action = 'retention.purge' and actor = 'retention-schedule'`);
		expect(audit.rows).toHaveLength(1);
	});

	it('is seen by coordinators, changed and run only by an admin; bad settings are refused in Japanese', async () => {
		const staff = await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [
				{ data: f.staffMember({ role: 'consultant' }) },
				{ data: f.staffMember({ role: 'coordinator' }) },
				{ data: f.staffMember({ role: 'admin' }) }
			])
		);
		const [consultant, coordinator, admin] = (await Promise.all(staff.map((id) => signedIn(store, id)))) as [string, string, string];
		expect(await call(page.load, centreEvent('/centre/retention', { token: consultant }))).toMatchObject({ kind: 'error', status: 403 });
		expect(await call(page.load, centreEvent('/centre/retention'))).toMatchObject({ kind: 'redirect' });
		expect(await call(page.load, centreEvent('/centre/retention', { token: coordinator }))).toMatchObject({ kind: 'ok', value: { canChange: false } });
		const save = (token: string, form: Record<string, string>) => call(page.actions.save, centreEvent('/centre/retention?/save', { token, form }));
		expect(await save(coordinator, { notes: '1', visits: '1', households: '1' })).toMatchObject({ kind: 'error', status: 403 });
		expect(await call(page.actions.purge, centreEvent('/centre/retention?/purge', { token: coordinator, form: {} }))).toMatchObject({
			kind: 'error',
			status: 403
		});
		expect(await save(admin, { notes: '0', visits: '5', households: '3' })).toMatchObject({
			kind: 'fail',
			status: 400,
			data: { errors: { notes: '相談記録のメモの保存年数は1〜30年か「無期限」です' } }
		});
		expect(await save(admin, { notes: '5', visits: 'abc', households: '3' })).toMatchObject({
			kind: 'fail',
			data: { errors: { visits: '来場記録の保存年数は1〜30年か「無期限」です' } }
		});
		expect(await save(admin, { notes: '5', visits: '5' })).toMatchObject({
			kind: 'fail',
			data: { errors: { households: '登録世帯の保存年数を選んでください' } }
		});
		expect(await getRetention(store)).toMatchObject({ notes: 5, visits: 5, households: 3, updatedAt: null });
		expect(await save(admin, { notes: '7', visits: 'forever', households: '3' })).toMatchObject({ kind: 'ok', value: { saved: true } });
		expect(await getRetention(store)).toMatchObject({ notes: 7, visits: null, households: 3 });
		const purged = await call(page.actions.purge, centreEvent('/centre/retention?/purge', { token: admin, form: {} }));
		expect(purged).toMatchObject({ kind: 'ok', value: { purged: { visits: 0 } } });
		const audit = await store.query<{ actor: string }>(`select actor from audit_log where action in ('retention.update', 'retention.purge') order by id`);
		expect(audit.rows.map((r) => r.actor)).toEqual([`staff:${staff[2]}`, `staff:${staff[2]}`]);
	});
});
