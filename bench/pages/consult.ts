/**
 * The consultation benchmark's measuring loop (driven by bench/consult.bench.js), in Chromium with
 * real (on-disk) IndexedDB: the app's own `saveConsultation` (check the form, seal the note to the
 * centre's key, write the record and its outbox entry and remove the draft in one transaction) and
 * `saveDraft` (the autosave while typing), on a tablet whose outbox already holds a morning's
 * check-ins waiting for the network.
 */
import { HirobaDB, META, type DeviceCredentials } from '$lib/client/db/db';
import { checkForm, emptyDraftContent, saveConsultation, saveDraft, sealRecipient, type Draft } from '$lib/client/db/consultations';
import { saveRecord, saveRecords } from '$lib/client/db/writes';
import { tokyoDate } from '$lib/domain/dates';
import { uuidv7 } from '$lib/domain/ids';
import { makeSealKeyPair, sealConsultationText } from '$lib/domain/seal';
import type { VisitData } from '$lib/domain/schemas';

export interface ConsultRun {
	/** Milliseconds per call. */
	save: number[];
	draft: number[];
	noteChars: number;
	outboxBefore: number;
	outboxAfter: number;
}

const NOTE_UNIT = '夜泣きが続いていて母が眠れていない。日中の過ごし方と寝かしつけの工夫を一緒に考えた。';

let db: HirobaDB | null = null;
const sessionId = uuidv7();
const staffId = uuidv7();

/** A fresh tablet database: enrolled, the centre's key pulled, `backlog` check-ins waiting to be pushed. */
async function setUp(backlog: number): Promise<void> {
	db?.close();
	await HirobaDB.delete('consult-bench');
	db = new HirobaDB('consult-bench');
	const pair = await makeSealKeyPair();
	const device: DeviceCredentials = { deviceId: uuidv7(), token: 'bench', name: 'bench', sites: [], enrolledAt: new Date().toISOString() };
	await db.setMeta(META.device, device);
	await db.setMeta(META.sealKey, { kid: pair.kid, jwk: pair.jwk });
	const now = new Date().toISOString();
	const visits = Array.from({ length: backlog }, () => ({
		id: uuidv7(),
		data: {
			sessionId,
			householdId: null,
			cardCode: null,
			childIds: [],
			walkInChildren: { age0: 0, age1: 1, age2: 0, age3plus: 0, school: 0 },
			adults: 1,
			checkedInAt: now,
			checkedOutAt: null,
			method: 'walkin'
		} satisfies VisitData
	}));
	for (let i = 0; i < visits.length; i += 100) await saveRecords(db, 'visits', visits.slice(i, i + 100));
}

/** `n` consultations, each typed as a draft (one timed autosave) and then saved (timed). */
async function measure(n: number, noteChars: number, backlog: number): Promise<ConsultRun> {
	await setUp(backlog);
	const d = db!;
	const note = NOTE_UNIT.repeat(Math.ceil(noteChars / NOTE_UNIT.length)).slice(0, noteChars);
	const save: number[] = [];
	const draft: number[] = [];
	const outboxBefore = await d.outbox.count();
	for (let i = 0; i < n + 3; i++) {
		const form: Omit<Draft, 'updatedAt'> = {
			id: uuidv7(),
			staffId,
			sessionId,
			baseHlc: null,
			content: emptyDraftContent({ topics: ['sleep', 'parenting'], durationMin: 15, note, urgency: i % 10 === 0 ? 'watch' : 'normal', followUp: 'next_time' })
		};
		const t0 = performance.now();
		await saveDraft(d, form);
		const t1 = performance.now();
		await saveConsultation(d, form);
		const t2 = performance.now();
		// The first few warm up the JIT, the key import and the database.
		if (i >= 3) {
			draft.push(t1 - t0);
			save.push(t2 - t1);
		}
	}
	return { save, draft, noteChars, outboxBefore, outboxAfter: await d.outbox.count() };
}

/**
 * Where a save's time goes: the same steps as `saveConsultation`, each timed on its own (the form
 * check, the seal, the transaction that writes the record and its outbox entry and drops the draft).
 */
async function phases(n: number, noteChars: number, backlog: number): Promise<Record<string, number[]>> {
	await setUp(backlog);
	const d = db!;
	const note = NOTE_UNIT.repeat(Math.ceil(noteChars / NOTE_UNIT.length)).slice(0, noteChars);
	const out: Record<string, number[]> = { check: [], seal: [], write: [] };
	const recipient = (await sealRecipient(d))!;
	for (let i = 0; i < n + 3; i++) {
		const id = uuidv7();
		const content = emptyDraftContent({ topics: ['sleep', 'parenting'], durationMin: 15, note, followUp: 'next_time' });
		await saveDraft(d, { id, staffId, sessionId, baseHlc: null, content });
		const t0 = performance.now();
		const form = checkForm(content);
		const t1 = performance.now();
		const sealed = await sealConsultationText(recipient, id, { note: form.note, followUpNote: null });
		const t2 = performance.now();
		await d.transaction('rw', [d.consultations, d.outbox, d.meta, d.drafts], async () => {
			await d.consultations.get(id);
			await saveRecord(d, 'consultations', id, {
				sessionId,
				staffId,
				householdId: null,
				childId: null,
				childAgeBand: null,
				topics: form.topics,
				durationMin: form.durationMin,
				sealed,
				urgency: form.urgency,
				followUp: form.followUp,
				consultedAt: new Date().toISOString()
			});
			await d.drafts.delete(id);
		});
		const t3 = performance.now();
		if (i >= 3) {
			out.check!.push(t1 - t0);
			out.seal!.push(t2 - t1);
			out.write!.push(t3 - t2);
		}
	}
	return out;
}

const api = { ready: true, today: tokyoDate(), measure, phases };
export type ConsultBenchApi = typeof api;
(window as unknown as { consultBench: ConsultBenchApi }).consultBench = api;
