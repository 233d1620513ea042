/**
 * What the kiosk and staff screens do to the tablet's database. Every write goes through
 * saveRecord(s), so it lands in IndexedDB and the outbox in one transaction; offline it simply
 * waits in the outbox, and the sync engine pushes it when the centre can be reached.
 */
import { makeCardCode, parseCardInput } from '$lib/domain/card-code';
import { childrenComing, decideCheckIn, visitFor, type CheckInDecision } from '$lib/domain/checkin';
import { YEAR_MONTH_RE } from '$lib/domain/dates';
import { uuidv7 } from '$lib/domain/ids';
import type { BandCounts, ChildData, HouseholdData, SessionData, VisitData } from '$lib/domain/schemas';
import { META, hlcNode, type DeviceCredentials, type HirobaDB, type Row } from './db';
import { saveRecord, saveRecords } from './writes';

type Clock = { now?: () => number };
const nowOf = (c: Clock) => (c.now ? c.now() : Date.now());

/** Strip the sync fields from a row, leaving the record's data. */
export function dataOf<T extends Row<'sessions' | 'households' | 'children' | 'visits'>>(row: T): Omit<T, 'id' | 'hlc' | 'deleted'> {
	const { id: _id, hlc: _hlc, deleted: _deleted, ...data } = row;
	return data;
}

export async function sessionsOn(db: HirobaDB, siteIds: string[], date: string): Promise<Row<'sessions'>[]> {
	const rows = await db.sessions.where('siteId').anyOf(siteIds).toArray();
	return rows.filter((s) => !s.deleted && s.date === date).sort((a, b) => a.startTime.localeCompare(b.startTime));
}

/** The session the kiosk checks families in to, chosen by staff. */
export async function activeSession(db: HirobaDB): Promise<Row<'sessions'> | null> {
	const id = await db.getMeta<string>(META.kioskSession);
	if (!id) return null;
	const s = await db.sessions.get(id);
	return s && !s.deleted ? s : null;
}

export async function setActiveSession(db: HirobaDB, sessionId: string | null): Promise<void> {
	await db.setMeta(META.kioskSession, sessionId);
}

export async function setSessionStatus(
	db: HirobaDB,
	sessionId: string,
	status: SessionData['status'],
	cancelReason: SessionData['cancelReason'] = null,
	clock: Clock = {}
) {
	const s = await db.sessions.get(sessionId);
	if (!s) throw new Error(`no session ${sessionId}`);
	return saveRecord(db, 'sessions', sessionId, { ...dataOf(s), status, cancelReason: status === 'cancelled' ? cancelReason : null }, clock);
}

/** `children` are the household's children the visit names (for the family to correct who came). */
export type CheckInOutcome = { decision: CheckInDecision; visit: Row<'visits'> | null; household: Row<'households'> | null; children: Row<'children'>[] };

/**
 * Check a card in at a session. The decision and the write happen in one transaction, so two quick
 * scans of the same card cannot both record a visit. A card the centre has retired (replaced by a
 * new one) records nothing, once this tablet has pulled the retirement; offline before that, it
 * checks in, and the centre counts the visit for the family the old card led to.
 */
export async function checkIn(db: HirobaDB, sessionId: string, input: string, method: VisitData['method'], clock: Clock = {}): Promise<CheckInOutcome> {
	return db.transaction('rw', [db.sessions, db.households, db.children, db.visits, db.card_retirements, db.outbox, db.meta], async () => {
		const session = await db.sessions.get(sessionId);
		if (!session) throw new Error(`no session ${sessionId}`);
		const visits = await db.visits.where('sessionId').equals(sessionId).toArray();
		// Card codes are unique, so at most one household and one retirement; load them (and the
		// household's children) up front.
		const households = new Map<string, Row<'households'>>();
		const retirements = new Map<string, Row<'card_retirements'>>();
		const childrenByHousehold = new Map<string, Row<'children'>[]>();
		const parsed = parseCardInput(input);
		if (parsed.ok) {
			const [found, retired] = await Promise.all([
				db.households.where('cardCode').equals(parsed.code).toArray(),
				db.card_retirements.where('cardCode').equals(parsed.code).toArray()
			]);
			const h = found.find((x) => !x.deleted);
			const r = retired.find((x) => !x.deleted);
			if (r) retirements.set(r.cardCode, r);
			if (h && !r) {
				households.set(h.cardCode, h);
				childrenByHousehold.set(h.id, await db.children.where('householdId').equals(h.id).toArray());
			}
		}
		const decision = decideCheckIn(input, {
			session,
			findHousehold: (c) => households.get(c),
			findRetirement: (c) => retirements.get(c),
			childrenOf: (id) => childrenByHousehold.get(id) ?? [],
			visits
		});
		const household = decision.kind === 'check_in' || decision.kind === 'already' ? (decision.household as Row<'households'> | null) : null;
		if (decision.kind !== 'check_in') return { decision, visit: null, household, children: [] };
		const visit = await saveRecord(db, 'visits', uuidv7(), visitFor(decision, sessionId, method, new Date(nowOf(clock))), clock);
		const kids = household ? (childrenByHousehold.get(household.id) ?? []) : [];
		return { decision, visit, household, children: decision.childIds.map((id) => kids.find((c) => c.id === id)!).filter(Boolean) };
	});
}

export interface Registration {
	nickname: string | null;
	areaKind: HouseholdData['areaKind'];
	town: string | null;
	heardFrom: HouseholdData['heardFrom'];
	language: HouseholdData['language'];
	consentVersion: string;
	children: Array<{ birthYm: string; nickname?: string | null }>;
	adults: number;
}

/**
 * A first visit: the household, its children and today's visit, in one transaction, with a new
 * card code. The card is queued for printing at the centre.
 */
export async function registerFamily(
	db: HirobaDB,
	session: Row<'sessions'>,
	reg: Registration,
	clock: Clock = {}
): Promise<{ household: Row<'households'>; children: Row<'children'>[]; visit: Row<'visits'> }> {
	const at = new Date(nowOf(clock));
	const householdId = uuidv7();
	const household: HouseholdData = {
		cardCode: makeCardCode(),
		nickname: reg.nickname,
		areaKind: reg.areaKind,
		town: reg.areaKind === 'ward' ? reg.town : null,
		heardFrom: reg.heardFrom,
		consentVersion: reg.consentVersion,
		consentDate: session.date,
		registeredSiteId: session.siteId,
		language: reg.language,
		cardPrintRequested: true
	};
	const children: Array<{ id: string; data: ChildData }> = reg.children.map((c) => ({
		id: uuidv7(),
		data: { householdId, birthYm: c.birthYm, nickname: c.nickname ?? null }
	}));
	return db.transaction('rw', [db.households, db.children, db.visits, db.outbox, db.meta], async () => {
		const h = await saveRecord(db, 'households', householdId, household, clock);
		const cs = children.length ? await saveRecords(db, 'children', children, clock) : [];
		const visit = await saveRecord(
			db,
			'visits',
			uuidv7(),
			{
				sessionId: session.id,
				householdId,
				cardCode: household.cardCode,
				childIds: children.map((c) => c.id),
				walkInChildren: null,
				adults: reg.adults,
				checkedInAt: at.toISOString(),
				checkedOutAt: null,
				method: 'registration'
			},
			clock
		);
		return { household: h, children: cs, visit };
	});
}

export async function recordWalkIn(db: HirobaDB, sessionId: string, adults: number, children: BandCounts, clock: Clock = {}): Promise<Row<'visits'>> {
	return saveRecord(
		db,
		'visits',
		uuidv7(),
		{
			sessionId,
			householdId: null,
			cardCode: null,
			childIds: [],
			walkInChildren: children,
			adults,
			checkedInAt: new Date(nowOf(clock)).toISOString(),
			checkedOutAt: null,
			method: 'walkin'
		},
		clock
	);
}

export async function checkOut(db: HirobaDB, visitId: string, clock: Clock = {}): Promise<Row<'visits'>> {
	const v = await db.visits.get(visitId);
	if (!v || v.deleted) throw new Error(`no visit ${visitId}`);
	return saveRecord(db, 'visits', visitId, { ...dataOf(v), checkedOutAt: new Date(nowOf(clock)).toISOString() }, clock);
}

/** Undo a mistaken check-in: a tombstone, which reaches the centre and the site's other tablets. */
export async function undoVisit(db: HirobaDB, visitId: string, clock: Clock = {}): Promise<void> {
	const v = await db.visits.get(visitId);
	if (!v || v.deleted) return;
	await saveRecord(db, 'visits', visitId, dataOf(v), { ...clock, deleted: true });
}

/** Why a change to a visit was refused; `message` is what staff or the family read, in Japanese. */
export class VisitEditError extends Error {
	constructor(
		readonly code: 'no_visit' | 'not_their_child' | 'nobody' | 'out_before_in' | 'walkin_only' | 'no_family' | 'birth_month' | 'birth_future' | 'birth_too_old',
		message: string
	) {
		super(message);
		this.name = 'VisitEditError';
	}
}

export type VisitPatch = Partial<Pick<VisitData, 'adults' | 'childIds' | 'walkInChildren' | 'checkedOutAt'>>;

/**
 * Change who came on a visit, or its check-out time: the family adjusting its confirmation at the
 * kiosk (which children, how many adults), or staff correcting the day's list (also a check-out
 * time, or undoing a check-out with `checkedOutAt: null`). Only the family's own children may be
 * named, a visit keeps at least one person, and a check-out is never before the check-in. A refusal
 * throws a VisitEditError and writes nothing.
 */
export async function updateVisit(db: HirobaDB, visitId: string, patch: VisitPatch, clock: Clock = {}): Promise<Row<'visits'>> {
	return db.transaction('rw', [db.visits, db.children, db.outbox, db.meta], async () => {
		const v = await db.visits.get(visitId);
		if (!v || v.deleted) throw new VisitEditError('no_visit', 'この受付は取り消されたか、見つかりません。');
		const next = { ...dataOf(v), ...patch };
		if (patch.childIds) {
			next.childIds = [...new Set(patch.childIds)];
			const kids = next.childIds.length ? await db.children.bulkGet(next.childIds) : [];
			if (!v.householdId || kids.some((c) => !c || c.deleted || c.householdId !== v.householdId))
				throw new VisitEditError('not_their_child', 'このご家族のお子さんではない子が含まれています。');
		}
		if (patch.walkInChildren !== undefined && v.method !== 'walkin')
			throw new VisitEditError('walkin_only', '年齢ごとの人数は、カードなしの受付でだけ変えられます。');
		const children = next.walkInChildren ? Object.values(next.walkInChildren).reduce((a, b) => a + b, 0) : next.childIds.length;
		if (next.adults + children === 0) throw new VisitEditError('nobody', 'おとなか子どもを1人以上にしてください。');
		if (next.checkedOutAt !== null && Date.parse(next.checkedOutAt) < Date.parse(next.checkedInAt))
			throw new VisitEditError('out_before_in', '退出の時刻が受付の時刻より前になっています。');
		return saveRecord(db, 'visits', visitId, next, clock);
	});
}

/**
 * How far back a birth month added at the kiosk may go: a family's children come to the hiroba up
 * to primary-school age, so an earlier month is a slip of the year select, not a child.
 */
export const OLDEST_CHILD_YEARS = 12;

/**
 * A child born since the family registered (or never registered): its record, and its id added to
 * the visit, in one transaction, so the new baby counts today and is known at every site after
 * sync. Offline, both wait in the outbox together. Refused, writing nothing, for a visit that is
 * gone or names no family on this tablet, and for a birth month after the session's month or
 * more than OLDEST_CHILD_YEARS before it.
 */
export async function addChildToVisit(
	db: HirobaDB,
	visitId: string,
	birthYm: string,
	clock: Clock = {}
): Promise<{ child: Row<'children'>; visit: Row<'visits'> }> {
	return db.transaction('rw', [db.visits, db.sessions, db.households, db.children, db.outbox, db.meta], async () => {
		const v = await db.visits.get(visitId);
		if (!v || v.deleted) throw new VisitEditError('no_visit', 'この受付は取り消されたか、見つかりません。');
		const household = v.householdId ? await db.households.get(v.householdId) : undefined;
		if (!household || household.deleted)
			throw new VisitEditError('no_family', 'ご家族の登録がこの端末にまだないため、お子さんを追加できません。スタッフにお声がけください。');
		const session = await db.sessions.get(v.sessionId);
		if (!session) throw new VisitEditError('no_visit', 'この受付の開催回が見つかりません。');
		if (!YEAR_MONTH_RE.test(birthYm)) throw new VisitEditError('birth_month', 'お子さんの生まれた年と月を選んでください。');
		const thisMonth = session.date.slice(0, 7);
		if (birthYm > thisMonth) throw new VisitEditError('birth_future', 'お子さんの生まれた年月が今日より後になっています。');
		const oldest = `${Number(thisMonth.slice(0, 4)) - OLDEST_CHILD_YEARS}${thisMonth.slice(4)}`;
		if (birthYm < oldest) throw new VisitEditError('birth_too_old', `生まれた年が${OLDEST_CHILD_YEARS}年以上前になっています。年をお確かめください。`);
		const child = await saveRecord(db, 'children', uuidv7(), { householdId: household.id, birthYm, nickname: null }, clock);
		const visit = await saveRecord(db, 'visits', v.id, { ...dataOf(v), childIds: [...v.childIds, child.id] }, clock);
		return { child, visit };
	});
}

/**
 * Visits made with a card whose household was not on this tablet yet: once the household has
 * arrived by sync, name it and its children on the visit. Only visits this tablet wrote last (its
 * node id ends the stamp), so two tablets never race to resolve the same one.
 */
export async function resolveCardVisits(db: HirobaDB, sessionIds: string[], clock: Clock = {}): Promise<number> {
	const device = await db.getMeta<DeviceCredentials>(META.device);
	if (!device || sessionIds.length === 0) return 0;
	const node = ':' + hlcNode(device.deviceId);
	const visits = (await db.visits.where('sessionId').anyOf(sessionIds).toArray()).filter(
		(v) => !v.deleted && v.householdId === null && v.cardCode !== null && v.hlc.endsWith(node)
	);
	let resolved = 0;
	for (const v of visits) {
		const h = (await db.households.where('cardCode').equals(v.cardCode!).toArray()).find((x) => !x.deleted);
		const session = await db.sessions.get(v.sessionId);
		if (!h || !session) continue;
		const kids = childrenComing(await db.children.where('householdId').equals(h.id).toArray(), session.date);
		await saveRecord(db, 'visits', v.id, { ...dataOf(v), householdId: h.id, childIds: kids.map((c) => c.id) }, clock);
		resolved++;
	}
	return resolved;
}
