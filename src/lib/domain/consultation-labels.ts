/** How the consultation log's codes read in Japanese, on every face (the tablet's form and list, the centre) and in exports: one wording everywhere. */
import type { FOLLOW_UPS, URGENCIES } from './schemas';

export const URGENCY_LABEL: Record<(typeof URGENCIES)[number], string> = { normal: '通常', watch: '要注意', urgent: '緊急' };

/** The urgencies in order, for pages that must not load the record schemas (and zod) to list them. */
export const URGENCY_ORDER = Object.keys(URGENCY_LABEL) as Array<(typeof URGENCIES)[number]>;

export const FOLLOW_UP_LABEL: Record<(typeof FOLLOW_UPS)[number], string> = {
	none: 'なし',
	next_time: '次回確認',
	refer_centre: 'こども家庭センターへつなぐ',
	refer_health: '保健相談所へつなぐ',
	refer_support: '子ども家庭支援センターへつなぐ',
	other: 'その他のつなぎ先'
};

export const CASE_STATUSES = ['open', 'in_progress', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const CASE_STATUS_LABEL: Record<CaseStatus, string> = { open: '未着手', in_progress: '対応中', closed: '完了' };

/** A label for a code, or the code itself when it is one this build does not know. */
export function labelOf<K extends string>(labels: Record<K, string>, code: string | null | undefined): string {
	if (code == null) return '—';
	return (labels as Record<string, string>)[code] ?? code;
}
