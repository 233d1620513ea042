/**
 * Applying a tablet's push: every change gets its own verdict (applied, duplicate, stale,
 * rejected), and all of them are decided and written in one transaction. A change that fails its
 * stamp, schema or permission checks is rejected with a stable reason and changes nothing; the
 * tablet keeps it visible for staff. Retrying a whole push is always safe: what was applied comes
 * back duplicate, and a replay changes no sequence number, count or row.
 */
import { z } from 'zod';
import { ApiError } from '$lib/sync/errors';
import {
	changeEnvelope,
	isPushable,
	MAX_PUSH_CHANGES,
	PROTOCOL_VERSION,
	PUSHABLE_TABLES,
	pushRequest,
	TABLE_SCHEMAS,
	type ChangeEnvelope,
	type PushResult,
	type PushableTable
} from '$lib/sync/protocol';
import { deviceNode, MAX_AHEAD_MS, parseHlc } from '$lib/domain/hlc';
import type { ChildData, ConsultationData, HouseholdData, SessionData, VisitData } from '$lib/domain/schemas';
import type { RejectReason } from '$lib/sync/errors';
import type { Store, Queryable } from '../db/store';
import { noteContact, type Device } from '../auth/devices';
import { sealedKeyId } from '$lib/domain/seal';
import { getKeyring } from '../crypto/keyring';
import { keepRevisions } from '../consultations/cases';
import { families } from './holdings';
import { storedVersions, takeWriteLock, upsertRows, type RowVersion } from './records';
import { resolveMergedConsultations, resolveRetiredVisits, retiredCodes } from './retirements';

/** Validate the envelope: any fault here refuses the whole push and applies nothing. */
export function parsePushBody(body: unknown): ChangeEnvelope[] {
	const env = pushRequest.safeParse(body);
	if (!env.success) throw new ApiError('invalid_body', `push body: ${z.prettifyError(env.error)}`);
	if (env.data.protocol !== PROTOCOL_VERSION) {
		throw new ApiError('unsupported_protocol', `protocol ${env.data.protocol} is not supported; this centre speaks ${PROTOCOL_VERSION}`);
	}
	if (env.data.changes.length > MAX_PUSH_CHANGES) {
		throw new ApiError('too_many_changes', `at most ${MAX_PUSH_CHANGES} changes per push, got ${env.data.changes.length}`);
	}
	return env.data.changes.map((raw, i) => {
		const c = changeEnvelope.safeParse(raw);
		if (c.success) return c.data;
		const tableIssue = c.error.issues.find((iss) => iss.path[0] === 'table');
		if (tableIssue && typeof (raw as { table?: unknown })?.table === 'string') {
			throw new ApiError('unknown_table', `changes[${i}]: unknown table ${JSON.stringify((raw as { table: string }).table)}`);
		}
		throw new ApiError('invalid_body', `changes[${i}]: ${z.prettifyError(c.error)}`);
	});
}

type Verdict = PushResult;
type Reject = (i: number, code: RejectReason, message: string) => void;
/** Families a push's visits named, as the visits' checks found them: whether each is a tombstone. */
type Named = Map<string, { deleted: boolean }>;
interface Item {
	i: number;
	change: ChangeEnvelope;
	data: unknown;
}

/**
 * Decide and write a push. Before its data is even parsed, a change must carry a stamp this device
 * may make: its own node, not ahead of the centre's clock by more than MAX_AHEAD_MS, and, for a
 * retired device, made before it was retired. Then each table's rows pass the row-level checks of
 * `authorize` (the stored row and the new one), and only then does the merge rule decide.
 * `pending` is what the tablet said waits in its outbox (noteContact), written in the same commit.
 */
export async function applyPush(
	store: Store,
	device: Device,
	changes: ChangeEnvelope[],
	now: number = Date.now(),
	pending: number | null = null
): Promise<PushResult[]> {
	return store.transaction(async (tx) => {
		// See records.ts: on PostgreSQL the lock orders sequence numbers by commit; PGlite runs one
		// transaction at a time anyway.
		if (store.kind === 'postgres') await takeWriteLock(tx);
		const verdicts = new Map<number, Verdict>();
		const reject: Reject = (i, code, message) => {
			if (!verdicts.has(i)) verdicts.set(i, { id: changes[i]!.id, status: 'rejected', error: { code, message } });
		};
		const node = deviceNode(device.id);
		const latest = now + MAX_AHEAD_MS;
		const retiredBy = device.state === 'retired' && device.stateChangedAt ? Date.parse(device.stateChangedAt) + MAX_AHEAD_MS : null;
		const refusedBefore = await refusedStamps(tx, device, changes);
		const refusedNow: ChangeEnvelope[] = [];

		// Group valid changes by table, remembering each one's position in the push.
		const byTable = new Map<PushableTable, Item[]>();
		changes.forEach((change, i) => {
			if (!isPushable(change.table)) return reject(i, 'read_only_table', `${change.table} is reference data and only flows from the centre`);
			const stamp = parseHlc(change.hlc);
			if (stamp.node !== node) return reject(i, 'wrong_node', 'the stamp names another device; a device stamps its changes with its own id');
			if (refusedBefore.has(`${change.id}|${change.hlc}`)) {
				return reject(i, 'clock_ahead', 'this stamp was refused as ahead of the centre’s clock before, and stays refused: stamp the change again');
			}
			if (stamp.wall > latest) {
				refusedNow.push(change);
				return reject(
					i,
					'clock_ahead',
					`the stamp is ${Math.round((stamp.wall - now) / 1000)} s ahead of the centre's clock (at most ${MAX_AHEAD_MS / 1000} s): correct the clock from the Date header and stamp it again`
				);
			}
			if (retiredBy !== null && stamp.wall > retiredBy) return reject(i, 'stamped_after_retirement', 'this device was retired before this change was made');
			const parsed = TABLE_SCHEMAS[change.table].safeParse(change.data);
			if (!parsed.success) return reject(i, 'invalid_data', z.prettifyError(parsed.error));
			const list = byTable.get(change.table) ?? [];
			list.push({ i, change, data: parsed.data });
			byTable.set(change.table, list);
		});

		// Parents before children, so a visit may name a session opened earlier in the same push.
		const named: Named = new Map();
		for (const table of PUSHABLE_TABLES) {
			const items = byTable.get(table);
			if (items) await applyTable(tx, device, table, items, verdicts, reject, now, named);
		}
		// A family's record edited after a check-in with its card from elsewhere: the visit, later in
		// this push, is what lets this device hold the family. Decide those once more.
		const retry = (table: 'households' | 'children') => (byTable.get(table) ?? []).filter((x) => verdicts.get(x.i)?.error?.code === 'forbidden_household');
		const again = { households: retry('households'), children: retry('children') };
		if (again.households.length + again.children.length > 0 && byTable.has('visits')) {
			for (const table of ['households', 'children'] as const) {
				if (again[table].length === 0) continue;
				for (const x of again[table]) verdicts.delete(x.i);
				await applyTable(tx, device, table, again[table], verdicts, reject, now, named);
			}
		}

		// A visit made with a card retired since (reissued, or its family merged into another) is
		// still a visit by that family: named at the centre, so it counts for the family.
		// Only a visit that names no family by a card, or names a family merged away, can be one: most
		// name a live family, and are not looked up at all (a lookup per push is a cost every tablet pays).
		// Likewise a consultation about a family merged away names the family kept.
		const appliedOf = (table: 'visits' | 'consultations') => (byTable.get(table) ?? []).filter((x) => verdicts.get(x.i)?.status === 'applied');
		const appliedVisits = appliedOf('visits').map((x) => ({ id: x.change.id, v: x.data as VisitData }));
		const appliedConsultations = appliedOf('consultations').map((x) => ({ id: x.change.id, householdId: (x.data as ConsultationData).householdId }));
		const families = [
			...new Set([...appliedVisits.map((x) => x.v.householdId), ...appliedConsultations.map((x) => x.householdId)].filter((id) => id !== null))
		];
		// The visits' own checks read their families after every household of this push was written;
		// only households decided again after the visits (above) may have changed since.
		const decidedAgain = again.households.length > 0;
		const gone =
			families.length === 0
				? new Set<string>()
				: decidedAgain
					? new Set(
							(await tx.query<{ id: string }>('select id::text from households where id = any($1::uuid[]) and deleted', [families])).rows.map((r) => r.id)
						)
					: new Set(families.filter((id) => named.get(id)?.deleted === true));
		const maybeRetired = appliedVisits.filter((x) => (x.v.householdId === null ? x.v.cardCode !== null : gone.has(x.v.householdId)));
		await resolveRetiredVisits(
			tx,
			maybeRetired.map((x) => x.id),
			now
		);
		await resolveMergedConsultations(
			tx,
			appliedConsultations.filter((x) => x.householdId !== null && gone.has(x.householdId)).map((x) => x.id),
			now
		);

		await rememberRefused(tx, device, refusedNow);

		const results = changes.map((c, i) => verdicts.get(i) ?? { id: c.id, status: 'rejected' as const, error: { code: 'internal', message: 'no verdict' } });
		const applied = results.filter((r) => r.status === 'applied').length;
		await noteContact(tx, device, { pending, pushed: applied }, now);
		return results;
	});
}

async function applyTable(
	tx: Queryable,
	device: Device,
	table: PushableTable,
	items: Item[],
	verdicts: Map<number, Verdict>,
	reject: Reject,
	now: number,
	named: Named
): Promise<void> {
	const stored = await storedVersions(
		tx,
		table,
		items.map((x) => x.change.id)
	);
	// The very version the centre holds, sent again (a retry whose answer was lost): duplicate,
	// whatever has changed since about what this device may touch. It changes nothing.
	for (const { i, change } of items) {
		if (stored.get(change.id)?.hlc === change.hlc && !verdicts.has(i)) verdicts.set(i, { id: change.id, status: 'duplicate' });
	}
	await authorize(
		tx,
		device,
		table,
		items.filter((x) => !verdicts.has(x.i)),
		stored,
		reject,
		named
	);

	// Among several versions of one record in this push, the greatest stamp is the candidate.
	const best = new Map<string, Item>();
	for (const item of items) {
		if (verdicts.has(item.i)) continue;
		const cur = best.get(item.change.id);
		if (!cur || item.change.hlc > cur.change.hlc) best.set(item.change.id, item);
	}

	const rows: RowVersion[] = [];
	const candidates: Array<{ i: number; id: string }> = [];
	for (const item of items) {
		if (verdicts.has(item.i)) continue;
		const { i, change } = item;
		const top = best.get(change.id)!;
		const prev = stored.get(change.id)?.hlc;
		if (top !== item) {
			verdicts.set(i, { id: change.id, status: change.hlc === top.change.hlc || change.hlc === prev ? 'duplicate' : 'stale' });
		} else if (prev === change.hlc) {
			verdicts.set(i, { id: change.id, status: 'duplicate' });
		} else if (prev !== undefined && prev > change.hlc) {
			verdicts.set(i, { id: change.id, status: 'stale' });
		} else {
			rows.push({ id: change.id, hlc: change.hlc, deleted: change.deleted, data: item.data });
			candidates.push({ i, id: change.id });
		}
	}
	const written = await upsertRows(tx, table, rows, device.id, now);
	for (const { i, id } of candidates) {
		verdicts.set(i, { id, status: written.has(id) ? 'applied' : 'stale' });
	}
	// A consultation's older version arriving late is still one of its revisions: kept, not applied.
	if (table === 'consultations') {
		const late = items.filter((x) => verdicts.get(x.i)?.status === 'stale');
		await keepRevisions(
			tx,
			late.map((x) => ({ id: x.change.id, hlc: x.change.hlc, deleted: x.change.deleted, data: x.data })),
			device.id
		);
	}
}

type Stored = Map<string, { hlc: string; deleted: boolean; data: unknown }>;

const FORBIDDEN_SITE = 'this device is not enrolled at the session’s site';
const FORBIDDEN_HOUSEHOLD = 'this device may not hold this family: it was neither registered nor seen at the device’s sites in the last 13 months';
const MERGED_HOUSEHOLD = 'this family was merged into another at the centre: its record no longer changes';

/**
 * Row-level authorization (DESIGN.md "Trust no tablet"): what the device may change, judged on the
 * row as stored at the centre and on the new version alike, so that neither taking over another
 * site's record nor moving one's own record elsewhere is possible.
 *
 * - sessions, visits and consultations belong to a site, which must be one of the device's;
 * - households and children only of families the device may hold (holdings.ts); a new household
 *   registers at one of the device's sites; a family merged into another at the centre no longer
 *   changes, nor gains children;
 * - a visit names a family the device may hold, or one whose card it read (the card code proves it);
 *   its children are that family's. A held family's old card, retired since, still names it, and a
 *   family merged into another names that one's children too (the centre then names the family
 *   kept: resolveRetiredVisits);
 * - a consultation is by a staff member on the roster of the device's sites, about a family it may
 *   hold, and a child of that family.
 */
async function authorize(
	tx: Queryable,
	device: Device,
	table: PushableTable,
	items: Item[],
	stored: Stored,
	reject: Reject,
	familiesSeen: Named
): Promise<void> {
	const sites = new Set(device.siteIds);
	const old = (id: string) => stored.get(id)?.data as Record<string, unknown> | undefined;
	// An older version than the centre's changes nothing and is answered `stale`: refusing it for
	// what happened to the record since (a merge) would answer a retry differently from the push.
	const newer = (change: Item['change']) => {
		const was = stored.get(change.id);
		return was === undefined || change.hlc > was.hlc;
	};

	if (table === 'sessions') {
		for (const { i, change, data } of items) {
			const prevSite = old(change.id)?.siteId as string | undefined;
			if (!sites.has((data as SessionData).siteId) || (prevSite !== undefined && !sites.has(prevSite))) reject(i, 'forbidden_site', FORBIDDEN_SITE);
		}
		return;
	}

	if (table === 'households') {
		const known = await families(tx, device.siteIds, [...stored.keys()]);
		for (const { i, change, data } of items) {
			const h = data as HouseholdData;
			const prev = old(change.id) as HouseholdData | undefined;
			if (prev === undefined) {
				if (h.registeredSiteId === null || !sites.has(h.registeredSiteId)) {
					reject(i, 'forbidden_household', 'a family registers at one of this device’s sites');
				}
			} else if (stored.get(change.id)?.deleted && newer(change)) {
				reject(i, 'forbidden_household', MERGED_HOUSEHOLD);
			} else if (!known.get(change.id)?.held) {
				reject(i, 'forbidden_household', FORBIDDEN_HOUSEHOLD);
			} else if (h.registeredSiteId !== prev.registeredSiteId && (h.registeredSiteId === null || !sites.has(h.registeredSiteId))) {
				reject(i, 'forbidden_household', 'a family’s registration moves only to one of this device’s sites');
			}
		}
		await checkCardCodes(tx, items, reject);
		return;
	}

	if (table === 'children') {
		const households = new Set<string>();
		for (const { change, data } of items) {
			households.add((data as ChildData).householdId);
			const prev = old(change.id) as ChildData | undefined;
			if (prev) households.add(prev.householdId);
		}
		const known = await families(tx, device.siteIds, [...households]);
		for (const { i, change, data } of items) {
			const prev = old(change.id) as ChildData | undefined;
			const family = known.get((data as ChildData).householdId);
			// Not there yet (its registration is still on its way, behind this child): worth a retry.
			if (!family) reject(i, 'unknown_household', 'the family is not known at the centre');
			else if (family.deleted && newer(change)) reject(i, 'forbidden_household', MERGED_HOUSEHOLD);
			else if (!family.held || (prev && !known.get(prev.householdId)?.held)) reject(i, 'forbidden_household', FORBIDDEN_HOUSEHOLD);
		}
		return;
	}

	// Visits and consultations: the site of the session, stored and new.
	const sessionIds = new Set<string>();
	for (const { change, data } of items) {
		sessionIds.add((data as { sessionId: string }).sessionId);
		const prev = old(change.id)?.sessionId;
		if (typeof prev === 'string') sessionIds.add(prev);
	}
	const r = await tx.query<{ id: string; site_id: string }>('select id::text, site_id::text from sessions where id = any($1::uuid[])', [[...sessionIds]]);
	const siteOf = new Map(r.rows.map((row) => [row.id, row.site_id]));
	for (const { i, change, data } of items) {
		const site = siteOf.get((data as { sessionId: string }).sessionId);
		const prevSession = old(change.id)?.sessionId as string | undefined;
		if (site === undefined) reject(i, 'unknown_session', 'the session is not known at the centre');
		else if (!sites.has(site) || (prevSession !== undefined && !sites.has(siteOf.get(prevSession) ?? ''))) reject(i, 'forbidden_site', FORBIDDEN_SITE);
	}

	// The families and children they name.
	const named = items.map((x) => ({ ...x, householdId: (x.data as { householdId: string | null }).householdId }));
	const householdIds = [...new Set(named.flatMap((x) => (x.householdId ? [x.householdId] : [])))];
	const known = await families(tx, device.siteIds, householdIds);
	for (const [id, x] of known) familiesSeen.set(id, { deleted: x.deleted });
	const held = new Set([...known].filter(([, x]) => x.held).map(([id]) => id));
	const cardOf = new Map([...known].map(([id, x]) => [id, x.cardCode]));
	const childIds = [
		...new Set(
			items.flatMap((x) => {
				const d = x.data as Partial<VisitData & ConsultationData>;
				return table === 'visits' ? (d.childIds ?? []) : d.childId ? [d.childId] : [];
			})
		)
	];
	const kids =
		childIds.length === 0
			? []
			: (await tx.query<{ id: string; household_id: string }>('select id::text, household_id::text from children where id = any($1::uuid[])', [childIds])).rows;
	const familyOf = new Map(kids.map((row) => [row.id, row.household_id]));

	// Cards retired since the tablet made the record: for a visit, its family's old card (reissued);
	// for both, the card of a family merged into another (whose children may have moved to that
	// family). Only a card that is not its family's current one can matter (a visit naming no family
	// is not judged on its card here): most pushes need no lookup.
	const retired = await retiredCodes(tx, [
		...(table === 'visits'
			? named.flatMap((x) => {
					const v = x.data as VisitData;
					return v.cardCode !== null && x.householdId !== null && v.cardCode !== cardOf.get(x.householdId) ? [v.cardCode] : [];
				})
			: []),
		...[...known].filter(([, x]) => x.deleted).map(([, x]) => x.cardCode)
	]);
	const mergedInto = (id: string) => {
		const family = known.get(id);
		const r = family?.deleted ? retired.get(family.cardCode) : undefined;
		return r?.reason === 'merged' ? r.householdId : null;
	};

	if (table === 'visits') {
		for (const { i, data, householdId } of named) {
			const v = data as VisitData;
			if (householdId === null) {
				if (v.childIds.length > 0) reject(i, 'unknown_child', 'a visit without a family names no children');
				continue;
			}
			const card = cardOf.get(householdId);
			// The family's old card, on a tablet that holds the family and had not yet heard of its new one.
			const oldCard = v.cardCode !== null && held.has(householdId) && retired.get(v.cardCode)?.householdId === householdId;
			const cardOk = v.cardCode === card || oldCard;
			const into = mergedInto(householdId);
			if (card === undefined) reject(i, 'unknown_household', 'the family is not known at the centre');
			else if (!held.has(householdId) && !cardOk) reject(i, 'forbidden_household', FORBIDDEN_HOUSEHOLD);
			else if (v.cardCode !== null && !cardOk) reject(i, 'forbidden_household', 'the card code is not this family’s');
			else if (v.childIds.some((c) => familyOf.get(c) !== householdId && (into === null || familyOf.get(c) !== into))) {
				reject(i, 'unknown_child', 'every child of a visit belongs to its family');
			}
		}
		return;
	}

	// Consultations: by a staff member of the roster at this device's sites.
	const staffIds = [...new Set(items.map((x) => (x.data as ConsultationData).staffId))];
	const roster = await tx.query<{ id: string }>(
		`select id::text from staff
		 where id = any($1::uuid[]) and not deleted and (data->>'active')::boolean and (data->'siteIds') ?| $2::text[]`,
		[staffIds, device.siteIds]
	);
	const onRoster = new Set(roster.rows.map((row) => row.id));
	// A note sealed to a key the centre does not have could never be opened: refused, and kept on
	// the tablet where staff see it, rather than stored unreadable.
	const keyring = await getKeyring();
	// A family merged into another since: its child may have moved to the family kept (the centre
	// then names that family: resolveMergedConsultations).
	const sameFamily = (of: string | undefined, householdId: string) => of === householdId || (of !== undefined && of === mergedInto(householdId));
	for (const { i, change, data, householdId } of named) {
		const c = data as ConsultationData;
		const prevStaff = old(change.id)?.staffId;
		const kid = c.sealed === null ? null : sealedKeyId(c.sealed);
		if (kid !== null && !keyring.privateKeyFor(kid)) reject(i, 'unknown_seal_key', `the note is sealed to key ${kid}, which this centre does not hold`);
		else if (!onRoster.has(c.staffId)) reject(i, 'forbidden_staff', 'the staff member is not on the roster of this device’s sites');
		else if (prevStaff !== undefined && prevStaff !== c.staffId)
			reject(i, 'forbidden_staff', 'a revision keeps the staff member who recorded the consultation');
		else if (householdId !== null && !cardOf.has(householdId)) reject(i, 'unknown_household', 'the family is not known at the centre');
		else if (householdId !== null && !held.has(householdId)) reject(i, 'forbidden_household', FORBIDDEN_HOUSEHOLD);
		else if (c.childId !== null && (householdId === null || !sameFamily(familyOf.get(c.childId), householdId))) {
			reject(i, 'unknown_child', 'the child belongs to the consultation’s family');
		}
	}
}

/** Stamps remembered per device, at most: a tablet cannot fill the table. */
const MAX_REFUSED_PER_DEVICE = 10_000;

/** Which of these changes' stamps this device had refused as ahead before (see migration 0003). */
async function refusedStamps(tx: Queryable, device: Device, changes: ChangeEnvelope[]): Promise<Set<string>> {
	if (changes.length === 0 || !device.hasRefusedStamps) return new Set();
	const r = await tx.query<{ k: string }>(`select id::text || '|' || hlc as k from refused_stamps where device_id = $1::uuid and id = any($2::uuid[])`, [
		device.id,
		changes.map((c) => c.id)
	]);
	return new Set(r.rows.map((row) => row.k));
}

/** Remember stamps refused as ahead, so that a replay of them after the clock has caught up is refused too. */
async function rememberRefused(tx: Queryable, device: Device, refused: ChangeEnvelope[]): Promise<void> {
	if (refused.length === 0) return;
	await tx.query(
		`insert into refused_stamps (id, hlc, device_id)
		 select x.id, x.hlc, $2::uuid from jsonb_to_recordset($1::jsonb) as x(id uuid, hlc text)
		 where (select count(*) from refused_stamps where device_id = $2::uuid) < $3
		 on conflict do nothing`,
		[JSON.stringify(refused.map((c) => ({ id: c.id, hlc: c.hlc }))), device.id, MAX_REFUSED_PER_DEVICE]
	);
}

/** A card code belongs to one household only. */
async function checkCardCodes(tx: Queryable, items: Item[], reject: Reject): Promise<void> {
	const codes = items.map((x) => (x.data as HouseholdData).cardCode);
	const r = await tx.query<{ id: string; card_code: string }>('select id::text, card_code from households where card_code = any($1::text[])', [codes]);
	const owner = new Map(r.rows.map((row) => [row.card_code, row.id]));
	for (const { i, change, data } of items) {
		const code = (data as HouseholdData).cardCode;
		const o = owner.get(code);
		if (o !== undefined && o !== change.id) reject(i, 'card_code_taken', 'another household already has this card code');
		else owner.set(code, change.id);
	}
}
