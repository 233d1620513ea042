/** What the kiosk says after a scan, in the family's language where it knows it. */
import type { CheckInOutcome } from '$lib/client/db/repo';
import { LANG_TAG, type KioskLang, type KioskText } from '$lib/client/i18n/kiosk';

export interface ConfirmationView {
	tone: 'ok' | 'warn' | 'error';
	title: string;
	detail: string;
	lang: string;
}

/** `text(lang)` gives a language's texts (Japanese while the others are still loading). */
export function confirmationFor(outcome: CheckInOutcome, screenLang: KioskLang, text: (lang: KioskLang) => KioskText): ConfirmationView {
	const d = outcome.decision;
	const familyLang = (outcome.household?.language ?? screenLang) as KioskLang;
	const lang = d.kind === 'check_in' || d.kind === 'already' ? familyLang : screenLang;
	const t = text(lang);
	const tag = LANG_TAG[t === text('ja') && lang !== 'ja' ? 'ja' : lang];
	switch (d.kind) {
		case 'check_in': {
			const name = outcome.household?.nickname;
			if (!outcome.household) return { tone: 'ok', title: t.welcome, detail: t.pendingHousehold, lang: tag };
			return { tone: 'ok', title: name ? t.welcomeFamily(name) : t.welcome, detail: `${t.checkedIn}・${t.childrenCount(d.childCount)}`, lang: tag };
		}
		case 'already':
			return { tone: 'warn', title: t.already, detail: t.alreadyDetail, lang: tag };
		case 'session_not_open':
			return { tone: 'error', title: t.notOpen, detail: t.notOpenDetail, lang: tag };
		case 'card_retired':
			return { tone: 'error', title: t.cardRetired, detail: t.cardRetiredDetail, lang: tag };
		case 'invalid':
			return { tone: 'error', title: d.reason === 'foreign' ? t.invalidForeign : t.invalidTypo, detail: t.invalidDetail, lang: tag };
	}
}
