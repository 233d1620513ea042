/**
 * The ward's 町丁 list at the centre (/centre/towns) through its real handlers: who may manage it,
 * adding, editing and pasting towns (each audited, bad input answered in Japanese with nothing
 * changed), and what reaches a tablet at its next pull.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { buildPull } from '$lib/server/sync/pull';
import { authenticateDevice } from '$lib/server/auth/devices';
import * as list from './(app)/towns/+page.server';
import * as edit from './(app)/towns/[id]/+page.server';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import { enrollDevice } from '../../../tests/centre';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

describe.each(testStores())('the town list at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { consultant: string; coordinator: string };

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		tokens = { consultant: await signedIn(store, log.staff.a), coordinator: await signedIn(store, log.staff.coordinator) };
	});

	const towns = async () =>
		(
			await store.query<{ name: string; kana: string; romaji: string; sort: number; active: boolean }>(
				`select data->>'nameJa' as name, data->>'kana' as kana, data->>'romaji' as romaji, (data->>'sort')::int as sort, (data->>'active')::boolean as active
			 from towns where not deleted order by (data->>'sort')::int`
			)
		).rows;
	const audits = async (action: string) =>
		(
			await store.query<{ actor: string; subject: string | null; detail: Record<string, unknown> }>(
				`select actor, subject, detail from audit_log where action = $1 order by id`,
				[action]
			)
		).rows;
	const create = (form: Record<string, string>, token = tokens.coordinator) => call(list.actions.create, centreEvent('/centre/towns?/create', { token, form }));

	it('is for coordinators and admins: a consultant is refused, a signed-out visitor sent to sign in, and nothing changes', async () => {
		expect(await call(list.load, centreEvent('/centre/towns', { token: tokens.consultant }))).toMatchObject({ kind: 'error', status: 403 });
		expect(await call(list.load, centreEvent('/centre/towns'))).toMatchObject({ kind: 'redirect', location: '/centre/login?next=%2Fcentre%2Ftowns' });
		expect(await create({ nameJa: '本町1丁目' }, tokens.consultant)).toMatchObject({ kind: 'error', status: 403 });
		expect(await call(list.actions.import, centreEvent('/centre/towns?/import', { form: { lines: '本町1丁目' } }))).toMatchObject({ kind: 'redirect' });
		expect(await towns()).toEqual([]);
		expect(await audits('town.create')).toEqual([]);
	});

	it('adds a town with its readings (katakana and full-width typed are normalised), audited, and lists it with its households', async () => {
		expect(await create({ nameJa: '本町1丁目', kana: 'ホンチョウ１チョウメ', romaji: 'Ｈｏｎｃｈｏ 1-chome' })).toMatchObject({
			kind: 'ok',
			value: { created: '本町1丁目' }
		});
		expect(await create({ nameJa: '若葉町', kana: '', romaji: '' })).toMatchObject({ kind: 'ok' });
		expect(await towns()).toEqual([
			{ name: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome', sort: 10, active: true },
			{ name: '若葉町', kana: '', romaji: '', sort: 20, active: true }
		]);
		expect(await audits('town.create')).toEqual([
			expect.objectContaining({ actor: `staff:${log.staff.coordinator}`, detail: { nameJa: '本町1丁目' } }),
			expect.objectContaining({ detail: { nameJa: '若葉町' } })
		]);
		await store.transaction((tx) => writeCentreRecords(tx, 'households', [{ data: f.household({ areaKind: 'ward', town: '本町1丁目' }) }]));
		const page = (await call(list.load, centreEvent('/centre/towns', { token: tokens.coordinator }))) as {
			value: { towns: Array<{ nameJa: string; households: number }> };
		};
		expect(page.value.towns.map((t) => [t.nameJa, t.households])).toEqual([
			['本町1丁目', 1],
			['若葉町', 0]
		]);
	});

	it('refuses a bad town with a Japanese message at the field, and changes nothing', async () => {
		await create({ nameJa: '本町1丁目' });
		const cases: Array<[Record<string, string>, string, string]> = [
			[{ nameJa: '' }, 'nameJa', '名称を入力してください'],
			[{ nameJa: '本町1丁目' }, 'nameJa', 'その名称の町丁はすでにあります'],
			[{ nameJa: '新町', kana: 'しんまち漢字' }, 'kana', 'よみはひらがなで入力してください'],
			[{ nameJa: '新町', romaji: 'しんまち' }, 'romaji', 'ローマ字は半角の英字で入力してください（例: Honcho 1-chome）'],
			[{ nameJa: '新町', sort: 'abc' }, 'sort', '表示順は数字で入力してください'],
			[{ nameJa: 'あ'.repeat(41) }, 'nameJa', '名称は40文字以内で入力してください']
		];
		for (const [form, field, message] of cases) {
			const r = await create(form);
			expect(r, JSON.stringify(form)).toMatchObject({ kind: 'fail', status: 400, data: { errors: { [field]: message } } });
		}
		expect((await towns()).map((t) => t.name)).toEqual(['本町1丁目']);
		expect(await audits('town.create')).toHaveLength(1);
	});

	it('edits a town, retires it from the kiosk, and refuses a name another town has', async () => {
		await create({ nameJa: '本町1丁目' });
		await create({ nameJa: '本町2丁目' });
		const id = (await store.query<{ id: string }>(`select id::text from towns where name_ja = '本町1丁目'`)).rows[0]!.id;
		const update = (form: Record<string, string>, token = tokens.coordinator) =>
			call(edit.actions.update, centreEvent(`/centre/towns/${id}?/update`, { token, params: { id }, form }));
		expect(
			await update({ nameJa: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome', sort: '5', active: 'false' }, tokens.consultant)
		).toMatchObject({
			kind: 'error',
			status: 403
		});
		expect(await update({ nameJa: '本町2丁目' })).toMatchObject({ kind: 'fail', data: { errors: { nameJa: 'その名称の町丁はすでにあります' } } });
		expect(await update({ nameJa: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome', sort: '5', active: 'false' })).toMatchObject({
			kind: 'redirect',
			location: '/centre/towns?saved=%E6%9C%AC%E7%94%BA1%E4%B8%81%E7%9B%AE'
		});
		expect((await towns())[0]).toEqual({ name: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome', sort: 5, active: false });
		expect(await update({ nameJa: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome', sort: '5', active: 'false' })).toMatchObject({
			kind: 'fail',
			data: { errors: { form: '変更された項目がありません' } }
		});
		expect(await audits('town.update')).toEqual([expect.objectContaining({ subject: id, detail: { fields: ['kana', 'romaji', 'sort', 'active'] } })]);
		expect(await call(edit.load, centreEvent('/centre/towns/x', { token: tokens.coordinator, params: { id: 'not-a-uuid' } }))).toMatchObject({
			kind: 'error',
			status: 404
		});
	});

	it('takes a pasted list whole or not at all, filling readings of towns it already has', async () => {
		await create({ nameJa: '本町1丁目' });
		const paste = (lines: string) => call(list.actions.import, centreEvent('/centre/towns?/import', { token: tokens.coordinator, form: { lines } }));
		const bad = await paste('本町1丁目\tほんちょう1ちょうめ\tHoncho 1-chome\n若葉町,わかばちょう,Wakabacho\n桜台,サクラ台,Sakuradai\n\n若葉町,,');
		expect(bad).toMatchObject({
			kind: 'fail',
			status: 400,
			data: { importErrors: ['3行目: よみはひらがなで入力してください', '5行目: 「若葉町」が2回あります'] }
		});
		expect((await towns()).map((t) => [t.name, t.kana])).toEqual([['本町1丁目', '']]);
		expect(await paste('本町1丁目\tほんちょう1ちょうめ\tHoncho 1-chome\r\n若葉町、わかばちょう、Wakabacho\n桜台')).toMatchObject({
			kind: 'ok',
			value: { imported: { added: 2, updated: 1, unchanged: 0 } }
		});
		expect(await towns()).toEqual([
			{ name: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome', sort: 10, active: true },
			{ name: '若葉町', kana: 'わかばちょう', romaji: 'Wakabacho', sort: 20, active: true },
			{ name: '桜台', kana: '', romaji: '', sort: 30, active: true }
		]);
		expect(await audits('town.import')).toEqual([expect.objectContaining({ detail: { lines: 3, added: 2, updated: 1, unchanged: 0 } })]);
		expect(await paste('   ')).toMatchObject({ kind: 'fail', data: { importErrors: ['取り込む町丁を1行に1つずつ入力してください'] } });
	});

	it('sends the list to every tablet at its next pull, and a change after it', async () => {
		const { token } = await enrollDevice(store, [log.sites.sakura], 'さくら1');
		const device = await authenticateDevice(store, `Bearer ${token}`, 'pull');
		await create({ nameJa: '本町1丁目', kana: 'ほんちょう1ちょうめ' });
		const first = await buildPull(store, device, '0', 1000);
		expect(first.changes.filter((c) => c.table === 'towns').map((c) => c.data)).toEqual([
			{ nameJa: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: '', sort: 10, active: true }
		]);
		const id = first.changes.find((c) => c.table === 'towns')!.id;
		await call(
			edit.actions.update,
			centreEvent(`/centre/towns/${id}?/update`, { token: tokens.coordinator, params: { id }, form: { nameJa: '本町1丁目', active: 'false' } })
		);
		const next = await buildPull(store, device, first.cursor, 1000);
		expect(next.changes.map((c) => [c.table, (c.data as { active?: boolean }).active])).toEqual([['towns', false]]);
	});
});
