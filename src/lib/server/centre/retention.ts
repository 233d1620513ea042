/**
 * Retention (issue 10). How long the ward keeps consultation notes, visits and households is its
 * own rule (each ward's 文書管理規程), so it is a setting here, with defaults stated in the README.
 * A period counts whole fiscal years (年度) after the one the record belongs to: kept N years, a
 * record of 年度 F goes once 年度 F+N has ended (a note of June 2020, kept 5 years, goes on
 * 1 April 2026). What expires is purged on a schedule (once a day, by whichever server process
 * claims the day) or at once by an admin; every purge is one transaction and one audit row with
 * its counts.
 *
 * - notes: the sealed text of a consultation and of all its revisions, and the comments of its
 *   follow-up case, go; the consultation's topics, urgency and follow-up stay for the statistics.
 * - visits: rows are deleted (the report facts are counted again for their sessions and families).
 * - households: a family not seen since (no visit, no registration) is removed: its household and
 *   children become tombstones without nickname, which reach the tablets and remove them there.
 */
import { z } from 'zod';
import { fiscalYear, tokyoDate } from '$lib/domain/dates';
import type { ChildData, HouseholdData } from '$lib/domain/schemas';
import { DEFAULT_RETENTION, MAX_RETENTION_YEARS, RETENTION_KINDS, type RetentionKind, type RetentionSettings } from '$lib/domain/retention';
import { audit } from '../auth/devices';
import type { Queryable, Store } from '../db/store';
import { logError } from '../log';

export { RETENTION_KINDS } from '$lib/domain/retention';
import { takeWriteLock, writeCentreRecords } from '../sync/records';

const SETTINGS_KEY = 'retention';

const years = (label: string) =>
	z
		.string({ error: `${label}の保存年数を選んでください` })
		.refine((v) => v === 'forever' || /^\d{1,2}$/.test(v), `${label}の保存年数は1〜${MAX_RETENTION_YEARS}年か「無期限」です`)
		.transform((v) => (v === 'forever' ? null : Number(v)))
		.refine((v) => v === null || (v >= 1 && v <= MAX_RETENTION_YEARS), `${label}の保存年数は1〜${MAX_RETENTION_YEARS}年か「無期限」です`);

export const retentionForm = z.object({
	notes: years('相談記録のメモ'),
	visits: years('来場記録'),
	households: years('登録世帯')
});

const stored = z.object({ notes: z.int().min(1).nullable(), visits: z.int().min(1).nullable(), households: z.int().min(1).nullable() }).partial();

export async function getRetention(db: Queryable): Promise<RetentionSettings & { updatedAt: string | null }> {
	const r = await db.query<{ value: unknown; updated_at: Date | string }>(`select value, updated_at from centre_settings where key = $1`, [SETTINGS_KEY]);
	const row = r.rows[0];
	const parsed = stored.safeParse(row?.value ?? {});
	const value = parsed.success ? parsed.data : {};
	return {
		notes: value.notes === undefined ? DEFAULT_RETENTION.notes : value.notes,
		visits: value.visits === undefined ? DEFAULT_RETENTION.visits : value.visits,
		households: value.households === undefined ? DEFAULT_RETENTION.households : value.households,
		updatedAt: row ? new Date(row.updated_at).toISOString() : null
	};
}

export async function setRetention(store: Store, actor: string, next: RetentionSettings): Promise<{ changed: RetentionKind[] }> {
	return store.transaction(async (tx) => {
		const old = await getRetention(tx);
		const changed = RETENTION_KINDS.filter((k) => old[k] !== next[k]);
		if (changed.length === 0) return { changed };
		await tx.query(
			`insert into centre_settings (key, value, updated_by) values ($1, $2::jsonb, $3)
			 on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`,
			[SETTINGS_KEY, JSON.stringify(next), actor]
		);
		await audit(tx, actor, 'retention.update', null, Object.fromEntries(changed.map((k) => [k, { from: old[k], to: next[k] }])));
		return { changed };
	});
}

/** The first date still kept: records dated before it have outlived `years` (null: nothing expires). */
export function retentionCutoff(years: number | null, today: string): string | null {
	if (years === null) return null;
	return `${fiscalYear(today) - years}-04-01`;
}

export type PurgeCounts = Record<RetentionKind, number> & { children: number; comments: number };

/** What a purge today would remove, without removing it. */
export async function previewPurge(db: Queryable, today: string = tokyoDate()): Promise<PurgeCounts> {
	const s = await getRetention(db);
	const cut = cutoffs(s, today);
	const notes = cut.notes ? await db.query<{ n: number }>(`select count(*)::int as n from consultations c where ${NOTE_EXPIRED}`, [cut.notes]) : null;
	const comments = cut.notes ? await db.query<{ n: number }>(`select count(*)::int as n from ${EXPIRED_COMMENTS}`, [cut.notes]) : null;
	const visits = cut.visits ? await db.query<{ n: number }>(`select count(*)::int as n from visits v where ${VISIT_EXPIRED}`, [cut.visits]) : null;
	const households = cut.households ? await expiredHouseholds(db, cut.households) : [];
	const children = households.length
		? await db.query<{ n: number }>(`select count(*)::int as n from children where not deleted and household_id = any($1::uuid[])`, [
				households.map((h) => h.id)
			])
		: null;
	return {
		notes: notes?.rows[0]!.n ?? 0,
		comments: comments?.rows[0]!.n ?? 0,
		visits: visits?.rows[0]!.n ?? 0,
		households: households.length,
		children: children?.rows[0]!.n ?? 0
	};
}

function cutoffs(s: RetentionSettings, today: string): Record<RetentionKind, string | null> {
	return { notes: retentionCutoff(s.notes, today), visits: retentionCutoff(s.visits, today), households: retentionCutoff(s.households, today) };
}

// The consultation's own date is when it was held, in Tokyo.
const NOTE_EXPIRED = `(c.data->>'sealed') is not null and to_char((c.data->>'consultedAt')::timestamptz at time zone 'Asia/Tokyo', 'YYYY-MM-DD') < $1`;
const EXPIRED_COMMENTS = `followup_events e join followup_cases fc on fc.id = e.case_id join consultations c on c.id = fc.consultation_id
	where e.detail ? 'comment' and to_char((c.data->>'consultedAt')::timestamptz at time zone 'Asia/Tokyo', 'YYYY-MM-DD') < $1`;
const VISIT_EXPIRED = `exists (select 1 from sessions s where s.id = v.session_id and s.session_date < $1)`;

/** Households last seen (registered or visited) before the cutoff. */
async function expiredHouseholds(db: Queryable, cutoff: string): Promise<Array<{ id: string; data: HouseholdData }>> {
	const r = await db.query<{ id: string; data: HouseholdData }>(
		`select h.id::text, h.data from households h
		 where not h.deleted and (h.data->>'consentDate') < $1
		   and not exists (
		     select 1 from visits v join sessions s on s.id = v.session_id
		     where not v.deleted and s.session_date >= $1 and (v.household_id = h.id or (v.household_id is null and v.card_code = h.card_code)))`,
		[cutoff]
	);
	return r.rows;
}

/** Purge what has outlived its retention, in one transaction with one audit row. */
export async function purgeExpired(store: Store, actor: string, today: string = tokyoDate()): Promise<PurgeCounts> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const s = await getRetention(tx);
		const cut = cutoffs(s, today);
		const counts: PurgeCounts = { notes: 0, comments: 0, visits: 0, households: 0, children: 0 };
		if (cut.notes) {
			const notes = await tx.query<{ id: string }>(
				`update consultations c set data = jsonb_set(c.data, '{sealed}', 'null'), note_purged_at = now() where ${NOTE_EXPIRED} returning c.id::text`,
				[cut.notes]
			);
			counts.notes = notes.rows.length;
			// Every revision of an expired consultation, not only those of the notes purged now: a
			// revision may hold text that a later one left out.
			await tx.query(
				`update consultation_revisions r set data = jsonb_set(r.data, '{sealed}', 'null')
				 from consultations c where c.id = r.consultation_id and (r.data->>'sealed') is not null
				   and to_char((c.data->>'consultedAt')::timestamptz at time zone 'Asia/Tokyo', 'YYYY-MM-DD') < $1`,
				[cut.notes]
			);
			const comments = await tx.query(
				`update followup_events ev set detail = (ev.detail - 'comment') || '{"commentPurged": true}'::jsonb
				 where ev.id in (select e.id from ${EXPIRED_COMMENTS})`,
				[cut.notes]
			);
			counts.comments = comments.rowCount;
		}
		if (cut.visits) {
			const visits = await tx.query(`delete from visits v where ${VISIT_EXPIRED}`, [cut.visits]);
			counts.visits = visits.rowCount;
		}
		if (cut.households) {
			const households = await expiredHouseholds(tx, cut.households);
			const ids = households.map((h) => h.id);
			const children = ids.length
				? (await tx.query<{ id: string; data: ChildData }>(`select id::text, data from children where not deleted and household_id = any($1::uuid[])`, [ids]))
						.rows
				: [];
			for (let i = 0; i < households.length; i += 500) {
				await writeCentreRecords(
					tx,
					'households',
					households.slice(i, i + 500).map((h) => ({ id: h.id, data: { ...h.data, nickname: null }, deleted: true }))
				);
			}
			for (let i = 0; i < children.length; i += 500) {
				await writeCentreRecords(
					tx,
					'children',
					children.slice(i, i + 500).map((c) => ({ id: c.id, data: { ...c.data, nickname: null }, deleted: true }))
				);
			}
			counts.households = households.length;
			counts.children = children.length;
		}
		await audit(tx, actor, 'retention.purge', null, { ...counts, cutoffs: cut, settings: { notes: s.notes, visits: s.visits, households: s.households } });
		return counts;
	});
}

export const RETENTION_ACTOR = 'retention-schedule';

/**
 * The daily run: the first process to claim today's row purges; the others (and later runs on the
 * same day) do nothing. A failed purge gives the day back, so the next run tries again.
 */
export async function runScheduledPurge(store: Store, now: number = Date.now()): Promise<PurgeCounts | null> {
	const day = tokyoDate(now);
	try {
		const claimed = await store.query(`insert into retention_runs (day) values ($1) on conflict do nothing returning day`, [day]);
		if (claimed.rows.length === 0) return null;
		try {
			const counts = await purgeExpired(store, RETENTION_ACTOR, day);
			await store.query(`update retention_runs set counts = $2::jsonb, ran_at = now() where day = $1`, [day, JSON.stringify(counts)]);
			return counts;
		} catch (e) {
			await store.query(`delete from retention_runs where day = $1`, [day]);
			throw e;
		}
	} catch (e) {
		logError('[retention] the scheduled purge failed', e);
		return null;
	}
}

export async function lastRuns(db: Queryable, limit = 7): Promise<Array<{ day: string; ranAt: string; counts: Partial<PurgeCounts> }>> {
	const r = await db.query<{ day: string; ran_at: Date | string; counts: Partial<PurgeCounts> }>(
		`select day, ran_at, counts from retention_runs order by day desc limit $1`,
		[limit]
	);
	return r.rows.map((x) => ({ day: x.day, ranAt: new Date(x.ran_at).toISOString(), counts: x.counts }));
}
