/**
 * The centre's consultation and follow-up pages through their real handlers: who may reach each
 * page and action, what each shows, and what each leaves in the audit log.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { makeSealKeyPair, importSealRecipient, sealConsultationText } from '$lib/domain/seal';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import * as list from './(app)/consultations/+page.server';
import * as detail from './(app)/consultations/[id]/+page.server';
import ExcelJS from 'exceljs';
import * as exporter from './(app)/consultations/export/+server';
import * as stats from './(app)/consultations/stats/+page.server';
import * as queue from './(app)/followups/+page.server';
import * as casePage from './(app)/followups/[id]/+page.server';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, seedConsultationLog, signedIn, type ConsultationLog } from '../../../tests/consultation-log';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

describe.each(testStores())('consultation pages at the centre on $name', (ts) => {
	let store: Store;
	let log: ConsultationLog;
	let tokens: { a: string; b: string; coordinator: string };

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		log = await seedConsultationLog(store);
		tokens = { a: await signedIn(store, log.staff.a), b: await signedIn(store, log.staff.b), coordinator: await signedIn(store, log.staff.coordinator) };
	});

	const auditRows = async (action: string) =>
		(
			await store.query<{ actor: string; subject: string | null; detail: any }>(`select actor, subject, detail from audit_log where action = $1 order by id`, [
				action
			])
		).rows;
	const caseRow = async (id: string) =>
		(
			await store.query<{ status: string; version: number; owner: string | null; due: string | null }>(
				`select status, version, owner_staff_id::text as owner, due_date as due from followup_cases where id = $1`,
				[id]
			)
		).rows[0]!;
	const updateForm = (o: Record<string, string>) => ({ version: '1', status: 'open', ...o });

	/** Every page and action of the issue, as `who` would call it. */
	function everyHandler(token: string | undefined) {
		return [
			['list', () => call(list.load, centreEvent('/centre/consultations', { token }))],
			['detail', () => call(detail.load, centreEvent(`/centre/consultations/${log.c.c3}`, { token, params: { id: log.c.c3 } }))],
			['export', () => call(exporter.GET, centreEvent('/centre/consultations/export', { token }))],
			['stats', () => call(stats.load, centreEvent('/centre/consultations/stats', { token }))],
			['queue', () => call(queue.load, centreEvent('/centre/followups', { token }))],
			['case', () => call(casePage.load, centreEvent(`/centre/followups/${log.cases.c3}`, { token, params: { id: log.cases.c3 } }))],
			[
				'case update',
				() =>
					call(
						casePage.actions.update,
						centreEvent(`/centre/followups/${log.cases.c3}?/update`, { token, params: { id: log.cases.c3 }, form: updateForm({ status: 'in_progress' }) })
					)
			]
		] as const;
	}

	it('sends a signed-out visitor of every page and action to the sign-in page, and back afterwards', async () => {
		for (const [name, run] of everyHandler(undefined)) {
			const o = await run();
			expect(o.kind, name).toBe('redirect');
			expect((o as { location: string }).location, name).toMatch(/^\/centre\/login\?next=%2Fcentre%2F/);
		}
		expect((await caseRow(log.cases.c3)).version).toBe(1);
		expect(await auditRows('consultation.open')).toHaveLength(0);
	});

	it('refuses a consultant another site’s consultation and case, opening and changing nothing', async () => {
		const o = await call(detail.load, centreEvent(`/centre/consultations/${log.c.c3}`, { token: tokens.a, params: { id: log.c.c3 } }));
		expect(o).toMatchObject({ kind: 'error', status: 403, message: 'この相談記録を見る権限がありません' });
		const c = await call(casePage.load, centreEvent(`/centre/followups/${log.cases.c3}`, { token: tokens.a, params: { id: log.cases.c3 } }));
		expect(c).toMatchObject({ kind: 'error', status: 403 });
		const u = await call(
			casePage.actions.update,
			centreEvent(`/centre/followups/${log.cases.c3}`, {
				token: tokens.a,
				params: { id: log.cases.c3 },
				form: updateForm({ status: 'in_progress', comment: '見てはいけない' })
			})
		);
		expect(u).toMatchObject({ kind: 'error', status: 403 });
		expect(await caseRow(log.cases.c3)).toMatchObject({ status: 'open', version: 1 });
		expect((await store.query(`select 1 from followup_events where action = 'updated'`)).rows).toHaveLength(0);
		expect(await auditRows('consultation.open')).toHaveLength(0);
		expect(await auditRows('followup.open')).toHaveLength(0);
		expect(await auditRows('followup.update')).toHaveLength(0);
		expect((await auditRows('consultation.open_refused')).map((r) => [r.actor, r.subject])).toEqual([[`staff:${log.staff.a}`, log.c.c3]]);
		// The lists leave the other site out altogether.
		const l = (await call(list.load, centreEvent('/centre/consultations', { token: tokens.a }))) as any;
		expect(l.value.list.rows.map((r: any) => r.id).sort()).toEqual([log.c.c1, log.c.c2, log.c.c5, log.c.c6].sort());
		expect(l.value.options.sites.map((s: any) => s.nameJa)).toEqual(['若葉児童館']);
		const q = (await call(queue.load, centreEvent('/centre/followups', { token: tokens.a }))) as any;
		expect(q.value.cases.map((r: any) => r.id)).toEqual([log.cases.c2]);
	});

	it('puts the 相談員 first in every staff picker, then the others, each by name', async () => {
		// An admin and a second coordinator whose names sort before the consultants'; an inactive 相談員 owns no new case.
		const [admin, early, away] = await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [
				{ data: f.staffMember({ displayName: '管理者 松本', role: 'admin' }) },
				{ data: f.staffMember({ displayName: '=A コーディネーター', role: 'coordinator' }) },
				{ data: f.staffMember({ displayName: '相談員 休職中', siteIds: [log.sites.wakaba], active: false }) }
			])
		);
		const consultantsFirst = [log.staff.b, log.staff.a, early, log.staff.coordinator, admin];
		const l = (await call(list.load, centreEvent('/centre/consultations', { token: tokens.coordinator }))) as any;
		// The filter lists everyone who may have recorded a consultation, the inactive too.
		expect(l.value.options.staff.map((s: any) => s.id)).toEqual([log.staff.b, away, log.staff.a, early, log.staff.coordinator, admin]);
		const q = (await call(queue.load, centreEvent('/centre/followups', { token: tokens.coordinator }))) as any;
		expect(q.value.owners.map((s: any) => s.id)).toEqual(consultantsFirst);
		const c = (await call(casePage.load, centreEvent(`/centre/followups/${log.cases.c3}`, { token: tokens.coordinator, params: { id: log.cases.c3 } }))) as any;
		expect(c.value.owners.map((s: any) => s.displayName)).toEqual([
			'=HYPERLINK("http://x")',
			'相談員 青木',
			'=A コーディネーター',
			'コーディネーター 高橋',
			'管理者 松本'
		]);
	});

	it('lets a coordinator reach every page and action', async () => {
		for (const [name, run] of everyHandler(tokens.coordinator)) expect((await run()).kind, name).toBe('ok');
		expect(await caseRow(log.cases.c3)).toMatchObject({ status: 'in_progress', version: 2 });
	});

	it('shows a consultation with its note and every revision, and audits each showing', async () => {
		const show = () => call(detail.load, centreEvent(`/centre/consultations/${log.c.c1}`, { token: tokens.a, params: { id: log.c.c1 } }));
		const o = (await show()) as any;
		const c = o.value.consultation;
		expect(c.note).toEqual({ kind: 'text', note: log.NOTE, followUpNote: null });
		expect(c.topics).toEqual(['睡眠', '授乳・食事']);
		expect(c.durationMin).toBe(25);
		expect(c.revisions.map((r: any) => [r.durationMin, r.text?.note ?? null])).toEqual([
			[25, null],
			[10, log.NOTE]
		]);
		await show();
		const audits = await auditRows('consultation.open');
		expect(audits).toEqual([
			{ actor: `staff:${log.staff.a}`, subject: log.c.c1, detail: { revisions: 2 } },
			{ actor: `staff:${log.staff.a}`, subject: log.c.c1, detail: { revisions: 2 } }
		]);
		// The page and its data never stay in a cache.
		const missing = await call(detail.load, centreEvent(`/centre/consultations/${f.id()}`, { token: tokens.a, params: { id: f.id() } }));
		expect(missing).toMatchObject({ kind: 'error', status: 404 });
		expect(await call(detail.load, centreEvent('/centre/consultations/x', { token: tokens.a, params: { id: 'not-a-uuid' } }))).toMatchObject({
			kind: 'error',
			status: 404
		});
	});

	it('names the missing key of a note sealed to a key the centre no longer has, instead of failing', async () => {
		const lost = await makeSealKeyPair();
		const id = f.id();
		const sealed = await sealConsultationText(await importSealRecipient(lost), id, { note: '失われた鍵のメモ', followUpNote: null });
		await store.transaction((tx) => writeCentreRecords(tx, 'consultations', [{ id, data: f.consultation(log.sessions.apr, log.staff.a, { sealed }) }]));
		const o = (await call(detail.load, centreEvent(`/centre/consultations/${id}`, { token: tokens.coordinator, params: { id } }))) as any;
		expect(o.kind).toBe('ok');
		expect(o.value.consultation.note.kind).toBe('error');
		expect(o.value.consultation.note.message).toContain(`鍵「${lost.kid}」`);
		expect(o.value.consultation.note.message).toContain('鍵フォルダ');
	});

	it('exports the filtered list as CSV with a BOM, Japanese headers, no note and guarded cells, and audits it', async () => {
		const res = (await call(
			exporter.GET,
			centreEvent(`/centre/consultations/export?site=${log.sites.sakura}&from=2026-04-01`, { token: tokens.coordinator })
		)) as any;
		const response = res.value as Response;
		expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		const bytes = new Uint8Array(await response.arrayBuffer());
		expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const text = new TextDecoder().decode(bytes.slice(3));
		const lines = text.trimEnd().split('\r\n');
		expect(lines[0]).toBe('"相談ID","開催日","事業","会場","開始時刻","相談員","相談内容","所要時間（分）","緊急度","フォローアップ","ケースの状態","改訂数"');
		expect(lines).toHaveLength(2);
		expect(lines[1]).toBe(
			`"${log.c.c3}","2026/05/15","にこにこ","桜台児童館","10:00","'=HYPERLINK(""http://x"")","ことば","10","要注意","保健相談所へつなぐ","未着手","1"`
		);
		expect(text).not.toContain(log.NOTE);
		expect(await auditRows('consultation.export')).toEqual([
			{ actor: `staff:${log.staff.coordinator}`, subject: null, detail: { filter: { site: log.sites.sakura, from: '2026-04-01' }, format: 'csv', rows: 1 } }
		]);
		// The same as .xlsx: the row with its date as a date cell; audited as such.
		const xlsx = (await call(
			exporter.GET,
			centreEvent(`/centre/consultations/export?site=${log.sites.sakura}&from=2026-04-01&format=xlsx`, { token: tokens.coordinator })
		)) as any;
		const book = new ExcelJS.Workbook();
		await book.xlsx.load(await (xlsx.value as Response).arrayBuffer());
		const sheet = book.worksheets[0]!;
		expect(sheet.getRow(3).getCell(2).value).toBe('開催日');
		expect(sheet.getRow(4).getCell(1).value).toBe(log.c.c3);
		expect(sheet.getRow(4).getCell(2).value).toEqual(new Date('2026-05-15T00:00:00Z'));
		expect(sheet.getRow(4).getCell(6).value).toBe('=HYPERLINK("http://x")');
		expect(sheet.getRow(4).getCell(6).type).toBe(ExcelJS.ValueType.String);
		expect((await auditRows('consultation.export')).map((r) => (r.detail as { format: string }).format)).toEqual(['csv', 'xlsx']);
		// A consultant's export holds their own sites only.
		const mine = (await call(exporter.GET, centreEvent('/centre/consultations/export', { token: tokens.a }))) as any;
		expect((await (mine.value as Response).text()).trimEnd().split('\r\n')).toHaveLength(1 + 4);
	});

	it('answers a bad filter in Japanese, never with an error page, and exports nothing for it', async () => {
		const o = (await call(list.load, centreEvent('/centre/consultations?from=2026-13-01&urgency=panic&site=abc&page=0', { token: tokens.coordinator }))) as any;
		expect(o.kind).toBe('ok');
		expect(o.value.list).toBeNull();
		expect(o.value.errors).toEqual({
			from: '開始日は 2026-04-01 の形の日付で指定してください',
			urgency: '緊急度の指定が正しくありません',
			site: '会場の指定が正しくありません',
			page: 'ページの指定が正しくありません'
		});
		const reversed = (await call(list.load, centreEvent('/centre/consultations?from=2026-05-01&to=2026-04-01', { token: tokens.coordinator }))) as any;
		expect(reversed.value.errors).toEqual({ to: '終了日は開始日と同じか後の日付にしてください' });
		const e = (await call(exporter.GET, centreEvent('/centre/consultations/export?topic=BAD', { token: tokens.coordinator }))) as any;
		expect(e.value.status).toBe(400);
		expect(await e.value.text()).toContain('相談内容の指定が正しくありません');
		expect(await auditRows('consultation.export')).toHaveLength(0);
		const s = (await call(stats.load, centreEvent('/centre/consultations/stats?fy=abc', { token: tokens.coordinator }))) as any;
		expect(s.value).toMatchObject({ stats: null, error: '年度の指定が正しくありません' });
	});

	it('shows the stats of a 年度 within the reader’s sites', async () => {
		const all = (await call(stats.load, centreEvent('/centre/consultations/stats?fy=2026', { token: tokens.coordinator }))) as any;
		expect(all.value.stats.total.total).toBe(5);
		const mine = (await call(stats.load, centreEvent('/centre/consultations/stats?fy=2026', { token: tokens.a }))) as any;
		// 若葉 in 年度 2026: c1, c2 (April) and c5 (March).
		expect(mine.value.stats.total.months).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
		expect(mine.value.scoped).toBe(true);
	});

	it('updates a case: a consultant at its site may, the change and a sealed comment are kept and audited', async () => {
		const url = `/centre/followups/${log.cases.c2}`;
		const u = await call(
			casePage.actions.update,
			centreEvent(url, {
				token: tokens.a,
				params: { id: log.cases.c2 },
				form: updateForm({ status: 'in_progress', owner: log.staff.coordinator, dueDate: '2026-04-20', comment: '保健師に連絡済み。' })
			})
		);
		expect(u).toEqual({ kind: 'ok', value: { updated: true } });
		expect(await caseRow(log.cases.c2)).toEqual({ status: 'in_progress', version: 2, owner: log.staff.coordinator, due: '2026-04-20' });
		const stored = await store.query<{ detail: string }>(`select detail::text from followup_events where action = 'updated'`);
		expect(stored.rows).toHaveLength(1);
		expect(stored.rows[0]!.detail).not.toContain('保健師');
		expect(await auditRows('followup.update')).toEqual([
			{
				actor: `staff:${log.staff.a}`,
				subject: log.cases.c2,
				detail: {
					changes: {
						status: { from: 'open', to: 'in_progress' },
						owner: { from: null, to: log.staff.coordinator },
						dueDate: { from: '2026-04-11', to: '2026-04-20' }
					},
					comment: true,
					version: 2
				}
			}
		]);

		const page = (await call(casePage.load, centreEvent(url, { token: tokens.coordinator, params: { id: log.cases.c2 } }))) as any;
		const events = page.value.followup.events;
		expect(events.map((e: any) => e.summary ?? e.changes.map((c: any) => `${c.label}: ${c.from} → ${c.to}`).join(' / '))).toEqual([
			'ケースを開きました（フォローアップ: こども家庭センターへつなぐ、緊急度: 緊急、期限: 2026-04-11）',
			'状態: 未着手 → 対応中 / 担当者: なし → コーディネーター 高橋 / 期限: 2026-04-11 → 2026-04-20'
		]);
		expect(events[1].actorName).toBe('相談員 青木');
		expect(events[1].comment).toEqual({ kind: 'text', note: '保健師に連絡済み。', followUpNote: null });
		expect(page.value.nextStatuses).toEqual(['in_progress', 'closed']);
		expect(await auditRows('followup.open')).toEqual([{ actor: `staff:${log.staff.coordinator}`, subject: log.cases.c2, detail: { comments: 1 } }]);
	});

	it('refuses a stale form, and an invalid one, changing nothing', async () => {
		const url = `/centre/followups/${log.cases.c2}`;
		const send = (token: string, form: Record<string, string>) =>
			call(casePage.actions.update, centreEvent(url, { token, params: { id: log.cases.c2 }, form }));
		expect((await send(tokens.coordinator, updateForm({ status: 'in_progress' }))).kind).toBe('ok');
		// Someone else read the case at version 1 and sends now.
		const stale = await send(tokens.a, updateForm({ status: 'in_progress', comment: '遅れて送信' }));
		expect(stale).toMatchObject({ kind: 'fail', status: 409, data: { stale: '他の人が先に更新しました。最新の内容を確認してください' } });
		expect((stale as any).data.values.comment).toBe('遅れて送信');
		expect(await caseRow(log.cases.c2)).toMatchObject({ status: 'in_progress', version: 2 });

		const bad = await send(tokens.coordinator, { version: '2', status: 'done', dueDate: '2026-02-30', comment: 'あ'.repeat(501) });
		expect(bad).toMatchObject({
			kind: 'fail',
			status: 400,
			data: { errors: { status: '状態を選んでください', dueDate: '期限は日付で入力してください', comment: 'コメントは500文字以内で入力してください' } }
		});
		const back = await send(tokens.coordinator, { version: '2', status: 'open' });
		expect(back).toMatchObject({ kind: 'fail', status: 400, data: { errors: { status: '「対応中」から「未着手」には変更できません' } } });
		const ghost = await send(tokens.coordinator, { version: '2', status: 'in_progress', owner: f.id() });
		expect(ghost).toMatchObject({ kind: 'fail', status: 400, data: { errors: { owner: 'その職員は担当者に選べません' } } });
		expect(await caseRow(log.cases.c2)).toMatchObject({ status: 'in_progress', version: 2, owner: null });
		expect(await auditRows('followup.update')).toHaveLength(1);

		// Closed, then reopened to in progress.
		expect((await send(tokens.coordinator, { version: '2', status: 'closed', dueDate: '2026-04-11' })).kind).toBe('ok');
		expect((await send(tokens.coordinator, { version: '3', status: 'in_progress', dueDate: '2026-04-11' })).kind).toBe('ok');
		expect(await caseRow(log.cases.c2)).toMatchObject({ status: 'in_progress', version: 4 });
	});

	it('lists the queue open first, urgent on top, with days waited and overdue marked', async () => {
		const q = (await call(queue.load, centreEvent('/centre/followups?status=all', { token: tokens.coordinator }))) as any;
		expect(q.value.cases.map((c: any) => [c.id, c.urgency, c.overdue])).toEqual([
			[log.cases.c2, 'urgent', true],
			[log.cases.c3, 'watch', true]
		]);
		expect(q.value.cases[0].dueDate).toBe('2026-04-11');
		const bad = (await call(queue.load, centreEvent('/centre/followups?status=done&owner=x', { token: tokens.coordinator }))) as any;
		expect(bad.value.errors).toEqual({ status: '状態の指定が正しくありません', owner: '担当者の指定が正しくありません' });
	});
});
