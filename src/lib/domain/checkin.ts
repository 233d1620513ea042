/**
 * Check-in rules, the same whichever way a code arrives (camera, scanner, typed). Pure: the caller
 * passes what the tablet knows, and gets back what to do and what to tell the family.
 */
import { ageBandAt, type AgeBand } from './age-band';
import { parseCardInput, type CardParseError } from './card-code';
import type { BandCounts, CardRetirementData, ChildData, HouseholdData, SessionData, VisitData } from './schemas';

type WithId<T> = T & { id: string; deleted?: boolean };

export type CheckInDecision =
	/** Not one of our cards (foreign QR, mistyped code): record nothing. */
	| { kind: 'invalid'; reason: CardParseError }
	/** A card replaced by another (reissued, or its family merged with another registration): record nothing. */
	| { kind: 'card_retired'; cardCode: string; reason: CardRetirementData['reason'] }
	/** The session is not open for check-in (not started, closed or cancelled): record nothing. */
	| { kind: 'session_not_open'; status: SessionData['status'] }
	/** This card is already checked in at this session: record nothing new. */
	| { kind: 'already'; visitId: string; household: WithId<HouseholdData> | null }
	/** Check in. `household` is null when the card's household has not reached this tablet yet. */
	| { kind: 'check_in'; cardCode: string; household: WithId<HouseholdData> | null; childIds: string[]; childCount: number };

export interface CheckInContext {
	session: WithId<SessionData>;
	/** The household holding this card code, if this tablet knows it. */
	findHousehold: (cardCode: string) => WithId<HouseholdData> | undefined;
	/** The retirement of this card code, if the centre has retired it (every tablet knows them all). */
	findRetirement: (cardCode: string) => WithId<CardRetirementData> | undefined;
	childrenOf: (householdId: string) => WithId<ChildData>[];
	/** The session's visits on this tablet (including other tablets' at the same site). */
	visits: WithId<VisitData>[];
}

export function decideCheckIn(input: string, ctx: CheckInContext): CheckInDecision {
	const parsed = parseCardInput(input);
	if (!parsed.ok) return { kind: 'invalid', reason: parsed.error };
	const cardCode = parsed.code;
	// Before anything else: an old card is never right, and the family needs to hear so at once.
	const retired = ctx.findRetirement(cardCode);
	if (retired && !retired.deleted) return { kind: 'card_retired', cardCode, reason: retired.reason };
	if (ctx.session.status !== 'open') return { kind: 'session_not_open', status: ctx.session.status };
	const household = ctx.findHousehold(cardCode) ?? null;
	const live = household && !household.deleted ? household : null;
	const existing = ctx.visits.find((v) => !v.deleted && (v.cardCode === cardCode || (live !== null && v.householdId === live.id)));
	if (existing) return { kind: 'already', visitId: existing.id, household: live };
	const children = live ? childrenComing(ctx.childrenOf(live.id), ctx.session.date) : [];
	return { kind: 'check_in', cardCode, household: live, childIds: children.map((c) => c.id), childCount: children.length };
}

/**
 * The children a family is assumed to bring: every child of the household who is born by the
 * session date (staff can correct a visit in today's list). School-age siblings come too and are
 * counted apart by their band.
 */
export function childrenComing(children: WithId<ChildData>[], sessionDate: string): WithId<ChildData>[] {
	return children.filter((c) => !c.deleted && ageBandAt(c.birthYm, sessionDate) !== null).sort((a, b) => a.birthYm.localeCompare(b.birthYm));
}

/** The visit record for a check-in decision. */
export function visitFor(decision: Extract<CheckInDecision, { kind: 'check_in' }>, sessionId: string, method: VisitData['method'], at: Date): VisitData {
	return {
		sessionId,
		householdId: decision.household?.id ?? null,
		cardCode: decision.cardCode,
		childIds: decision.childIds,
		walkInChildren: null,
		adults: 1,
		checkedInAt: at.toISOString(),
		checkedOutAt: null,
		method
	};
}

export const EMPTY_BANDS: BandCounts = { age0: 0, age1: 0, age2: 0, age3plus: 0, school: 0 };

/** Today's counts for a session: families, adults, and children by band (walk-ins included). */
export function sessionCounts(
	visits: WithId<VisitData>[],
	birthOf: (childId: string) => string | undefined,
	sessionDate: string
): { visits: number; families: number; walkIns: number; adults: number; children: BandCounts; childrenTotal: number; unresolved: number } {
	const children: BandCounts = { ...EMPTY_BANDS };
	let adults = 0;
	let walkIns = 0;
	let unresolved = 0;
	const live = visits.filter((v) => !v.deleted);
	for (const v of live) {
		adults += v.adults;
		if (v.walkInChildren) {
			walkIns += 1;
			for (const band of Object.keys(children) as AgeBand[]) children[band] += v.walkInChildren[band];
		} else if (v.householdId === null) {
			unresolved += 1;
		}
		for (const id of v.childIds) {
			const ym = birthOf(id);
			const band = ym ? ageBandAt(ym, sessionDate) : null;
			if (band) children[band] += 1;
		}
	}
	const childrenTotal = Object.values(children).reduce((a, b) => a + b, 0);
	return { visits: live.length, families: live.length - walkIns, walkIns, adults, children, childrenTotal, unresolved };
}
