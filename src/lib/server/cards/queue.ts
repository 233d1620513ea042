/**
 * The centre's card print queue: households whose `cardPrintRequested` is set (by the tablet at
 * registration, or by a card reissue), printed on A4 sheets and then marked printed. Marking and
 * re-queueing change the household through writeCentreRecords, so the flag flows down to tablets
 * at their next pull like any other edit, and each change is audited in the same transaction.
 *
 * What these functions return about a household is what goes on a card or helps a coordinator
 * sort the cards for delivery: the code, the family's language, where and when they registered.
 * No nickname, town or children.
 */
import type { CardCode } from '$lib/domain/card-code';
import type { HouseholdData } from '$lib/domain/schemas';
import { audit } from '../auth/devices';
import type { Queryable, Store } from '../db/store';
import { takeWriteLock, writeCentreRecords } from '../sync/records';

export interface CardRow {
	id: string;
	code: CardCode;
	language: HouseholdData['language'];
	siteId: string | null;
	/** The registration site's name, or null when the household has none (or it was deleted). */
	siteName: string | null;
	/** The registration (consent) date, ISO. */
	registeredOn: string;
	queued: boolean;
}

const CARD_COLUMNS = `h.id::text, h.data->>'cardCode' as code, h.data->>'language' as language,
	h.registered_site_id::text as "siteId", st.data->>'nameJa' as "siteName",
	h.data->>'consentDate' as "registeredOn", coalesce((h.data->>'cardPrintRequested')::boolean, false) as queued`;
const CARD_FROM = `households h left join sites st on st.id = h.registered_site_id and not st.deleted`;
/** Newest registration first; the id (a UUIDv7, made when the family registered) breaks ties in time order. */
const NEWEST_FIRST = `h.data->>'consentDate' desc, h.id desc`;
const QUEUED = `not h.deleted and coalesce((h.data->>'cardPrintRequested')::boolean, false)`;

export async function listQueue(db: Queryable, siteId: string | null = null): Promise<CardRow[]> {
	const r = await db.query<CardRow>(
		`select ${CARD_COLUMNS} from ${CARD_FROM}
		 where ${QUEUED} and ($1::uuid is null or h.registered_site_id = $1::uuid)
		 order by ${NEWEST_FIRST}`,
		[siteId]
	);
	return r.rows;
}

export async function queueCount(db: Queryable): Promise<number> {
	const r = await db.query<{ n: number }>(`select count(*)::int as n from households h where ${QUEUED}`);
	return r.rows[0]!.n;
}

/** The households of these ids that exist and are not deleted, newest first (queued or not). */
export async function cardsByIds(db: Queryable, ids: readonly string[]): Promise<CardRow[]> {
	if (ids.length === 0) return [];
	const r = await db.query<CardRow>(`select ${CARD_COLUMNS} from ${CARD_FROM} where h.id = any($1::uuid[]) and not h.deleted order by ${NEWEST_FIRST}`, [
		[...new Set(ids)]
	]);
	return r.rows;
}

export async function cardById(db: Queryable, id: string): Promise<CardRow | null> {
	return (await cardsByIds(db, [id]))[0] ?? null;
}

/** The household that holds this (canonical) card code, if any and not deleted. */
export async function householdIdByCode(db: Queryable, code: CardCode): Promise<string | null> {
	const r = await db.query<{ id: string }>(`select id::text from households where card_code = $1 and not deleted`, [code]);
	return r.rows[0]?.id ?? null;
}

export type MarkPrintedResult = { status: 'ok'; marked: string[]; alreadyPrinted: number } | { status: 'unknown' };

/**
 * Clear the print request of these households, in one transaction, audited `card.print` with the
 * count and ids. Refuses the whole set if any id is no (live) household. A household another
 * coordinator has already marked is left as it is and counted apart.
 */
export async function markPrinted(store: Store, ids: readonly string[], actor: string, now: number = Date.now()): Promise<MarkPrintedResult> {
	const unique = [...new Set(ids)];
	return store.transaction(async (tx) => {
		// The lock first: no tablet's push can change a household between our read and our write.
		await takeWriteLock(tx);
		const r = await tx.query<{ id: string; data: HouseholdData }>(`select id::text, data from households where id = any($1::uuid[]) and not deleted`, [unique]);
		if (r.rows.length !== unique.length) return { status: 'unknown' };
		const toMark = r.rows.filter((row) => row.data.cardPrintRequested);
		if (toMark.length > 0) {
			await writeCentreRecords(
				tx,
				'households',
				toMark.map((row) => ({ id: row.id, data: { ...row.data, cardPrintRequested: false } })),
				now
			);
			const householdIds = toMark.map((row) => row.id).sort();
			await audit(tx, actor, 'card.print', null, { count: householdIds.length, householdIds });
		}
		return { status: 'ok', marked: toMark.map((row) => row.id), alreadyPrinted: r.rows.length - toMark.length };
	});
}

export type RequeueResult = 'ok' | 'not_found' | 'already_queued';

/** Put one household's card back in the print queue (a lost or worn card), audited `card.requeue`. */
export async function requeueCard(store: Store, id: string, actor: string, now: number = Date.now()): Promise<RequeueResult> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const r = await tx.query<{ data: HouseholdData }>(`select data from households where id = $1 and not deleted`, [id]);
		const row = r.rows[0];
		if (!row) return 'not_found';
		if (row.data.cardPrintRequested) return 'already_queued';
		await writeCentreRecords(tx, 'households', [{ id, data: { ...row.data, cardPrintRequested: true } }], now);
		await audit(tx, actor, 'card.requeue', id, null);
		return 'ok';
	});
}

export type CardExportFormat = 'svg' | 'print';

/** A card handed out of the centre as a file or a print page (`card.export`). */
export async function auditCardExport(db: Queryable, actor: string, id: string, format: CardExportFormat): Promise<void> {
	await audit(db, actor, 'card.export', id, { format });
}
