/**
 * What a coordinator changes about a family at the centre: a child added, a lost card reissued,
 * two registrations of one family merged. Each is one transaction through writeCentreRecords (so
 * it reaches the tablets at their next pull, and the report facts follow by their triggers), with
 * its audit entry (ids and counts, nothing personal) in the same transaction.
 */
import { z } from 'zod';
import { YEAR_MONTH_RE, type IsoDate } from '$lib/domain/dates';
import { UUID_RE } from '$lib/domain/ids';
import type { ChildData, HouseholdData, VisitData } from '$lib/domain/schemas';
import { cleanText } from '$lib/server/clean-text';
import type { Queryable, Store } from '../db/store';
import { audit } from '../auth/devices';
import type { StaffUser } from '../auth/staff-sessions';
import { noteSightings, resendFamilies } from '../sync/holdings';
import { takeWriteLock, writeCentreRecords } from '../sync/records';
import { freshCardCode, redirectRetirements, resolveMergedConsultations, resolveRetiredVisits, retireCardCode } from '../sync/retirements';
import { cardInput } from './queries';

/** Who may find families and change them at the centre. */
export const FAMILY_MANAGERS = ['coordinator', 'admin'] as const;

const actor = (user: StaffUser) => `staff:${user.id}`;

/** How far back a child's birth month may go: siblings of school age come too, not grown-ups. */
export const OLDEST_CHILD_YEARS = 18;

export function addChildForm(today: IsoDate) {
	const thisMonth = today.slice(0, 7);
	const oldest = `${Number(today.slice(0, 4)) - OLDEST_CHILD_YEARS}${today.slice(4, 7)}`;
	return z.object({
		birthYm: z
			.string({ error: 'お子さんの生まれた年月を入力してください' })
			.regex(YEAR_MONTH_RE, '生まれた年月は 2025-06 の形で入力してください')
			.refine((ym) => ym <= thisMonth, '生まれた年月が今月より後になっています')
			.refine((ym) => ym >= oldest, `生まれた年月が${OLDEST_CHILD_YEARS}年以上前になっています`),
		nickname: cleanText({ message: '呼び名に使えない文字が含まれています' })
			.trim()
			.max(20, '呼び名は20文字までで入力してください')
			.optional()
			.transform((v) => (v ? v : null))
	});
}

export type ChangeResult<T> = { status: 'ok'; value: T } | { status: 'not_found' } | { status: 'invalid'; errors: Record<string, string> };

/** A live household, read under the sync write lock so nothing changes it until this transaction ends. */
async function liveHousehold(tx: Queryable, id: string): Promise<{ id: string; data: HouseholdData } | null> {
	if (!UUID_RE.test(id)) return null;
	const r = await tx.query<{ id: string; data: HouseholdData }>('select id::text, data from households where id = $1::uuid and not deleted', [id]);
	return r.rows[0] ?? null;
}

/** A child of the family, born in `birthYm`; flows to the tablets that hold the family. */
export async function addChild(
	store: Store,
	user: StaffUser,
	householdId: string,
	child: { birthYm: string; nickname: string | null },
	now: number = Date.now()
): Promise<ChangeResult<{ childId: string }>> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const h = await liveHousehold(tx, householdId);
		if (!h) return { status: 'not_found' };
		const [childId] = await writeCentreRecords(tx, 'children', [{ data: { householdId: h.id, birthYm: child.birthYm, nickname: child.nickname } }], now);
		await audit(tx, actor(user), 'child.create', childId!, { householdId: h.id });
		return { status: 'ok', value: { childId: childId! } };
	});
}

/**
 * A lost card: the family gets a new code, queued for printing, and the old code is retired, so it
 * stops checking in everywhere after the next sync. Visits made with the old card that name no
 * family yet (a tablet that did not hold it) are named now, or they would no longer count for it.
 */
export async function reissueCard(
	store: Store,
	user: StaffUser,
	householdId: string,
	now: number = Date.now()
): Promise<ChangeResult<{ cardCode: string; resolvedVisits: number }>> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const h = await liveHousehold(tx, householdId);
		if (!h) return { status: 'not_found' };
		const old = h.data.cardCode;
		const cardCode = await freshCardCode(tx);
		await writeCentreRecords(tx, 'households', [{ id: h.id, data: { ...h.data, cardCode, cardPrintRequested: true } }], now);
		const retirementId = await retireCardCode(tx, old, 'reissued', h.id, now);
		// (Their sites already hold the family: the card named it when those visits reached the centre.)
		const unnamed = await tx.query<{ id: string }>('select id::text from visits where card_code = $1 and household_id is null and not deleted', [old]);
		const resolvedVisits = await resolveRetiredVisits(
			tx,
			unnamed.rows.map((v) => v.id),
			now
		);
		await audit(tx, actor(user), 'card.reissue', h.id, { retirementId, resolvedVisits });
		return { status: 'ok', value: { cardCode, resolvedVisits } };
	});
}

/** The merge page's query and form: the household kept and the duplicate, by their current cards. */
export const mergeQuery = z
	.object({
		keep: cardInput.optional(),
		duplicate: cardInput.optional()
	})
	.superRefine((q, ctx) => {
		if (q.keep !== undefined && q.duplicate === undefined)
			ctx.addIssue({ code: 'custom', path: ['duplicate'], message: 'まとめる世帯のカード番号を入力してください' });
		if (q.duplicate !== undefined && q.keep === undefined) ctx.addIssue({ code: 'custom', path: ['keep'], message: '残す世帯のカード番号を入力してください' });
		if (q.keep !== undefined && q.keep === q.duplicate) {
			ctx.addIssue({ code: 'custom', path: ['duplicate'], message: '残す世帯とまとめる世帯に同じカード番号が指定されています' });
		}
	});

export const mergeForm = z.object({
	keepId: z.string({ error: '残す世帯の指定がありません' }).regex(UUID_RE, '残す世帯の指定が正しくありません'),
	duplicateId: z.string({ error: 'まとめる世帯の指定がありません' }).regex(UUID_RE, 'まとめる世帯の指定が正しくありません'),
	confirm: z.literal('yes', { error: '内容を確認したら、確認のチェックを入れてください' })
});

interface MergeSide {
	id: string;
	data: HouseholdData;
	registeredSite: string | null;
	children: Array<{ id: string; data: ChildData }>;
	visits: Array<{ id: string; data: VisitData; sessionDate: IsoDate }>;
}

/** What a merge does, decided from both families as they are (the preview shows it; the merge does it). */
export interface MergePlan {
	keep: MergeSide;
	duplicate: MergeSide;
	/** The duplicate's children who move to the kept family as they are. */
	childrenMoved: Array<{ id: string; data: ChildData }>;
	/** The duplicate's children born the same month as one of the kept family's: merged into that child. */
	childrenMerged: Array<{ id: string; data: ChildData; into: { id: string; data: ChildData } }>;
	/** The duplicate's visits that move to the kept family. */
	visitsMoved: string[];
	/** The duplicate's visits at a session the kept family came to as well: folded into that visit. */
	visitsCombined: Array<{ id: string; into: string }>;
	/** The sites where the duplicate registered or was seen: the kept family is held there too. */
	sites: number;
	/** The duplicate's consultations (their notes unchanged), which come to name the kept family. */
	consultations: string[];
}

async function mergeSide(tx: Queryable, id: string): Promise<MergeSide | null> {
	const h = await tx.query<{ id: string; data: HouseholdData; site: string | null }>(
		`select h.id::text, h.data, rs.data->>'nameJa' as site from households h left join sites rs on rs.id = h.registered_site_id
		 where h.id = $1::uuid and not h.deleted`,
		[id]
	);
	const row = h.rows[0];
	if (!row) return null;
	const children = await tx.query<{ id: string; data: ChildData }>(
		`select id::text, data from children where household_id = $1::uuid and not deleted order by data->>'birthYm', id`,
		[id]
	);
	const visits = await tx.query<{ id: string; data: VisitData; sessionDate: IsoDate }>(
		`select v.id::text, v.data, s.session_date as "sessionDate" from visits v join sessions s on s.id = v.session_id
		 where (v.household_id = $1::uuid or (v.household_id is null and v.card_code = $2)) and not v.deleted
		 order by s.session_date, v.data->>'checkedInAt', v.id`,
		[id, row.data.cardCode]
	);
	return { id: row.id, data: row.data, registeredSite: row.site, children: children.rows, visits: visits.rows };
}

/**
 * Plan a merge of `duplicateId` into `keepId`. A duplicate's child born the same month as a kept
 * child becomes that child (each kept child takes at most one: twins registered once and twice stay
 * two); the others move. A duplicate's visit at a session the kept family also came to is folded
 * into that visit (a family comes to a session once); the others move.
 */
export async function planMerge(tx: Queryable, keepId: string, duplicateId: string): Promise<MergePlan | { missing: 'keep' | 'duplicate' }> {
	const keep = await mergeSide(tx, keepId);
	if (!keep) return { missing: 'keep' };
	const duplicate = await mergeSide(tx, duplicateId);
	if (!duplicate || duplicate.id === keep.id) return { missing: 'duplicate' };
	const taken = new Set<string>();
	const childrenMoved: MergePlan['childrenMoved'] = [];
	const childrenMerged: MergePlan['childrenMerged'] = [];
	for (const c of duplicate.children) {
		const twin = keep.children.find((k) => k.data.birthYm === c.data.birthYm && !taken.has(k.id));
		if (twin) {
			taken.add(twin.id);
			childrenMerged.push({ ...c, into: twin });
		} else childrenMoved.push(c);
	}
	const atSession = new Map(keep.visits.map((v) => [v.data.sessionId, v.id]));
	const visitsMoved: string[] = [];
	const visitsCombined: MergePlan['visitsCombined'] = [];
	for (const v of duplicate.visits) {
		const into = atSession.get(v.data.sessionId);
		if (into) visitsCombined.push({ id: v.id, into });
		else {
			visitsMoved.push(v.id);
			atSession.set(v.data.sessionId, v.id);
		}
	}
	const seen = await tx.query<{ n: number }>(
		`select count(*)::int as n from household_sites d
		 where d.household_id = $1::uuid and not exists (select 1 from household_sites k where k.household_id = $2::uuid and k.site_id = d.site_id)`,
		[duplicate.id, keep.id]
	);
	const consultations = await tx.query<{ id: string }>('select id::text from consultations where household_id = $1::uuid and not deleted order by id', [
		duplicate.id
	]);
	return {
		keep,
		duplicate,
		childrenMoved,
		childrenMerged,
		visitsMoved,
		visitsCombined,
		sites: seen.rows[0]!.n,
		consultations: consultations.rows.map((c) => c.id)
	};
}

export async function previewMerge(db: Store, keepId: string, duplicateId: string): Promise<MergePlan | { missing: 'keep' | 'duplicate' }> {
	return db.transaction((tx) => planMerge(tx, keepId, duplicateId));
}

export interface MergeOutcome {
	keepId: string;
	visitsMoved: number;
	visitsCombined: number;
	childrenMoved: number;
	childrenMerged: number;
	consultationsMoved: number;
}

/**
 * Merge a family registered twice, in one transaction: the duplicate's visits name the kept family
 * (each keeps the card it was made with), its children move or become the kept child born the same
 * month, its consultations name the kept family (their notes unchanged), it is deleted (a
 * tombstone, so tablets drop it) and its card retired, leading to the kept family; old cards that
 * led to it lead there too. The kept family is then held wherever the duplicate was, so it reaches
 * those sites' tablets. The report facts follow by their triggers.
 */
export async function mergeHouseholds(
	store: Store,
	user: StaffUser,
	keepId: string,
	duplicateId: string,
	now: number = Date.now()
): Promise<MergeOutcome | { missing: 'keep' | 'duplicate' }> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const plan = await planMerge(tx, keepId, duplicateId);
		if ('missing' in plan) return plan;
		const { keep, duplicate } = plan;

		// Children: moved, or merged into their twin (who takes the duplicate's nickname if it had none).
		const childMap = new Map(plan.childrenMerged.map((c) => [c.id, c.into.id]));
		const named = plan.childrenMerged.filter((c) => c.into.data.nickname === null && c.data.nickname !== null);
		await writeCentreRecords(
			tx,
			'children',
			[
				...plan.childrenMoved.map((c) => ({ id: c.id, data: { ...c.data, householdId: keep.id } })),
				...named.map((c) => ({ id: c.into.id, data: { ...c.into.data, nickname: c.data.nickname } })),
				...plan.childrenMerged.map((c) => ({ id: c.id, data: c.data, deleted: true }))
			],
			now
		);

		// Visits: moved, or folded into the kept family's visit at the same session.
		const mapChildren = (ids: string[]) => [...new Set(ids.map((id) => childMap.get(id) ?? id))];
		const visitData = new Map<string, VisitData>([...keep.visits, ...duplicate.visits].map((v) => [v.id, v.data]));
		const written = new Map<string, VisitData>();
		for (const id of plan.visitsMoved) {
			const v = visitData.get(id)!;
			written.set(id, { ...v, householdId: keep.id, childIds: mapChildren(v.childIds) });
		}
		for (const { id, into } of plan.visitsCombined) {
			const v = visitData.get(id)!;
			const target = written.get(into) ?? visitData.get(into)!;
			written.set(into, {
				...target,
				householdId: keep.id,
				childIds: mapChildren([...target.childIds, ...v.childIds]),
				adults: Math.max(target.adults, v.adults)
			});
		}
		await writeCentreRecords(
			tx,
			'visits',
			[...[...written].map(([id, data]) => ({ id, data })), ...plan.visitsCombined.map(({ id }) => ({ id, data: visitData.get(id)!, deleted: true }))],
			now
		);

		// The duplicate goes (off the print queue too), and its cards lead to the kept family.
		await writeCentreRecords(tx, 'households', [{ id: duplicate.id, data: { ...duplicate.data, cardPrintRequested: false }, deleted: true }], now);
		await redirectRetirements(tx, duplicate.id, keep.id);
		await retireCardCode(tx, duplicate.data.cardCode, 'merged', keep.id, now);
		// Its consultations name the kept family and child; each note stays as it was.
		const consultationsMoved = await resolveMergedConsultations(tx, plan.consultations, now, childMap);

		// Where the duplicate was registered or seen, the kept family is held too.
		const where = await tx.query<{ site_id: string; last_seen: IsoDate }>(
			'select site_id::text, last_seen from household_sites where household_id = $1::uuid',
			[duplicate.id]
		);
		const arrived = await noteSightings(
			tx,
			where.rows.map((r) => ({ householdId: keep.id, siteId: r.site_id, date: r.last_seen })),
			now
		);
		await resendFamilies(tx, arrived, { households: true });

		const outcome: MergeOutcome = {
			keepId: keep.id,
			visitsMoved: plan.visitsMoved.length,
			visitsCombined: plan.visitsCombined.length,
			childrenMoved: plan.childrenMoved.length,
			childrenMerged: plan.childrenMerged.length,
			consultationsMoved
		};
		await audit(tx, actor(user), 'household.merge', keep.id, { duplicateId: duplicate.id, ...outcome });
		return outcome;
	});
}
