/**
 * Families (世帯) at the centre through their real handlers: who may use them, finding a family,
 * its page and the audit of opening it, adding a child, reissuing a lost card, merging a family
 * registered twice (its consultations too), and a tablet's push of a visit made with a card retired meanwhile.
 *
 * On top of the consultation log's sites and sessions (tests/consultation-log.ts), 年度2026:
 *   H1 (区内 本町1丁目, registered at 若葉): children 2025-06 (baby) and 2022-01 (older);
 *      2026-04-10 若葉 with both (2 adults), 2026-05-20 中央公園 with the baby.
 *   H2, the same family registered again at 桜台 (区外): children 2025-06 (「はーちゃん」) and 2023-10;
 *      2026-05-15 桜台 with both, 2026-05-20 中央公園 with the 2025-06 child (the same session as H1),
 *      and a visit by its card alone (a tablet that did not hold it) on 2027-03-31 at 若葉.
 *   H3 (区外, registered at 中央公園): a child 2025-06; no visits.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { formatCardCode, makeCardCode } from '$lib/domain/card-code';
import { deviceNode, hlcAfter } from '$lib/domain/hlc';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { attendance } from '$lib/server/reports/attendance';
import type { Change, PullResponse, PushResult } from '$lib/sync/protocol';
import * as list from './(app)/families/+page.server';
import * as family from './(app)/families/[id]/+page.server';
import * as merge from './(app)/families/merge/+page.server';
import * as detail from './(app)/consultations/[id]/+page.server';
import { getKeyring } from '$lib/server/crypto/keyring';
import { sealConsultationText } from '$lib/domain/seal';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import { enrollDevice } from '../../../tests/centre';
import { BASE_URL, inProcessFetch } from '../../../tests/in-process';
import { storeSnapshot } from '../../../tests/snapshot';
import { tokyoDate } from '$lib/domain/dates';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));
const api = inProcessFetch();

describe.each(testStores())('families at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { a: string; coordinator: string };
	let h1: { id: string; card: string; baby: string; older: string };
	let h2: { id: string; card: string; twin: string; sibling: string; cardVisit: string };
	let h3: { id: string; card: string };

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		tokens = { a: await signedIn(store, log.staff.a), coordinator: await signedIn(store, log.staff.coordinator) };
		const { sites, sessions: s } = log;
		const d1 = f.household({ areaKind: 'ward', town: '本町1丁目', registeredSiteId: sites.wakaba, consentDate: '2026-04-10', nickname: 'はる' });
		const d2 = f.household({ areaKind: 'outside', town: null, registeredSiteId: sites.sakura, consentDate: '2026-05-15' });
		const d3 = f.household({ areaKind: 'outside', town: null, registeredSiteId: sites.koen, consentDate: '2026-05-20' });
		await store.transaction(async (tx) => {
			const [H1, H2, H3] = await writeCentreRecords(tx, 'households', [{ data: d1 }, { data: d2 }, { data: d3 }]);
			const [baby, older, twin, sibling] = await writeCentreRecords(tx, 'children', [
				{ data: f.child(H1!, { birthYm: '2025-06' }) },
				{ data: f.child(H1!, { birthYm: '2022-01' }) },
				{ data: f.child(H2!, { birthYm: '2025-06', nickname: 'はーちゃん' }) },
				{ data: f.child(H2!, { birthYm: '2023-10' }) },
				{ data: f.child(H3!, { birthYm: '2025-06' }) }
			]);
			const at = (date: string) => `${date}T01:00:00.000Z`;
			const [, , , , cardVisit] = await writeCentreRecords(tx, 'visits', [
				{ data: f.visit(s.apr, { householdId: H1!, cardCode: d1.cardCode, childIds: [baby!, older!], adults: 2, checkedInAt: at('2026-04-10') }) },
				{ data: f.visit(s.koen, { householdId: H1!, cardCode: d1.cardCode, childIds: [baby!], checkedInAt: at('2026-05-20') }) },
				{ data: f.visit(s.may, { householdId: H2!, cardCode: d2.cardCode, childIds: [twin!, sibling!], checkedInAt: at('2026-05-15') }) },
				{ data: f.visit(s.koen, { householdId: H2!, cardCode: d2.cardCode, childIds: [twin!], adults: 2, checkedInAt: at('2026-05-20') }) },
				{ data: f.visit(s.mar, { householdId: null, cardCode: d2.cardCode, childIds: [], checkedInAt: at('2027-03-31') }) }
			]);
			h1 = { id: H1!, card: d1.cardCode, baby: baby!, older: older! };
			h2 = { id: H2!, card: d2.cardCode, twin: twin!, sibling: sibling!, cardVisit: cardVisit! };
			h3 = { id: H3!, card: d3.cardCode };
		});
	});

	/** Everything the store holds but the sign-ins' last use (each request touches its session). */
	const snapshot = async () => {
		const { staff_sessions: _touched, ...rest } = await storeSnapshot(store);
		return rest;
	};
	const auditOf = async (action: string) =>
		(await store.query<{ actor: string; subject: string; detail: any }>(`select actor, subject, detail from audit_log where action = $1 order by id`, [action]))
			.rows;
	const household = async (id: string) =>
		(await store.query<{ data: any; deleted: boolean }>(`select data, deleted from households where id = $1`, [id])).rows[0]!;
	const childrenOf = async (id: string) =>
		(
			await store.query<{ id: string; birth: string }>(
				`select id::text, data->>'birthYm' as birth from children where household_id = $1 and not deleted order by data->>'birthYm', id`,
				[id]
			)
		).rows;
	const load = async (fn: unknown, path: string, o: { token?: string; params?: Record<string, string> } = {}) => {
		const r = (await call(fn, centreEvent(path, { token: tokens.coordinator, ...o }))) as any;
		expect(r.kind, JSON.stringify(r)).toBe('ok');
		return r.value;
	};
	const act = (fn: unknown, path: string, form: Record<string, string>, o: { token?: string; params?: Record<string, string> } = {}) =>
		call(fn, centreEvent(path, { token: tokens.coordinator, form, ...o })) as Promise<any>;

	describe('who may use them', () => {
		it('sends a signed-out visitor to the sign-in page and refuses a consultant (403), every page and action, changing nothing', async () => {
			const before = await snapshot();
			const params = { id: h1.id };
			const cases: Array<[unknown, string, Record<string, string> | undefined, Record<string, string>]> = [
				[list.load, '/centre/families?card=' + h1.card, undefined, {}],
				[family.load, `/centre/families/${h1.id}`, undefined, params],
				[merge.load, `/centre/families/merge?keep=${h1.card}&duplicate=${h2.card}`, undefined, {}],
				[family.actions.addChild, `/centre/families/${h1.id}?/addChild`, { birthYm: '2026-01' }, params],
				[family.actions.reissue, `/centre/families/${h1.id}?/reissue`, { confirm: 'yes' }, params],
				[merge.actions.merge, '/centre/families/merge?/merge', { keepId: h1.id, duplicateId: h2.id, confirm: 'yes' }, {}]
			];
			for (const [fn, path, form, p] of cases) {
				const out = await call(fn, centreEvent(path, { form, params: p }));
				expect(out.kind, path).toBe('redirect');
				expect((out as { location: string }).location).toMatch(/^\/centre\/login\?next=%2Fcentre%2Ffamilies/);
				const refused = await call(fn, centreEvent(path, { form, params: p, token: tokens.a }));
				expect(refused, path).toEqual({ kind: 'error', status: 403, message: 'この操作を行う権限がありません' });
			}
			expect(await snapshot()).toEqual(before);
		});
	});

	describe('finding a family', () => {
		it('finds a family by its card typed any way the kiosk reads it, and shows what a coordinator needs', async () => {
			for (const typed of [h1.card, formatCardCode(h1.card).toLowerCase(), ` ${formatCardCode(h1.card)} `]) {
				const d = await load(list.load, `/centre/families?card=${encodeURIComponent(typed)}`);
				expect(d.errors).toBeNull();
				expect(d.result.rows).toEqual([
					{
						id: h1.id,
						cardCode: h1.card,
						nickname: 'はる',
						areaKind: 'ward',
						town: '本町1丁目',
						births: ['2022-01', '2025-06'],
						registeredSite: '若葉児童館',
						lastVisit: { date: '2026-05-20', site: '中央公園' }
					}
				]);
			}
			expect((await load(list.load, `/centre/families?card=${makeCardCode()}`)).result).toEqual({ rows: [], more: false, retired: null });
			// Nothing asked yet: the form alone.
			expect((await load(list.load, '/centre/families')).result).toBeNull();
		});

		it('finds families by a child’s birth month and a site where they registered or came', async () => {
			const ids = async (q: string) => (await load(list.load, `/centre/families?${q}`)).result.rows.map((r: { id: string }) => r.id).sort();
			expect(await ids(`birth=2025-06&site=${log.sites.sakura}`)).toEqual([h2.id]);
			expect(await ids(`birth=2025-06&site=${log.sites.koen}`)).toEqual([h1.id, h2.id, h3.id].sort());
			expect(await ids(`birth=2022-01&site=${log.sites.koen}`)).toEqual([h1.id]);
			expect(await ids(`birth=2023-10&site=${log.sites.wakaba}`)).toEqual([h2.id]); // its card alone was seen there
			expect(await ids(`birth=2024-01&site=${log.sites.koen}`)).toEqual([]);
		});

		it('answers a search it cannot run in Japanese at the field, and runs nothing', async () => {
			const cases: Array<[string, Record<string, string>]> = [
				[
					`card=${h1.card.slice(0, 16)}${h1.card[16] === '0' ? '1' : '0'}`,
					{ card: 'カード番号が正しくありません。読み間違いや打ち間違いがないか確かめてください' }
				],
				['card=ABC', { card: 'カード番号は17文字です（ハイフンや空白は無くてもかまいません）' }],
				['card=https%3A%2F%2Fexample.com', { card: 'カード番号は英数字とハイフンで入力してください' }],
				['birth=2025-06', { site: '生まれた年月で探すときは会場も選んでください' }],
				[`site=${log.sites.koen}`, { birth: '会場で探すときはお子さんの生まれた年月も指定してください' }],
				[`birth=2025-13&site=${log.sites.koen}`, { birth: 'お子さんの生まれた年月は 2025-06 の形で指定してください' }],
				['birth=2025-06&site=not-a-site', { site: '会場の指定が正しくありません' }]
			];
			for (const [q, errors] of cases) {
				const d = await load(list.load, `/centre/families?${q}`);
				expect(d.errors, q).toEqual(errors);
				expect(d.result).toBeNull();
			}
		});
	});

	describe('a family’s page', () => {
		it('shows its children with today’s age band, its visits, registration and card, and audits the opening', async () => {
			const d = await load(family.load, `/centre/families/${h1.id}`, { params: { id: h1.id } });
			expect(d.family.household).toMatchObject({ cardCode: h1.card, nickname: 'はる', town: '本町1丁目', cardPrintRequested: false });
			expect(d.family.registeredSite).toBe('若葉児童館');
			expect(d.family.children.map((c: { birthYm: string }) => c.birthYm)).toEqual(['2022-01', '2025-06']);
			expect(d.family.children[0].band).toMatch(/歳|就学児/);
			expect(d.family.visits.map((v: any) => [v.date, v.site, v.adults, v.children, v.method])).toEqual([
				['2026-05-20', '中央公園', 1, 1, 'camera'],
				['2026-04-10', '若葉児童館', 2, 2, 'camera']
			]);
			expect(d.family.oldCards).toEqual([]);
			expect(await auditOf('household.open')).toEqual([{ actor: `staff:${log.staff.coordinator}`, subject: h1.id, detail: null }]);
		});

		it('counts the visits made with its card alone, and answers 404 for a household that is not there', async () => {
			const d = await load(family.load, `/centre/families/${h2.id}`, { params: { id: h2.id } });
			expect(d.family.visits.map((v: { date: string }) => v.date)).toEqual(['2027-03-31', '2026-05-20', '2026-05-15']);
			for (const id of [uuidv7(), 'not-a-uuid']) {
				expect(await call(family.load, centreEvent(`/centre/families/${id}`, { token: tokens.coordinator, params: { id } }))).toEqual({
					kind: 'error',
					status: 404,
					message: '世帯が見つかりません'
				});
			}
		});
	});

	describe('adding a child', () => {
		it('adds a child with its birth month and nickname, which flows to tablets, audited without personal data', async () => {
			const r = await act(
				family.actions.addChild,
				`/centre/families/${h1.id}?/addChild`,
				{ birthYm: '2026-02', nickname: 'なっちゃん' },
				{ params: { id: h1.id } }
			);
			expect(r).toEqual({ kind: 'ok', value: { action: 'addChild', added: '2026-02' } });
			const kids = await store.query<{ id: string; data: any; seq: string; hlc: string }>(
				`select id::text, data, seq::text, hlc from children where household_id = $1 and data->>'birthYm' = '2026-02'`,
				[h1.id]
			);
			expect(kids.rows).toHaveLength(1);
			expect(kids.rows[0]!.data).toEqual({ householdId: h1.id, birthYm: '2026-02', nickname: 'なっちゃん' });
			expect(kids.rows[0]!.hlc).toMatch(/:centre$/);
			expect(await auditOf('child.create')).toEqual([{ actor: `staff:${log.staff.coordinator}`, subject: kids.rows[0]!.id, detail: { householdId: h1.id } }]);
			// Without a nickname.
			await act(family.actions.addChild, `/centre/families/${h1.id}?/addChild`, { birthYm: '2024-07', nickname: '  ' }, { params: { id: h1.id } });
			const plain = await store.query<{ data: any }>(`select data from children where household_id = $1 and data->>'birthYm' = '2024-07'`, [h1.id]);
			expect(plain.rows[0]!.data.nickname).toBeNull();
		});

		it('refuses a wrong birth month or nickname in Japanese at the field, adding nothing', async () => {
			const before = await snapshot();
			const cases: Array<[Record<string, string>, Record<string, string>]> = [
				[{}, { birthYm: 'お子さんの生まれた年月を入力してください' }],
				[{ birthYm: '2025/06' }, { birthYm: '生まれた年月は 2025-06 の形で入力してください' }],
				[{ birthYm: '2999-01' }, { birthYm: '生まれた年月が今月より後になっています' }],
				[{ birthYm: '1990-01' }, { birthYm: '生まれた年月が18年以上前になっています' }],
				[{ birthYm: '2025-01', nickname: 'あ'.repeat(21) }, { nickname: '呼び名は20文字までで入力してください' }],
				[{ birthYm: '2025-01', nickname: 'は\u0000る' }, { nickname: '呼び名に使えない文字が含まれています' }]
			];
			for (const [form, errors] of cases) {
				const r = await act(family.actions.addChild, `/centre/families/${h1.id}?/addChild`, form, { params: { id: h1.id } });
				expect(r.kind, JSON.stringify(form)).toBe('fail');
				expect(r.status).toBe(400);
				expect(r.data.errors).toEqual(errors);
				expect(r.data.action).toBe('addChild');
			}
			expect(await snapshot()).toEqual(before);
			expect((await act(family.actions.addChild, `/centre/families/${uuidv7()}?/addChild`, { birthYm: '2025-01' }, { params: { id: uuidv7() } })).status).toBe(
				404
			);
			expect(await snapshot()).toEqual(before);
		});
	});

	describe('reissuing a lost card', () => {
		it('gives the family a new card queued for printing and retires the old one, which then finds the family and says so', async () => {
			const r = await act(family.actions.reissue, `/centre/families/${h2.id}?/reissue`, { confirm: 'yes' }, { params: { id: h2.id } });
			expect(r.kind).toBe('ok');
			const h = await household(h2.id);
			expect(h.data.cardCode).toBe(r.value.reissued);
			expect(h.data.cardCode).not.toBe(h2.card);
			expect(h.data.cardPrintRequested).toBe(true);
			const retired = await store.query<{ data: any; household_id: string; hlc: string }>(`select data, household_id::text, hlc from card_retirements`);
			expect(retired.rows).toEqual([
				{
					data: { cardCode: h2.card, reason: 'reissued', retiredOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
					household_id: h2.id,
					hlc: expect.stringMatching(/:centre$/)
				}
			]);
			// The visit made with the old card alone now names the family (it would no longer count for it).
			const v = await store.query<{ household_id: string; data: any }>(`select household_id::text, data from visits where id = $1`, [h2.cardVisit]);
			expect(v.rows[0]).toMatchObject({ household_id: h2.id, data: { cardCode: h2.card, childIds: [h2.sibling, h2.twin] } });
			const [audited] = await auditOf('card.reissue');
			expect(audited).toEqual({ actor: `staff:${log.staff.coordinator}`, subject: h2.id, detail: { retirementId: expect.any(String), resolvedVisits: 1 } });
			expect(JSON.stringify(audited)).not.toContain(h2.card);

			const old = await load(list.load, `/centre/families?card=${h2.card}`);
			expect(old.result.rows.map((x: { id: string }) => x.id)).toEqual([h2.id]);
			expect(old.result.retired).toMatchObject({ reason: 'reissued' });
			const page = await load(family.load, `/centre/families/${h2.id}`, { params: { id: h2.id } });
			expect(page.family.oldCards).toEqual([{ cardCode: h2.card, reason: 'reissued', retiredOn: expect.any(String) }]);
			expect(page.family.visits).toHaveLength(3);
		});

		it('reissues only once it is confirmed, answering in Japanese and changing nothing', async () => {
			const before = await snapshot();
			const r = await act(family.actions.reissue, `/centre/families/${h1.id}?/reissue`, {}, { params: { id: h1.id } });
			expect(r).toMatchObject({
				kind: 'fail',
				status: 400,
				data: { action: 'reissue', errors: { confirm: '古いカードが使えなくなることを確認したら、確認のチェックを入れてください' } }
			});
			expect(await snapshot()).toEqual(before);
		});
	});

	describe('merging a family registered twice', () => {
		const ward2026 = () => attendance(store, { siteIds: null }, { from: '2026-04-01', to: '2027-03-31' }, '2027-06-01');

		it('previews what moves, then moves visits and children in one go, and the reports count the family once', async () => {
			const before = await ward2026();
			expect(before.distinct.households).toBe(2);
			expect(before.visits.families).toBe(5);
			expect(before.distinct.children).toBe(4);

			const preview = await load(merge.load, `/centre/families/merge?keep=${formatCardCode(h1.card)}&duplicate=${h2.card.toLowerCase()}`);
			expect(preview.errors).toBeNull();
			expect(preview.plan).toMatchObject({
				keep: { id: h1.id, visits: 2, children: [{ birthYm: '2022-01' }, { birthYm: '2025-06' }] },
				duplicate: { id: h2.id, visits: 3 },
				childrenMoved: [{ birthYm: '2023-10', nickname: null }],
				childrenMerged: [{ birthYm: '2025-06', nickname: 'はーちゃん', intoNickname: null }],
				visitsMoved: 2,
				visitsCombined: 1,
				sites: 1,
				consultations: 0
			});
			expect(await auditOf('household.merge')).toEqual([]);

			const r = await act(merge.actions.merge, '/centre/families/merge?/merge', { keepId: h1.id, duplicateId: h2.id, confirm: 'yes' });
			expect(r).toEqual({
				kind: 'ok',
				value: { merged: { keepId: h1.id, visitsMoved: 2, visitsCombined: 1, childrenMoved: 1, childrenMerged: 1, consultationsMoved: 0 } }
			});

			// The duplicate is gone, its card retired and leading to the kept family.
			const dup = await household(h2.id);
			expect(dup.deleted).toBe(true);
			expect(dup.data.cardPrintRequested).toBe(false);
			const retired = await store.query<{ data: any; household_id: string }>(`select data, household_id::text from card_retirements`);
			expect(retired.rows).toEqual([{ data: { cardCode: h2.card, reason: 'merged', retiredOn: expect.any(String) }, household_id: h1.id }]);
			// Children: the 2025-06 child is the baby (who takes its nickname); the 2023-10 sibling moved.
			expect(await childrenOf(h1.id)).toEqual(
				[
					{ id: h1.older, birth: '2022-01' },
					{ id: h2.sibling, birth: '2023-10' },
					{ id: h1.baby, birth: '2025-06' }
				].sort((a, b) => a.birth.localeCompare(b.birth) || a.id.localeCompare(b.id))
			);
			expect(await childrenOf(h2.id)).toEqual([]);
			const baby = await store.query<{ data: any }>(`select data from children where id = $1`, [h1.baby]);
			expect(baby.rows[0]!.data.nickname).toBe('はーちゃん');
			const twin = await store.query<{ deleted: boolean }>(`select deleted from children where id = $1`, [h2.twin]);
			expect(twin.rows[0]!.deleted).toBe(true);
			// Visits: every live one names the kept family and its children; each keeps its card.
			const visits = await store.query<{ id: string; data: any; deleted: boolean }>(
				`select id::text, data, deleted from visits order by data->>'checkedInAt', id`
			);
			const live = visits.rows.filter((v) => !v.deleted);
			expect(live.map((v) => v.data.householdId)).toEqual([h1.id, h1.id, h1.id, h1.id]);
			expect(live.map((v) => v.data.cardCode)).toEqual([h1.card, h2.card, h1.card, h2.card]);
			const koen = live.find((v) => v.data.sessionId === log.sessions.koen)!;
			expect(koen.data).toMatchObject({ cardCode: h1.card, childIds: [h1.baby], adults: 2 });
			const may = live.find((v) => v.data.sessionId === log.sessions.may)!;
			expect(new Set(may.data.childIds)).toEqual(new Set([h1.baby, h2.sibling]));
			expect(visits.rows.filter((v) => v.deleted)).toHaveLength(1);
			// The kept family is held where the duplicate was seen too (its tablets get it).
			const held = await store.query<{ site_id: string }>(`select site_id::text from household_sites where household_id = $1 and live order by site_id`, [
				h1.id
			]);
			expect(held.rows.map((x) => x.site_id)).toContain(log.sites.sakura);

			const after = await ward2026();
			expect(after.distinct.households).toBe(1);
			expect(after.visits.families).toBe(4);
			expect(after.distinct.children).toBe(3);
			expect(after.visits.adults).toBe(before.visits.adults - 1); // the two visits at 中央公園: 1 + 2 adults became one of 2

			const [audited] = await auditOf('household.merge');
			expect(audited).toEqual({
				actor: `staff:${log.staff.coordinator}`,
				subject: h1.id,
				detail: { duplicateId: h2.id, keepId: h1.id, visitsMoved: 2, visitsCombined: 1, childrenMoved: 1, childrenMerged: 1, consultationsMoved: 0 }
			});
			// The duplicate's page now leads to the kept family's.
			expect(await call(family.load, centreEvent(`/centre/families/${h2.id}`, { token: tokens.coordinator, params: { id: h2.id } }))).toEqual({
				kind: 'redirect',
				location: `/centre/families/${h1.id}?merged=1`
			});
			// Merging again is refused: the duplicate is gone, and its card is an old one now.
			expect(await act(merge.actions.merge, '/centre/families/merge?/merge', { keepId: h1.id, duplicateId: h2.id, confirm: 'yes' })).toMatchObject({
				kind: 'fail',
				status: 400,
				data: { errors: { form: expect.stringContaining('見つかりません') } }
			});
			const again = await load(merge.load, `/centre/families/merge?keep=${h1.card}&duplicate=${h2.card}`);
			expect(again.errors).toEqual({ duplicate: 'まとめる世帯のカード番号は使われなくなった古い番号です。今のカード番号を入力してください' });
		});

		it('moves the duplicate’s consultations to the kept family and child with their notes, and takes a tablet’s later revision of one', async () => {
			const ring = await getKeyring();
			const [about, aboutSibling] = [uuidv7(), uuidv7()];
			const note = '言葉が遅いのではと心配。';
			const consulted = (childId: string, sealed: string | null) =>
				f.consultation(log.sessions.may, log.staff.b, { householdId: h2.id, childId, sealed, consultedAt: '2026-05-15T01:30:00.000Z' });
			const sealedNote = await sealConsultationText(ring.recipient, about, { note, followUpNote: null });
			await store.transaction((tx) =>
				writeCentreRecords(tx, 'consultations', [
					{ id: about, data: consulted(h2.twin, sealedNote) },
					{ id: aboutSibling, data: consulted(h2.sibling, null) }
				])
			);
			const preview = await load(merge.load, `/centre/families/merge?keep=${h1.card}&duplicate=${h2.card}`);
			expect(preview.plan.consultations).toBe(2);
			const r = await act(merge.actions.merge, '/centre/families/merge?/merge', { keepId: h1.id, duplicateId: h2.id, confirm: 'yes' });
			expect(r.value.merged.consultationsMoved).toBe(2);

			const consultation = async (id: string) =>
				(await store.query<{ data: any; hlc: string }>(`select data, hlc from consultations where id = $1`, [id])).rows[0]!;
			// The twin became the kept baby; the sibling moved as they were.
			expect((await consultation(about)).data).toMatchObject({ householdId: h1.id, childId: h1.baby, sealed: null });
			expect((await consultation(aboutSibling)).data).toMatchObject({ householdId: h1.id, childId: h2.sibling });
			expect((await consultation(about)).hlc).toMatch(/:centre$/);
			// Nothing of the family kept is left on the duplicate, and the note reads as it was written.
			const left = await store.query(`select 1 from consultations where household_id = $1 and not deleted`, [h2.id]);
			expect(left.rows).toEqual([]);
			const show = async (id: string) =>
				((await call(detail.load, centreEvent(`/centre/consultations/${id}`, { token: tokens.coordinator, params: { id } }))) as any).value.consultation;
			expect((await show(about)).note).toEqual({ kind: 'text', note, followUpNote: null });

			// A 桜台 tablet that recorded the sibling's consultation before the merge corrects it now:
			// it still names the duplicate and the child as it knew them. Taken, and named for the family kept.
			const sakura = await enrollDevice(store, [log.sites.sakura], '桜台 1');
			const corrected = '言葉の相談。次回、保健センターの案内を渡す。';
			const revision: Change<'consultations'> = {
				table: 'consultations',
				id: aboutSibling,
				hlc: hlcAfter(null, deviceNode(sakura.deviceId), Date.now()),
				deleted: false,
				data: { ...consulted(h2.sibling, await sealConsultationText(ring.recipient, aboutSibling, { note: corrected, followUpNote: null })), durationMin: 30 }
			};
			const res = await api(`${BASE_URL}/api/v1/sync/push`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${sakura.token}` },
				body: JSON.stringify({ protocol: 1, changes: [revision] })
			});
			expect(((await res.json()) as { results: PushResult[] }).results.map((x) => x.error?.code ?? x.status)).toEqual(['applied']);
			expect((await consultation(aboutSibling)).data).toMatchObject({ householdId: h1.id, childId: h2.sibling, durationMin: 30 });
			const shown = await show(aboutSibling);
			expect(shown.note).toEqual({ kind: 'text', note: corrected, followUpNote: null });
			expect(shown.durationMin).toBe(30);
		});

		it('refuses a merge it cannot do in Japanese at the field, changing nothing', async () => {
			const before = await snapshot();
			const previews: Array<[string, Record<string, string>]> = [
				[`keep=${h1.card}&duplicate=${h1.card}`, { duplicate: '残す世帯とまとめる世帯に同じカード番号が指定されています' }],
				[`keep=${h1.card}`, { duplicate: 'まとめる世帯のカード番号を入力してください' }],
				[`keep=${h1.card}&duplicate=ABC`, { duplicate: 'カード番号は17文字です（ハイフンや空白は無くてもかまいません）' }],
				[`keep=${makeCardCode()}&duplicate=${h2.card}`, { keep: '残す世帯のカード番号に当たる世帯がありません' }]
			];
			for (const [q, errors] of previews) {
				const d = await load(merge.load, `/centre/families/merge?${q}`);
				expect(d.errors, q).toEqual(errors);
				expect(d.plan).toBeNull();
			}
			const forms: Array<[Record<string, string>, Record<string, string>]> = [
				[{ keepId: h1.id, duplicateId: h2.id }, { confirm: '内容を確認したら、確認のチェックを入れてください' }],
				[{ keepId: 'x', duplicateId: h2.id, confirm: 'yes' }, { keepId: '残す世帯の指定が正しくありません' }],
				[{ keepId: h1.id, duplicateId: h1.id, confirm: 'yes' }, { form: '残す世帯とまとめる世帯が同じです' }]
			];
			for (const [form, errors] of forms) {
				const r = await act(merge.actions.merge, '/centre/families/merge?/merge', form);
				expect(r, JSON.stringify(form)).toMatchObject({ kind: 'fail', status: 400, data: { errors } });
			}
			expect(await snapshot()).toEqual(before);
		});
	});

	describe('a tablet’s visit with a card retired meanwhile', () => {
		const stampOf = (deviceId: string) => hlcAfter(null, deviceNode(deviceId), Date.now());
		const push = async (dev: { deviceId: string; token: string }, changes: Change[]): Promise<string[]> => {
			const res = await api(`${BASE_URL}/api/v1/sync/push`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.token}` },
				body: JSON.stringify({ protocol: 1, changes })
			});
			expect(res.status).toBe(200);
			return ((await res.json()) as { results: PushResult[] }).results.map((x) => (x.status === 'rejected' ? `rejected:${x.error!.code}` : x.status));
		};
		const pullAll = async (dev: { token: string }) => {
			const res = await api(`${BASE_URL}/api/v1/sync/pull?since=0&limit=5000`, { headers: { authorization: `Bearer ${dev.token}` } });
			return (await res.json()) as PullResponse;
		};
		const visitOf = async (id: string) => (await store.query<{ data: any; hlc: string }>(`select data, hlc from visits where id = $1`, [id])).rows[0]!;
		const visit = (dev: { deviceId: string }, sessionId: string, o: Parameters<typeof f.visit>[1]): Change<'visits'> => ({
			table: 'visits',
			id: uuidv7(),
			hlc: stampOf(dev.deviceId),
			deleted: false,
			data: f.visit(sessionId, o)
		});

		it('counts a visit made with an old card on a tablet that does not hold the family for that family, without giving that tablet the family', async () => {
			await act(family.actions.reissue, `/centre/families/${h1.id}?/reissue`, { confirm: 'yes' }, { params: { id: h1.id } });
			// 桜台 neither registered nor saw H1: its tablet checked the old card in as unknown.
			// Today, so that the site's tablets share the visit (pull.ts).
			const [today] = await store.transaction((tx) =>
				writeCentreRecords(tx, 'sessions', [{ data: f.session(log.sites.sakura, { date: tokyoDate(), status: 'open' }) }])
			);
			const sakura = await enrollDevice(store, [log.sites.sakura], '桜台 1');
			const v = visit(sakura, today!, { householdId: null, cardCode: h1.card });
			expect(await push(sakura, [v])).toEqual(['applied']);
			const stored = await visitOf(v.id);
			expect(stored.data).toMatchObject({ householdId: h1.id, cardCode: h1.card, childIds: [h1.older, h1.baby] });
			expect(stored.hlc).toMatch(/:centre$/);
			const page = await pullAll(sakura);
			// The retirement reaches every tablet (no household id in it); the family does not reach this one.
			expect(page.changes.filter((c) => c.table === 'card_retirements').map((c) => c.data)).toEqual([
				{ cardCode: h1.card, reason: 'reissued', retiredOn: expect.any(String) }
			]);
			expect(page.changes.some((c) => c.table === 'households' && c.id === h1.id)).toBe(false);
			// The resolved version comes back to the tablet that made the visit.
			expect(page.changes.find((c) => c.id === v.id)?.data).toMatchObject({ householdId: h1.id });
			const counted = await attendance(store, { siteIds: null }, { from: tokyoDate(), to: tokyoDate(), siteId: log.sites.sakura }, tokyoDate());
			expect(counted.distinct.households).toBe(1);
			expect(counted.visits.families).toBe(1);
			expect(counted.distinct.children).toBe(2);
		});

		it('accepts a visit naming a held family with its old card, and a visit naming a merged-away family, counted for the family kept', async () => {
			await act(family.actions.reissue, `/centre/families/${h1.id}?/reissue`, { confirm: 'yes' }, { params: { id: h1.id } });
			const wakaba = await enrollDevice(store, [log.sites.wakaba], '若葉 1');
			const held = visit(wakaba, log.sessions.mar, { householdId: h1.id, cardCode: h1.card, childIds: [h1.baby] });
			// Another family's old card is still not this family's.
			const wrong = visit(wakaba, log.sessions.mar, { householdId: h1.id, cardCode: h3.card, childIds: [] });
			expect(await push(wakaba, [held, wrong])).toEqual(['applied', 'rejected:forbidden_household']);
			expect((await visitOf(held.id)).data).toMatchObject({ householdId: h1.id, cardCode: h1.card });

			// H2 is merged into H1 while a 桜台 tablet, holding H2, is offline with a visit by H2's card.
			const sakura = await enrollDevice(store, [log.sites.sakura], '桜台 1');
			const offline = visit(sakura, log.sessions.may, { householdId: h2.id, cardCode: h2.card, childIds: [h2.twin, h2.sibling], adults: 1 });
			const newCard = (await household(h1.id)).data.cardCode;
			const m = await load(merge.load, `/centre/families/merge?keep=${newCard}&duplicate=${h2.card}`);
			expect(m.errors).toBeNull();
			await act(merge.actions.merge, '/centre/families/merge?/merge', { keepId: h1.id, duplicateId: h2.id, confirm: 'yes' });
			expect(await push(sakura, [offline])).toEqual(['applied']);
			expect((await visitOf(offline.id)).data).toMatchObject({ householdId: h1.id, cardCode: h2.card });
			expect(new Set((await visitOf(offline.id)).data.childIds)).toEqual(new Set([h1.baby, h2.sibling]));
			// The merged-away family's record and children no longer change from a tablet.
			const edit: Change<'households'> = {
				table: 'households',
				id: h2.id,
				hlc: stampOf(sakura.deviceId),
				deleted: false,
				data: f.household({ cardCode: h2.card, areaKind: 'outside', town: null, registeredSiteId: log.sites.sakura })
			};
			const child: Change<'children'> = {
				table: 'children',
				id: h2.sibling,
				hlc: stampOf(sakura.deviceId),
				deleted: false,
				data: f.child(h2.id, { birthYm: '2023-10' })
			};
			expect(await push(sakura, [edit, child])).toEqual(['rejected:forbidden_household', 'rejected:forbidden_household']);
			expect((await household(h2.id)).deleted).toBe(true);
		});
	});
});
