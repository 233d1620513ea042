/**
 * The consultation log from the tablet's side, against the real centre: drafts kept encrypted and
 * never doubled, saving sealed, corrections as revisions, urgent ones first, and what the tablet
 * keeps once the centre has a record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { uuidv7 } from '$lib/domain/ids';
import { addDays, tokyoDate } from '$lib/domain/dates';
import { openConsultationText } from '$lib/domain/seal';
import type { Store } from '$lib/server/db/store';
import { getKeyring } from '$lib/server/crypto/keyring';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import { Tablet } from '../../../../tests/tablet';
import { rawIndexedDbText } from '../../../../tests/raw-idb';
import * as f from '../../../../tests/factories';
import { inProcessFetch } from '../../../../tests/in-process';
import { HirobaDB, META } from './db';
import {
	ConsultationFormError,
	consultationsOf,
	DraftConflictError,
	emptyDraftContent,
	loadDraft,
	loadDrafts,
	NoSealKeyError,
	saveConsultation,
	saveDraft,
	type Draft
} from './consultations';

const NOTE = '夜泣きが続いていて母が眠れていない。保健師に相談をすすめた。';

async function centreNote(store: Store, id: string): Promise<{ note: string; followUpNote: string | null } | null> {
	const r = await store.query<{ sealed: string | null }>(
		`select data->>'sealed' as sealed from consultation_revisions where consultation_id = $1 and data->>'sealed' is not null order by hlc desc limit 1`,
		[id]
	);
	const sealed = r.rows[0]?.sealed;
	if (!sealed) return null;
	const keyring = await getKeyring();
	return openConsultationText(sealed, keyring.privateKeyFor, id);
}

describe.each(testStores())('the consultation log on a tablet, with the centre on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	let idb: IDBFactory;
	let tablet: Tablet;
	const open: Tablet[] = [];

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		idb = new IDBFactory();
		tablet = new Tablet('相談', { indexedDB: idb });
		open.push(tablet);
		await tablet.enroll(await enrollmentCode(store, [fx.siteId]));
		await tablet.sync();
	});
	afterEach(() => {
		for (const t of open.splice(0)) t.close();
	});

	const draftOf = (content: Partial<Draft['content']> = {}, o: Partial<Draft> = {}): Omit<Draft, 'updatedAt'> => ({
		id: uuidv7(),
		staffId: fx.staffId,
		sessionId: fx.sessionId,
		baseHlc: null,
		content: emptyDraftContent({ topics: ['sleep'], durationMin: 15, note: NOTE, ...content }),
		...o
	});
	/** Another tab, or the page after a reload: a new Dexie instance on the same IndexedDB. */
	const otherTab = () => {
		const t = tablet.reload(idb);
		open.push(t);
		return t;
	};
	const save = (t: Tablet, d: Omit<Draft, 'updatedAt'>) => saveConsultation(t.db, d, { now: () => t.time });

	it('gets the centre’s key with its first sync', async () => {
		const key = await tablet.db.getMeta<{ kid: string }>(META.sealKey);
		expect(key?.kid).toBe((await getKeyring()).current.kid);
	});

	it('keeps a draft encrypted under the tablet’s own key, and finds it again after a reload', async () => {
		const d = draftOf({ followUp: 'refer_health', followUpNote: '保健相談所の担当へ電話' });
		await saveDraft(tablet.db, d);
		const raw = await rawIndexedDbText(idb, tablet.db.name);
		expect(raw).not.toContain('夜泣き');
		expect(raw).not.toContain('保健相談所の担当');

		const after = otherTab();
		expect((await loadDrafts(after.db, fx.staffId)).map((x) => x.content)).toEqual([d.content]);
		// Another staff member does not see it.
		expect(await loadDrafts(after.db, uuidv7())).toEqual([]);
	});

	it('saves sealed: neither the record, its outbox entry nor anything else on the tablet holds the note', async () => {
		const d = draftOf({ followUp: 'refer_centre', followUpNote: '来週センターから電話', urgency: 'watch' });
		await saveDraft(tablet.db, d);
		const row = await save(tablet, d);
		expect(row.sealed).toMatch(/^hs1\./);
		expect(await loadDraft(tablet.db, d.id)).toBeNull();
		const raw = await rawIndexedDbText(idb, tablet.db.name);
		expect(raw).not.toContain('夜泣き');
		expect(raw).not.toContain('来週センターから電話');
		expect(raw).toContain(row.sealed);

		await tablet.sync();
		expect(await centreNote(store, d.id)).toEqual({ note: NOTE, followUpNote: '来週センターから電話' });
		// Nor does the centre's database hold it in clear, anywhere.
		const dump = await store.query<{ t: string }>(
			`select string_agg(x::text, ' ') as t from (
			   select to_jsonb(c)::text as x from consultations c union all select to_jsonb(r)::text from consultation_revisions r
			   union all select to_jsonb(e)::text from followup_events e union all select to_jsonb(a)::text from audit_log a) all_rows`
		);
		expect(dump.rows[0]!.t).not.toContain('夜泣き');
		// A referral became a follow-up case, due by urgency.
		const cases = await store.query<{ status: string; due_date: string }>('select status, due_date from followup_cases where consultation_id = $1', [d.id]);
		expect(cases.rows).toEqual([{ status: 'open', due_date: addDays(tokyoDate(tablet.time), 3) }]);
	});

	it('refuses bad input with Japanese messages and saves nothing', async () => {
		const cases: Array<[Partial<Draft['content']>, string, string]> = [
			[{ topics: [] }, 'topics', '相談内容を1つ以上選んでください'],
			[{ note: 'あ'.repeat(1001) }, 'note', 'メモは1000文字以内にしてください'],
			[{ durationMin: -5 }, 'durationMin', '相談時間は1分以上で入力してください'],
			[{ durationMin: 900 }, 'durationMin', '相談時間は240分（4時間）以内で入力してください'],
			[{ durationMin: null }, 'durationMin', '相談時間を分で入力してください']
		];
		for (const [content, field, message] of cases) {
			const d = draftOf(content);
			await saveDraft(tablet.db, d);
			const err = await save(tablet, d).catch((e: unknown) => e);
			expect(err).toBeInstanceOf(ConsultationFormError);
			expect((err as ConsultationFormError).fields).toEqual({ [field]: message });
			// The draft is still there to be corrected.
			expect(await loadDraft(tablet.db, d.id)).not.toBeNull();
		}
		expect(await tablet.db.consultations.count()).toBe(0);
		expect(await tablet.db.outbox.count()).toBe(0);
	});

	it('a draft finished later keeps the time it was started as the consultation’s time', async () => {
		const started = tablet.time - 3 * 60 * 60 * 1000;
		// A UUIDv7 made three hours ago (the generator itself never goes back in time within a process).
		const hex = started.toString(16).padStart(12, '0');
		const id = `${hex.slice(0, 8)}-${hex.slice(8)}${uuidv7().slice(13)}`;
		const d = draftOf({}, { id });
		await saveDraft(tablet.db, d);
		const row = await save(tablet, d);
		expect(row.consultedAt).toBe(new Date(started).toISOString());
	});

	it('keeps the draft and says so when the centre’s key has not arrived yet', async () => {
		await tablet.db.meta.delete(META.sealKey);
		const d = draftOf();
		await saveDraft(tablet.db, d);
		await expect(save(tablet, d)).rejects.toBeInstanceOf(NoSealKeyError);
		expect(await loadDraft(tablet.db, d.id)).not.toBeNull();
		expect(await tablet.db.consultations.count()).toBe(0);
	});

	it('one draft open in two tabs makes one record: the second save and its autosave are refused', async () => {
		const d = draftOf();
		await saveDraft(tablet.db, d);
		const tabB = otherTab();
		const inB = (await loadDraft(tabB.db, d.id))!;
		await save(tablet, d);
		await expect(save(tabB, { ...inB, content: { ...inB.content, note: 'Bで書き足した' } })).rejects.toBeInstanceOf(DraftConflictError);
		await expect(saveDraft(tabB.db, inB)).rejects.toBeInstanceOf(DraftConflictError);
		expect(await tablet.db.consultations.count()).toBe(1);
		expect(await tablet.db.outbox.where('table').equals('consultations').count()).toBe(1);
		expect(await tablet.db.drafts.count()).toBe(0);
	});

	it('a reload racing a save never makes two records, nor brings the saved draft back', async () => {
		const d = draftOf();
		await saveDraft(tablet.db, d);
		// The save and a last autosave of the same draft at once (the page reloading as it saves).
		const results = await Promise.allSettled([save(tablet, d), saveDraft(otherTab().db, { ...d, content: { ...d.content, note: NOTE + '。' } })]);
		expect(results[0].status).toBe('fulfilled');
		const after = otherTab();
		const drafts = await loadDrafts(after.db, fx.staffId);
		expect(drafts).toEqual([]);
		// The page, reloaded from before the save, saves its copy again: refused, one record.
		await expect(save(after, d)).rejects.toBeInstanceOf(DraftConflictError);
		expect(await after.db.consultations.count()).toBe(1);
		await tablet.sync();
		expect((await store.query('select id from consultations')).rows).toHaveLength(1);
	});

	it('corrects a saved record with a new revision the centre keeps beside the old one', async () => {
		const d = draftOf({ followUp: 'next_time' });
		const first = await save(tablet, d);
		await tablet.sync();
		// Acknowledged: the tablet no longer holds the sealed text.
		expect((await tablet.db.consultations.get(d.id))!.sealed).toBeNull();
		expect((await consultationsOf(tablet.db, fx.staffId, tokyoDate(tablet.time)))[0]!.delivery).toBe('sent');

		// A correction of the topics only: the text stays as it was at the centre.
		tablet.time += 60_000;
		const second = await save(tablet, { ...d, baseHlc: first.hlc, content: { ...d.content, topics: ['sleep', 'parent_health'], note: '' } });
		expect(second.sealed).toBeNull();
		await tablet.sync();
		// A correction with a new note.
		tablet.time += 60_000;
		await save(tablet, { ...d, baseHlc: second.hlc, content: { ...d.content, note: '訂正：夜泣きは週に3回程度。', followUp: 'refer_health' } });
		// Saving from a form opened before the second correction is refused.
		await expect(save(tablet, { ...d, baseHlc: first.hlc })).rejects.toBeInstanceOf(DraftConflictError);
		// Two corrections between two syncs reach the centre as one revision, the newer.
		tablet.time += 60_000;
		const newest = (await tablet.db.consultations.get(d.id))!;
		await save(tablet, { ...d, baseHlc: newest.hlc, content: { ...d.content, followUp: 'refer_health', note: '' } });
		await tablet.sync();

		const revisions = await store.query<{ topics: string[]; sealed: boolean; follow_up: string }>(
			`select data->'topics' as topics, data->>'sealed' is not null as sealed, data->>'followUp' as follow_up from consultation_revisions where consultation_id = $1 order by hlc`,
			[d.id]
		);
		expect(revisions.rows).toEqual([
			{ topics: ['sleep'], sealed: true, follow_up: 'next_time' },
			{ topics: ['sleep', 'parent_health'], sealed: false, follow_up: 'next_time' },
			{ topics: ['sleep'], sealed: true, follow_up: 'refer_health' }
		]);
		expect(await centreNote(store, d.id)).toEqual({ note: '訂正：夜泣きは週に3回程度。', followUpNote: null });
		// The referral made by the correction opened a case.
		expect((await store.query('select 1 from followup_cases where consultation_id = $1', [d.id])).rows).toHaveLength(1);
	});

	it('a record edited while it is being pushed reaches the centre in its newer version, sent once', async () => {
		const d = draftOf();
		const first = await save(tablet, d);
		const base = inProcessFetch();
		const pushed: string[] = [];
		let edited: Promise<unknown> | null = null;
		const t = new Tablet('相談', {
			indexedDB: idb,
			dbName: tablet.db.name,
			time: tablet.time,
			fetch: async (input, init) => {
				if (String(input).includes('/sync/push')) {
					const body = JSON.parse(String(init!.body)) as { changes: Array<{ id: string; hlc: string }> };
					pushed.push(...body.changes.filter((c) => c.id === d.id).map((c) => c.hlc));
					// The 相談員 saves a correction while the first version is on the wire.
					edited ??= save(t, { ...d, baseHlc: first.hlc, content: { ...d.content, durationMin: 25, note: '' } });
					await edited;
				}
				return base(input, init);
			}
		});
		open.push(t);
		await t.sync();
		await t.sync();
		const newest = (await t.db.consultations.get(d.id))!;
		expect(newest.durationMin).toBe(25);
		expect(pushed).toEqual([first.hlc, newest.hlc]);
		const centre = await store.query<{ hlc: string; minutes: number }>(`select hlc, (data->>'durationMin')::int as minutes from consultations where id = $1`, [
			d.id
		]);
		expect(centre.rows).toEqual([{ hlc: newest.hlc, minutes: 25 }]);
		// The correction carried the text still undelivered when it was made: the note is not lost.
		expect((await centreNote(store, d.id))?.note).toBe(NOTE);
		expect(await t.db.outbox.count()).toBe(0);
	});

	it('pushes an urgent consultation before a backlog, and lists it 未送信 until the centre has it', async () => {
		for (let i = 0; i < 30; i++) await tablet.save('visits', uuidv7(), f.visit(fx.sessionId));
		const d = draftOf({ urgency: 'urgent', followUp: 'refer_centre' });
		await save(tablet, d);
		expect((await consultationsOf(tablet.db, fx.staffId, tokyoDate(tablet.time))).map((c) => c.delivery)).toEqual(['pending']);

		const base = inProcessFetch();
		const firstIds: string[][] = [];
		const t = new Tablet('相談', {
			indexedDB: idb,
			dbName: tablet.db.name,
			time: tablet.time,
			batchSize: 10,
			fetch: async (input, init) => {
				if (String(input).includes('/sync/push'))
					firstIds.push((JSON.parse(String(init!.body)) as { changes: Array<{ id: string }> }).changes.map((c) => c.id));
				return base(input, init);
			}
		});
		open.push(t);
		await t.sync();
		expect(firstIds[0]).toEqual([d.id]);
		expect(firstIds.slice(1).flat()).toHaveLength(30);
		expect((await consultationsOf(t.db, fx.staffId, tokyoDate(t.time))).map((c) => c.delivery)).toEqual(['sent']);
	});

	it('keeps a refused record, sealed, marked 差し戻し, for staff to see', async () => {
		const stranger = uuidv7(); // not on the roster of this tablet's sites
		const d = draftOf({}, { staffId: stranger });
		await save(tablet, d);
		await tablet.sync();
		const [listed] = await consultationsOf(tablet.db, stranger, tokyoDate(tablet.time));
		expect(listed).toMatchObject({ delivery: 'rejected', error: { code: 'forbidden_staff' } });
		expect(listed!.row.sealed).toMatch(/^hs1\./);
	});

	it('keeps only today’s consultations once the centre has them; an undelivered one of yesterday stays', async () => {
		const delivered = draftOf();
		await save(tablet, delivered);
		await tablet.sync();
		const stranger = uuidv7();
		const refused = draftOf({}, { staffId: stranger });
		await save(tablet, refused);
		await tablet.sync();
		tablet.time += 24 * 60 * 60 * 1000;
		await tablet.engine.pruneLocal({ force: true });
		expect(await tablet.ids('consultations')).toEqual([refused.id]);
	});

	it('a correction made on another tablet is refused: only the recording staff’s sites may change it', async () => {
		// (The centre refuses a revision that changes who recorded it.)
		const d = draftOf();
		const row = await save(tablet, d);
		await tablet.sync();
		const [otherStaff] = await store.transaction(async (tx) => {
			const { writeCentreRecords } = await import('$lib/server/sync/records');
			return writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ siteIds: [fx.siteId], displayName: '相談員 別' }) }]);
		});
		await tablet.sync();
		const { id: _id, hlc: _hlc, deleted: _deleted, ...data } = row;
		await tablet.save('consultations', d.id, { ...data, staffId: otherStaff!, sealed: null });
		await tablet.sync();
		const entry = await tablet.db.outbox.where('[table+id]').equals(['consultations', d.id]).first();
		expect(entry).toMatchObject({ state: 'rejected', error: { code: 'forbidden_staff' } });
	});
});

describe('the draft key', () => {
	it('is one non-extractable key per tablet, even when two tabs make it at once', async () => {
		const idb = new IDBFactory();
		const a = new HirobaDB('keys-a', { indexedDB: idb, IDBKeyRange });
		const b = new HirobaDB('keys-a', { indexedDB: idb, IDBKeyRange });
		const { draftKey } = await import('./consultations');
		const [ka, kb] = await Promise.all([draftKey(a), draftKey(b)]);
		expect(ka.extractable).toBe(false);
		// Both encrypt and decrypt with the same stored key.
		const iv = new Uint8Array(12);
		const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, ka, new TextEncoder().encode('x'));
		expect(new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, kb, ct))).toBe('x');
		a.close();
		b.close();
	});
});
