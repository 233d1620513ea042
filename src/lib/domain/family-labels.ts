/** How a family's record reads in Japanese at the centre (世帯のページ). */
import { formatYearMonthJa } from './dates';
import type { CARD_RETIREMENT_REASONS, HouseholdData, KIOSK_LANGUAGES } from './schemas';

/** The language the kiosk greets the family in. */
export const LANGUAGE_LABEL_JA: Record<(typeof KIOSK_LANGUAGES)[number], string> = {
	ja: '日本語',
	easy: 'やさしい日本語',
	en: '英語',
	zh: '中国語',
	ko: '韓国語',
	vi: 'ベトナム語'
};

/** Why a card stopped working. */
export const RETIREMENT_REASON_LABEL_JA: Record<(typeof CARD_RETIREMENT_REASONS)[number], string> = {
	reissued: '再発行',
	merged: '世帯の統合'
};

/** `区内（本町2丁目）` or `区外`. */
export function areaLabelJa(h: Pick<HouseholdData, 'areaKind' | 'town'>): string {
	return h.areaKind === 'ward' ? `区内（${h.town ?? '町名なし'}）` : '区外';
}

/** A child's birth month with the nickname, if any: `2025年6月生（はる）`. */
export function childLabelJa(c: { birthYm: string; nickname: string | null }): string {
	return `${formatYearMonthJa(c.birthYm)}生${c.nickname ? `（${c.nickname}）` : ''}`;
}
