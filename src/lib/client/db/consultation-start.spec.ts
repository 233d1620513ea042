import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { uuidv7, isUuidV7 } from '$lib/domain/ids';
import * as f from '../../../../tests/factories';
import { HirobaDB, type Row } from './db';
import { emptyDraftContent, saveDraft } from './consultations';
import { correctionOf, newConsultation, startCorrection } from './consultation-start';

const staffId = uuidv7();
const sessionId = uuidv7();
const householdId = uuidv7();

function savedRow(o: Partial<Row<'consultations'>> = {}): Row<'consultations'> {
	return {
		...f.consultation(sessionId, staffId, { householdId, topics: ['sleep', 'growth'], urgency: 'watch', followUp: 'refer_health', durationMin: 15 }),
		id: uuidv7(),
		hlc: '001778000000000:00000:dev',
		deleted: false,
		...o
	};
}

describe('starting the consultation form', () => {
	let db: HirobaDB;
	beforeEach(async () => {
		db = new HirobaDB(`start-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
		await db.open();
	});
	afterEach(() => db.close());

	it('a new consultation gets a fresh UUIDv7 and an empty form for the family (or none)', () => {
		const a = newConsultation(staffId, sessionId, householdId);
		const b = newConsultation(staffId, sessionId);
		expect(isUuidV7(a.id)).toBe(true);
		expect(a.id).not.toBe(b.id);
		expect(a).toMatchObject({ staffId, sessionId, baseHlc: null });
		expect(a.content).toEqual(emptyDraftContent({ householdId }));
		expect(b.content.householdId).toBeNull();
	});

	it('a correction starts from the saved fields and its stamp, with the note fields empty', () => {
		const row = savedRow();
		const d = correctionOf(row);
		expect(d).toMatchObject({ id: row.id, staffId, sessionId, baseHlc: row.hlc });
		expect(d.content).toEqual(
			emptyDraftContent({
				householdId,
				childId: null,
				childAgeBand: 'age1',
				topics: ['sleep', 'growth'],
				durationMin: 15,
				urgency: 'watch',
				followUp: 'refer_health'
			})
		);
		d.content.topics.push('play');
		expect(row.topics).toEqual(['sleep', 'growth']);
	});

	it('a correction already under way resumes; one of another member or another version does not', async () => {
		const row = savedRow();
		await db.consultations.put(row);
		const typed = emptyDraftContent({ ...correctionOf(row).content, note: '追記' });
		await saveDraft(db, { id: row.id, staffId, sessionId, baseHlc: row.hlc, content: typed });
		expect((await startCorrection(db, row, staffId)).content.note).toBe('追記');
		expect((await startCorrection(db, row, uuidv7())).content.note).toBe('');
		const newer = { ...row, hlc: '001778000000001:00000:dev' };
		expect((await startCorrection(db, newer, staffId)).baseHlc).toBe(newer.hlc);
		expect((await startCorrection(db, newer, staffId)).content.note).toBe('');
	});
});
