/**
 * What the centre does with each consultation version it stores: keeps it as a revision beside the
 * others (a correction never overwrites), and opens a follow-up case for a consultation with a
 * referral. Called by the writers of the consultations table inside their transaction.
 */
import { addDays, tokyoDate } from '$lib/domain/dates';
import { uuidv7 } from '$lib/domain/ids';
import { isReferral, type ConsultationData } from '$lib/domain/schemas';
import type { Queryable } from '../db/store';
import type { RowVersion } from '../sync/records';

/** Days from the consultation to a new case's due date, by urgency. */
export const DUE_DAYS: Record<ConsultationData['urgency'], number> = { urgent: 1, watch: 3, normal: 14 };

/** Keep each version as a revision (a version seen before is kept once). */
export async function keepRevisions(tx: Queryable, rows: RowVersion[], originDevice: string | null): Promise<void> {
	if (rows.length === 0) return;
	await tx.query(
		`insert into consultation_revisions (consultation_id, hlc, deleted, data, origin_device)
		 select x.id, x.hlc, x.deleted, x.data, $2::uuid
		 from jsonb_to_recordset($1::jsonb) as x(id uuid, hlc text, deleted boolean, data jsonb)
		 on conflict do nothing`,
		[JSON.stringify(rows), originDevice]
	);
}

/**
 * For consultations just written as their newest version: open a case where a referral has none
 * yet, and note a revision on a case that exists.
 */
export async function noteConsultationWrites(tx: Queryable, written: RowVersion[], actor: string, now: number): Promise<void> {
	if (written.length === 0) return;
	const ids = written.map((r) => r.id);
	const existing = new Map(
		(
			await tx.query<{ id: string; consultation_id: string }>(
				'select id::text, consultation_id::text from followup_cases where consultation_id = any($1::uuid[])',
				[ids]
			)
		).rows.map((r) => [r.consultation_id, r.id])
	);
	const opened: Array<{ id: string; consultationId: string; due: string }> = [];
	const events: Array<{ caseId: string; action: string; detail: unknown }> = [];
	for (const row of written) {
		const data = row.data as ConsultationData;
		const caseId = existing.get(row.id);
		if (caseId) {
			events.push({ caseId, action: 'revised', detail: { hlc: row.hlc, urgency: data.urgency, followUp: data.followUp, deleted: row.deleted } });
		} else if (!row.deleted && isReferral(data.followUp)) {
			const id = uuidv7(now);
			const due = addDays(tokyoDate(Date.parse(data.consultedAt)), DUE_DAYS[data.urgency]);
			opened.push({ id, consultationId: row.id, due });
			events.push({ caseId: id, action: 'opened', detail: { followUp: data.followUp, urgency: data.urgency, due } });
		}
	}
	if (opened.length > 0) {
		await tx.query(
			`insert into followup_cases (id, consultation_id, due_date)
			 select x.id, x."consultationId", x.due from jsonb_to_recordset($1::jsonb) as x(id uuid, "consultationId" uuid, due text)
			 on conflict (consultation_id) do nothing`,
			[JSON.stringify(opened)]
		);
	}
	if (events.length > 0) {
		await tx.query(
			`insert into followup_events (case_id, actor, action, detail)
			 select x."caseId", $2, x.action, x.detail from jsonb_to_recordset($1::jsonb) as x("caseId" uuid, action text, detail jsonb)`,
			[JSON.stringify(events), actor]
		);
	}
}
