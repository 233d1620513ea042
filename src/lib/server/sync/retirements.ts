/**
 * Retired card codes (migration 0009). A code is retired when its household gets a new card
 * (`reissued`) or when its household, registered twice, is merged into the one kept (`merged`).
 * The retirement is a synced row that every tablet pulls, so a scan of the old card is refused
 * everywhere after the next sync; at the centre it also names the household the code now leads to
 * (`household_id`, never sent), so that a visit made with the old card before a tablet learnt of
 * the retirement still counts for that family.
 *
 * Every function here runs inside a transaction that holds the sync write lock (records.ts).
 */
import { makeCardCode } from '$lib/domain/card-code';
import { childrenComing } from '$lib/domain/checkin';
import { tokyoDate } from '$lib/domain/dates';
import type { CardRetirementData, ChildData, ConsultationData, VisitData } from '$lib/domain/schemas';
import type { Queryable } from '../db/store';
import { writeCentreRecords } from './records';

export interface Retirement {
	reason: CardRetirementData['reason'];
	/** The household the code now leads to; null if it is gone. */
	householdId: string | null;
}

/** Retire a card code, leading to `householdId`. Returns the retirement's id. */
export async function retireCardCode(
	tx: Queryable,
	cardCode: string,
	reason: CardRetirementData['reason'],
	householdId: string,
	now: number = Date.now()
): Promise<string> {
	const [id] = await writeCentreRecords(tx, 'card_retirements', [{ data: { cardCode, reason, retiredOn: tokyoDate(now) } }], now);
	await tx.query('update card_retirements set household_id = $2 where id = $1', [id, householdId]);
	return id!;
}

/** The retirements among these codes. */
export async function retiredCodes(tx: Queryable, codes: Iterable<string>): Promise<Map<string, Retirement>> {
	const list = [...new Set(codes)];
	if (list.length === 0) return new Map();
	const r = await tx.query<{ card_code: string; reason: Retirement['reason']; household_id: string | null }>(
		`select card_code, data->>'reason' as reason, household_id::text from card_retirements where card_code = any($1::text[]) and not deleted`,
		[list]
	);
	return new Map(r.rows.map((row) => [row.card_code, { reason: row.reason, householdId: row.household_id }]));
}

/** Codes that lead to `from` lead to `to` from now on (a merge: the duplicate's old cards too). */
export async function redirectRetirements(tx: Queryable, from: string, to: string): Promise<number> {
	const r = await tx.query('update card_retirements set household_id = $2 where household_id = $1', [from, to]);
	return r.rowCount;
}

/** A new card code that no household has and none ever had (80 random bits: a clash is a bug or a miracle). */
export async function freshCardCode(tx: Queryable, random?: (bytes: Uint8Array) => Uint8Array): Promise<string> {
	for (let attempt = 0; attempt < 5; attempt++) {
		const code = makeCardCode(random);
		const taken = await tx.query(`select 1 from households where card_code = $1 union all select 1 from card_retirements where card_code = $1 limit 1`, [code]);
		if (taken.rows.length === 0) return code;
	}
	throw new Error('no free card code after 5 attempts');
}

type ChildRow = { id: string; householdId: string; birthYm: string; deleted: boolean };

export async function childRows(tx: Queryable, where: { ids?: string[]; householdIds?: string[] }): Promise<ChildRow[]> {
	const r = await tx.query<ChildRow>(
		`select id::text, household_id::text as "householdId", data->>'birthYm' as "birthYm", deleted from children
		 where id = any($1::uuid[]) or household_id = any($2::uuid[]) order by data->>'birthYm', id`,
		[where.ids ?? [], where.householdIds ?? []]
	);
	return r.rows;
}

/** The children `named` and those of the `targets` families, by id; and each target family's own. */
async function childrenAround(tx: Queryable, named: string[], targets: string[]) {
	const kids = await childRows(tx, { ids: named, householdIds: [...new Set(targets)] });
	return { known: new Map(kids.map((c) => [c.id, c])), childrenOf: (target: string) => kids.filter((c) => c.householdId === target) };
}

/**
 * The children a visit names, as children of `target`: a child of `target` stays; another (a
 * duplicate's child merged into one of `target`'s) becomes the child `childMap` says or, failing
 * that, a child of `target` born the same month that the visit does not name yet; the rest are
 * dropped. Each child once.
 */
export function childIdsFor(
	childIds: string[],
	target: string,
	known: Map<string, ChildRow>,
	targetChildren: ChildRow[],
	childMap?: Map<string, string>
): string[] {
	const out = new Set<string>();
	const live = targetChildren.filter((c) => !c.deleted && c.householdId === target);
	for (const id of childIds) {
		const c = known.get(id);
		if (c && !c.deleted && c.householdId === target) out.add(id);
	}
	for (const id of childIds) {
		const c = known.get(id);
		if (!c || (!c.deleted && c.householdId === target)) continue;
		const mapped = childMap?.get(id) ?? live.find((t) => t.birthYm === c.birthYm && !out.has(t.id))?.id;
		if (mapped) out.add(mapped);
	}
	return [...out];
}

/**
 * Visits that name a retired card without a family, or a family merged into another: name the
 * family the card now leads to, and its children, in a centre version (which flows back to the
 * site's tablets), so the visit counts for that family. The visit keeps the card it was made with.
 *
 * `noteSightings: false`: every tablet knows every retired code, so a visit with one proves nothing
 * about the family; it must not make the family's records flow to that tablet's site (holdings.ts).
 * Returns how many visits were resolved.
 */
export async function resolveRetiredVisits(tx: Queryable, visitIds: string[], now: number = Date.now()): Promise<number> {
	if (visitIds.length === 0) return 0;
	const r = await tx.query<{ id: string; data: VisitData; session_date: string; target: string }>(
		`select v.id::text, v.data, s.session_date, coalesce(r1.household_id, r2.household_id)::text as target
		 from visits v
		 join sessions s on s.id = v.session_id
		 left join card_retirements r1 on v.household_id is null and r1.card_code = v.card_code and not r1.deleted
		 left join households h on h.id = v.household_id and h.deleted
		 left join card_retirements r2 on r2.card_code = h.card_code and r2.data->>'reason' = 'merged' and not r2.deleted
		 join households t on t.id = coalesce(r1.household_id, r2.household_id) and not t.deleted
		 where v.id = any($1::uuid[]) and not v.deleted`,
		[visitIds]
	);
	if (r.rows.length === 0) return 0;
	const { known, childrenOf } = await childrenAround(
		tx,
		r.rows.flatMap((row) => row.data.childIds),
		r.rows.map((row) => row.target)
	);
	const records = r.rows.map((row) => {
		const theirs = childrenOf(row.target);
		const childIds =
			row.data.householdId === null
				? childrenComing(
						theirs.map(
							(c) =>
								({ id: c.id, deleted: c.deleted, householdId: c.householdId, birthYm: c.birthYm, nickname: null }) satisfies ChildData & {
									id: string;
									deleted: boolean;
								}
						),
						row.session_date
					).map((c) => c.id)
				: childIdsFor(row.data.childIds, row.target, known, theirs);
		return { id: row.id, data: { ...row.data, householdId: row.target, childIds } };
	});
	await writeCentreRecords(tx, 'visits', records, now, { noteSightings: false });
	return records.length;
}

/**
 * Consultations about a family merged into another: name the family kept, and the child there
 * (a child who moved keeps its id; one merged into a twin becomes that twin: `childMap`, or failing
 * that the kept family's child born the same month), in a centre revision. Its `sealed` is null,
 * which leaves the note as the last revision had it: the centre never reseals a note, and the
 * note page shows the newest revision that carried text. Consultations stay at the centre (no
 * tablet pulls them), so no tablet's holdings change. Returns how many were named anew.
 */
export async function resolveMergedConsultations(tx: Queryable, ids: string[], now: number = Date.now(), childMap?: Map<string, string>): Promise<number> {
	if (ids.length === 0) return 0;
	const r = await tx.query<{ id: string; data: ConsultationData; target: string }>(
		`select c.id::text, c.data, r.household_id::text as target
		 from consultations c
		 join households h on h.id = c.household_id and h.deleted
		 join card_retirements r on r.card_code = h.card_code and r.data->>'reason' = 'merged' and not r.deleted
		 join households t on t.id = r.household_id and not t.deleted
		 where c.id = any($1::uuid[]) and not c.deleted`,
		[ids]
	);
	if (r.rows.length === 0) return 0;
	const { known, childrenOf } = await childrenAround(
		tx,
		r.rows.flatMap((row) => (row.data.childId ? [row.data.childId] : [])),
		r.rows.map((row) => row.target)
	);
	const records = r.rows.map((row) => {
		const theirs = childrenOf(row.target);
		const childId = row.data.childId === null ? null : (childIdsFor([row.data.childId], row.target, known, theirs, childMap)[0] ?? null);
		return { id: row.id, data: { ...row.data, householdId: row.target, childId, sealed: null } };
	});
	await writeCentreRecords(tx, 'consultations', records, now);
	return records.length;
}
