/**
 * Where the consultation form starts from: a new record (from a family on today's list, or
 * anonymous), or a correction of a saved one. Nothing is written here: the draft is stored by the
 * form once the 相談員 changes something.
 */
import { uuidv7 } from '$lib/domain/ids';
import { emptyDraftContent, loadDraft, type DraftStart } from './consultations';
import type { HirobaDB, Row } from './db';

export type { DraftStart };

/** A new consultation at a session: its id is the draft's, made now. */
export function newConsultation(staffId: string, sessionId: string, householdId: string | null = null): DraftStart {
	return { id: uuidv7(), staffId, sessionId, baseHlc: null, content: emptyDraftContent({ householdId }) };
}

/**
 * A correction of a saved record, with its fields as saved. The note fields start empty: the tablet
 * cannot read back a sealed note, and left empty they keep the text the centre has.
 */
export function correctionOf(row: Row<'consultations'>): DraftStart {
	return {
		id: row.id,
		staffId: row.staffId,
		sessionId: row.sessionId,
		baseHlc: row.hlc,
		content: emptyDraftContent({
			householdId: row.householdId,
			childId: row.childId,
			childAgeBand: row.childAgeBand,
			topics: [...row.topics],
			durationMin: row.durationMin,
			urgency: row.urgency,
			followUp: row.followUp
		})
	};
}

/** A correction already under way for this record (by this staff member) resumes; else a fresh one. */
export async function startCorrection(db: HirobaDB, row: Row<'consultations'>, staffId: string): Promise<DraftStart> {
	const existing = await loadDraft(db, row.id);
	if (existing && existing.staffId === staffId && existing.baseHlc === row.hlc) return existing;
	return correctionOf(row);
}
