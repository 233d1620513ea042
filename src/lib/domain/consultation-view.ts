/**
 * What the consultation log shows on the tablet: Japanese labels, the topics to offer, how today's
 * records are ordered, and how a family and its children are named to the 相談員. Pure: the screens
 * (ConsultationForm, ConsultationLog) and their tests share these.
 */
import { ageBandAt, AGE_BAND_LABEL_JA, type AgeBand } from './age-band';
import { formatCardCode } from './card-code';
import { DEFAULT_TOPICS } from './schemas';

export const DELIVERY_LABEL_JA = { pending: '未送信', rejected: '差し戻し', sent: '送信済み' } as const;

/** The durations most consultations take, offered as one-tap chips (minutes). */
export const DURATION_CHIPS = [5, 10, 15, 20, 30, 45, 60] as const;

export interface TopicChoice {
	code: string;
	labelJa: string;
}

interface TopicLike {
	code: string;
	labelJa: string;
	sort: number;
	active: boolean;
	deleted?: boolean;
}

/**
 * The topics to offer: the centre's active ones in its order, or the defaults while the tablet has
 * none yet (before the first sync). A topic already chosen in a draft or a record stays on offer
 * even if the centre has since retired it, so a correction does not drop it unseen.
 */
export function topicChoices(rows: readonly TopicLike[], selected: readonly string[] = []): TopicChoice[] {
	const live = rows.filter((t) => !t.deleted);
	const active = live.filter((t) => t.active).sort((a, b) => a.sort - b.sort || a.code.localeCompare(b.code));
	const offered: TopicChoice[] = (active.length ? active : DEFAULT_TOPICS).map((t) => ({ code: t.code, labelJa: t.labelJa }));
	for (const code of selected) {
		if (offered.some((t) => t.code === code)) continue;
		offered.push({ code, labelJa: topicLabel(code, live) });
	}
	return offered;
}

/** A topic's Japanese label: the centre's, else the default's, else its code. */
export function topicLabel(code: string, rows: readonly { code: string; labelJa: string; deleted?: boolean }[]): string {
	return rows.find((t) => t.code === code && !t.deleted)?.labelJa ?? DEFAULT_TOPICS.find((t) => t.code === code)?.labelJa ?? code;
}

interface ListedLike {
	delivery: 'pending' | 'rejected' | 'sent';
	row: { urgency: string; consultedAt: string };
}

/**
 * Today's records for the list: urgent ones not yet sent first (newest first), then the rest,
 * newest first. Does not change its input.
 */
export function orderForList<T extends ListedLike>(items: readonly T[]): T[] {
	const newestFirst = [...items].sort((a, b) => b.row.consultedAt.localeCompare(a.row.consultedAt));
	const first = (x: T) => x.delivery === 'pending' && x.row.urgency === 'urgent';
	return [...newestFirst.filter(first), ...newestFirst.filter((x) => !first(x))];
}

/** Characters left in a text field, counted as the form's check counts them (trimmed, UTF-16). */
export function remainingChars(text: string, max: number): number {
	return max - text.trim().length;
}

/** The minutes typed in the duration field: null while empty or not a number. */
export function parseMinutes(input: string): number | null {
	const s = input.trim();
	if (s === '') return null;
	const n = Number(s);
	return Number.isFinite(n) ? n : null;
}

/** How staff see a family: its nickname, or the end of its card number (never a name). */
export function householdLabel(h: { nickname: string | null; cardCode: string } | undefined | null): string {
	if (!h) return '（不明なご家族）';
	return h.nickname ?? `カード …${formatCardCode(h.cardCode).slice(-6)}`;
}

export interface ChildChoice {
	id: string;
	band: AgeBand | null;
	label: string;
}

/**
 * A household's children to choose from, eldest first, each with the age band at the session date
 * (computed, never stored). A child without a nickname is named by order and birth month.
 */
export function childChoices(
	children: readonly { id: string; birthYm: string; nickname: string | null; deleted?: boolean }[],
	sessionDate: string
): ChildChoice[] {
	return children
		.filter((c) => !c.deleted)
		.sort((a, b) => a.birthYm.localeCompare(b.birthYm) || a.id.localeCompare(b.id))
		.map((c, i) => {
			const band = ageBandAt(c.birthYm, sessionDate);
			const [y, m] = c.birthYm.split('-');
			const name = c.nickname ?? `${i + 1}人目（${Number(y)}年${Number(m)}月生まれ）`;
			return { id: c.id, band, label: `${name}・${band ? AGE_BAND_LABEL_JA[band] : '年齢不明'}` };
		});
}
