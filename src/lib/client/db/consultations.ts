/**
 * The consultation log on the tablet (DESIGN.md "Security and privacy model"):
 *
 * - A draft is saved as it is typed, encrypted under this tablet's own key (never in clear), and
 *   survives a reload, a crash and the staff lock.
 * - Saving validates the form (Japanese messages), seals the note to the centre's public key, and
 *   writes the record and its outbox entry in one transaction that also removes the draft. The
 *   record's id is the draft's, and the save goes through only if the record is still as the draft
 *   found it: a draft open in two tabs, or a reload racing a save, never makes two records or
 *   overwrites a newer version unseen.
 * - A saved record is corrected by a new version (the centre keeps every one as a revision). The
 *   tablet cannot read back a sealed note: a correction either seals a new text or leaves it
 *   unchanged (`sealed: null`, or the still-undelivered sealed text it replaces).
 * - Once the centre has acknowledged a version, the tablet drops its sealed text (sync engine);
 *   consultations of earlier days leave the tablet once delivered.
 */
import type * as z from 'zod/mini';
import { tokyoDate } from '$lib/domain/dates';
import { isUuidV7, uuidv7Time } from '$lib/domain/ids';
import type { AgeBand } from '$lib/domain/age-band';
import { consultationForm, type ConsultationForm } from '$lib/domain/consultation-form';
import type { ConsultationData } from '$lib/domain/schemas';
import { importSealRecipient, sealConsultationText, type SealPublicKey, type SealRecipient } from '$lib/domain/seal';
import { META, type DraftRow, type HirobaDB, type Row } from './db';
import { saveRecord } from './writes';

/** What the form holds while it is being filled in: anything, until it is saved. */
export interface DraftContent {
	householdId: string | null;
	childId: string | null;
	childAgeBand: AgeBand | null;
	topics: string[];
	/** Minutes as typed; null while empty. */
	durationMin: number | null;
	note: string;
	urgency: ConsultationData['urgency'];
	followUp: ConsultationData['followUp'];
	followUpNote: string;
}

export interface Draft {
	id: string;
	staffId: string;
	sessionId: string;
	baseHlc: string | null;
	updatedAt: number;
	content: DraftContent;
}

/** A draft as the form holds it, before it is stored (its time is set when it is). */
export type DraftStart = Omit<Draft, 'updatedAt'>;

/** The record changed since the draft was started: saved in another tab, or already saved here. */
export class DraftConflictError extends Error {
	constructor(readonly consultationId: string) {
		super('この相談記録は別の画面で先に保存されました。一覧から開き直してください。');
		this.name = 'DraftConflictError';
	}
}

/** The centre's key has not reached this tablet yet (it comes with the first sync). */
export class NoSealKeyError extends Error {
	constructor() {
		super('センターの暗号鍵がまだ届いていません。ネットワークにつないで同期してから保存してください（下書きは残っています）。');
		this.name = 'NoSealKeyError';
	}
}

/** The form failed its checks: one Japanese message per field, nothing saved. */
export class ConsultationFormError extends Error {
	constructor(readonly fields: Partial<Record<keyof ConsultationForm, string>>) {
		super(Object.values(fields).join(' '));
		this.name = 'ConsultationFormError';
	}
}

/** A fresh, empty form. */
export function emptyDraftContent(o: Partial<DraftContent> = {}): DraftContent {
	return {
		householdId: null,
		childId: null,
		childAgeBand: null,
		topics: [],
		durationMin: null,
		note: '',
		urgency: 'normal',
		followUp: 'none',
		followUpNote: '',
		...o
	};
}

// ---- the tablet's own draft key ----------------------------------------------------------------

let draftKeyCache: { db: HirobaDB; key: Promise<CryptoKey> } | null = null;

/** This tablet's draft key, made on first use; non-extractable, so no script can read it out. */
export function draftKey(db: HirobaDB): Promise<CryptoKey> {
	if (draftKeyCache?.db === db) return draftKeyCache.key;
	const key = (async () => {
		const stored = await db.getMeta<CryptoKey>(META.draftKey);
		if (stored) return stored;
		const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
		// Two tabs may make one each at once: the first stored wins, and both use it.
		return db.transaction('rw', db.meta, async () => {
			const again = await db.getMeta<CryptoKey>(META.draftKey);
			if (again) return again;
			await db.setMeta(META.draftKey, made);
			return made;
		});
	})();
	draftKeyCache = { db, key };
	key.catch(() => (draftKeyCache = null));
	return key;
}

const draftAad = (id: string) => new TextEncoder().encode(`hiroba-draft|${id}`);

async function encryptDraft(db: HirobaDB, id: string, content: DraftContent): Promise<{ iv: Uint8Array<ArrayBuffer>; ct: ArrayBuffer }> {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ct = await crypto.subtle.encrypt(
		{ name: 'AES-GCM', iv, additionalData: draftAad(id) },
		await draftKey(db),
		new TextEncoder().encode(JSON.stringify(content))
	);
	return { iv, ct };
}

async function decryptDraft(db: HirobaDB, row: DraftRow): Promise<DraftContent> {
	const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(row.iv), additionalData: draftAad(row.id) }, await draftKey(db), row.ct);
	return emptyDraftContent(JSON.parse(new TextDecoder().decode(pt)) as Partial<DraftContent>);
}

/** The stamp of the stored record, or null when there is none: what a draft must still find to save. */
async function currentHlc(db: HirobaDB, id: string): Promise<string | null> {
	return (await db.consultations.get(id))?.hlc ?? null;
}

// ---- drafts ----------------------------------------------------------------------------------

/**
 * Store the form as it is now. Throws DraftConflictError when the record was saved (in another tab,
 * or by this one) since the draft began: the draft must not come back after its save.
 */
export async function saveDraft(db: HirobaDB, draft: DraftStart, now: number = Date.now()): Promise<void> {
	const { iv, ct } = await encryptDraft(db, draft.id, draft.content);
	await db.transaction('rw', [db.drafts, db.consultations], async () => {
		if ((await currentHlc(db, draft.id)) !== draft.baseHlc) throw new DraftConflictError(draft.id);
		await db.drafts.put({ id: draft.id, staffId: draft.staffId, sessionId: draft.sessionId, baseHlc: draft.baseHlc, updatedAt: now, iv, ct });
	});
}

async function openDraft(db: HirobaDB, row: DraftRow): Promise<Draft> {
	return { id: row.id, staffId: row.staffId, sessionId: row.sessionId, baseHlc: row.baseHlc, updatedAt: row.updatedAt, content: await decryptDraft(db, row) };
}

/** One staff member's drafts, newest first, opened. A draft that no longer opens is left out. */
export async function loadDrafts(db: HirobaDB, staffId: string): Promise<Draft[]> {
	const rows = await db.drafts.where('staffId').equals(staffId).toArray();
	const out: Draft[] = [];
	for (const row of rows) {
		try {
			out.push(await openDraft(db, row));
		} catch {
			// Encrypted under a key this store no longer has (cannot happen short of tampering): skip.
		}
	}
	return out.sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function loadDraft(db: HirobaDB, id: string): Promise<Draft | null> {
	const row = await db.drafts.get(id);
	return row ? openDraft(db, row) : null;
}

export async function discardDraft(db: HirobaDB, id: string): Promise<void> {
	await db.drafts.delete(id);
}

// ---- saving ----------------------------------------------------------------------------------

let recipientCache: { kid: string; recipient: Promise<SealRecipient> } | null = null;

/** The centre's key as pulled, imported once. */
export async function sealRecipient(db: HirobaDB): Promise<SealRecipient | null> {
	const pub = await db.getMeta<SealPublicKey>(META.sealKey);
	if (!pub) return null;
	if (recipientCache?.kid !== pub.kid) recipientCache = { kid: pub.kid, recipient: importSealRecipient(pub) };
	return recipientCache.recipient;
}

/** Check the form; Japanese messages per field. */
export function checkForm(content: DraftContent): ConsultationForm {
	const parsed = consultationForm.safeParse({
		householdId: content.householdId,
		childId: content.childId,
		topics: content.topics,
		durationMin: content.durationMin ?? Number.NaN,
		note: content.note,
		urgency: content.urgency,
		followUp: content.followUp,
		followUpNote: content.followUpNote
	});
	if (parsed.success) return parsed.data;
	throw new ConsultationFormError(formErrors(parsed.error));
}

function formErrors(error: z.core.$ZodError): Partial<Record<keyof ConsultationForm, string>> {
	const fields: Partial<Record<keyof ConsultationForm, string>> = {};
	for (const issue of error.issues) {
		const key = issue.path[0] as keyof ConsultationForm;
		fields[key] ??= issue.message;
	}
	return fields;
}

export interface SaveOptions {
	now?: () => number;
}

/**
 * Save a draft as a consultation (new, or a correction of the version it started from): checked,
 * sealed, written with its outbox entry, and the draft removed, all or nothing. Returns the row.
 */
export async function saveConsultation(db: HirobaDB, draft: DraftStart, opts: SaveOptions = {}): Promise<Row<'consultations'>> {
	const form = checkForm(draft.content);
	const recipient = await sealRecipient(db);
	if (!recipient) throw new NoSealKeyError();
	const followUpNote = form.followUpNote === '' ? null : form.followUpNote;
	const hasText = form.note !== '' || followUpNote !== null;
	// Sealed before the transaction: IndexedDB commits a transaction left waiting on other work.
	const sealed = hasText ? await sealConsultationText(recipient, draft.id, { note: form.note, followUpNote }) : null;
	const now = opts.now ?? Date.now;
	return db.transaction('rw', [db.consultations, db.outbox, db.meta, db.drafts], async () => {
		const current = await db.consultations.get(draft.id);
		if ((current?.hlc ?? null) !== draft.baseHlc) throw new DraftConflictError(draft.id);
		const data: ConsultationData = {
			sessionId: draft.sessionId,
			staffId: draft.staffId,
			householdId: form.householdId,
			childId: form.childId,
			childAgeBand: form.childId ? draft.content.childAgeBand : null,
			topics: form.topics,
			durationMin: form.durationMin,
			// A correction with no new text keeps the text: the undelivered sealed one it replaces, or
			// none (null: "as before" at the centre).
			sealed: sealed ?? (current ? current.sealed : null),
			urgency: form.urgency,
			followUp: form.followUp,
			consultedAt: current?.consultedAt ?? startedAt(draft.id, now())
		};
		const [row] = await Promise.all([saveRecord(db, 'consultations', draft.id, data, { now }), db.drafts.delete(draft.id)]);
		return row;
	});
}

/**
 * When a new consultation took place: when its draft was started (the id is a UUIDv7, made then),
 * so a draft finished later, even the next day, keeps its own time. A time from the future or
 * from before the tablet could have begun it is not trusted: then, now.
 */
function startedAt(id: string, now: number): string {
	const t = isUuidV7(id) ? uuidv7Time(id) : NaN;
	return new Date(Number.isFinite(t) && t <= now && now - t < 31 * 86_400_000 ? t : now).toISOString();
}

// ---- today's list ------------------------------------------------------------------------------

/** 未送信 (waiting), 差し戻し (refused by the centre, kept for staff) or 送信済み (acknowledged). */
export type DeliveryState = 'pending' | 'rejected' | 'sent';

export interface ListedConsultation {
	row: Row<'consultations'>;
	delivery: DeliveryState;
	error?: { code: string; message: string };
}

/** One staff member's consultations of a Tokyo date, newest first, each with its delivery state. */
export async function consultationsOf(db: HirobaDB, staffId: string, date: string = tokyoDate()): Promise<ListedConsultation[]> {
	const rows = (await db.consultations.where('staffId').equals(staffId).toArray()).filter((r) => !r.deleted && tokyoDate(r.consultedAt) === date);
	const entries = rows.length
		? await db.outbox
				.where('[table+id]')
				.anyOf(rows.map((r) => ['consultations', r.id]))
				.toArray()
		: [];
	const byId = new Map<string, (typeof entries)[number]>();
	for (const e of entries) {
		const prev = byId.get(e.id);
		if (!prev || e.state === 'rejected' || (prev.state !== 'rejected' && e.seq! > prev.seq!)) byId.set(e.id, e);
	}
	return rows
		.sort((a, b) => b.consultedAt.localeCompare(a.consultedAt))
		.map((row) => {
			const e = byId.get(row.id);
			return { row, delivery: !e ? 'sent' : e.state === 'rejected' ? 'rejected' : 'pending', ...(e?.error ? { error: e.error } : {}) };
		});
}
