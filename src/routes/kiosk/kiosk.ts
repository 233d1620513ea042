/** What the kiosk says after a scan, in the family's language where it knows it. */
import type { CheckInOutcome } from '$lib/client/db/repo';
import type { Row } from '$lib/client/db/db';
import { ageInMonths } from '$lib/domain/age-band';
import { LANG_TAG, type KioskLang, type KioskText } from '$lib/client/i18n/kiosk';

/** A visit the confirmation can still change: undo it, or (a card's family) say who came. */
export interface VisitOnScreen {
	visitId: string;
	/** The family's children the visit can name, each labelled for the family; empty for a walk-in. */
	children: Array<{ id: string; label: string }>;
	childIds: string[];
	adults: number;
	/** A card's family, who can tick who came and add a new baby (not a walk-in's counts). */
	family: boolean;
}

export interface ConfirmationView {
	tone: 'ok' | 'warn' | 'error';
	title: string;
	detail: string;
	lang: string;
	/** The texts of the language the answer is in, for the controls beside it. */
	t: KioskText;
	visit: VisitOnScreen | null;
}

/**
 * How a child is named to its family: by the nickname the family gave, otherwise by birth month
 * and age (a tablet knows no names, and never makes one up).
 */
export function childLabel(child: Pick<Row<'children'>, 'birthYm' | 'nickname'>, sessionDate: string, t: KioskText): string {
	if (child.nickname) return child.nickname;
	return t.childBorn(Number(child.birthYm.slice(0, 4)), Number(child.birthYm.slice(5, 7)), Math.max(0, ageInMonths(child.birthYm, sessionDate)));
}

/** The who-came part of a card family's confirmation. */
export function visitOnScreen(visit: Row<'visits'>, children: Array<Row<'children'>>, sessionDate: string, t: KioskText): VisitOnScreen {
	return {
		visitId: visit.id,
		children: children.map((c) => ({ id: c.id, label: childLabel(c, sessionDate, t) })),
		childIds: [...visit.childIds],
		adults: visit.adults,
		family: visit.householdId !== null
	};
}

/** `text(lang)` gives a language's texts (Japanese while the others are still loading). */
export function confirmationFor(outcome: CheckInOutcome, screenLang: KioskLang, text: (lang: KioskLang) => KioskText, sessionDate: string): ConfirmationView {
	const d = outcome.decision;
	const familyLang = (outcome.household?.language ?? screenLang) as KioskLang;
	const lang = d.kind === 'check_in' || d.kind === 'already' ? familyLang : screenLang;
	const t = text(lang);
	const tag = LANG_TAG[t === text('ja') && lang !== 'ja' ? 'ja' : lang];
	const base = { lang: tag, t, visit: null };
	switch (d.kind) {
		case 'check_in': {
			const name = outcome.household?.nickname;
			const visit = outcome.visit ? visitOnScreen(outcome.visit, outcome.children, sessionDate, t) : null;
			if (!outcome.household) return { ...base, tone: 'ok', title: t.welcome, detail: t.pendingHousehold, visit };
			// Who came (and so how many children) is on screen beside the answer, ticked; a family with
			// no child on record is told so, next to the button that adds one.
			const detail = d.childCount === 0 ? `${t.checkedIn}${t.sep}${t.childrenCount(0)}` : t.checkedIn;
			return { ...base, tone: 'ok', title: name ? t.welcomeFamily(name) : t.welcome, detail, visit };
		}
		case 'already':
			return { ...base, tone: 'warn', title: t.already, detail: t.alreadyDetail };
		case 'session_not_open':
			return { ...base, tone: 'error', title: t.notOpen, detail: t.notOpenDetail };
		case 'card_retired':
			return { ...base, tone: 'error', title: t.cardRetired, detail: t.cardRetiredDetail };
		case 'invalid':
			return { ...base, tone: 'error', title: d.reason === 'foreign' ? t.invalidForeign : t.invalidTypo, detail: t.invalidDetail };
	}
}
