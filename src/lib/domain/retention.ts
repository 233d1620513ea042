/** Retention's kinds, defaults and labels, shared by the centre's page and its server (centre/retention.ts). */
export const RETENTION_KINDS = ['notes', 'visits', 'households'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];
/** Years kept after the 年度 of the record; null keeps it for ever. */
export type RetentionSettings = Record<RetentionKind, number | null>;

/** The defaults (README "Retention"): notes and visits five years, a family three years after its last visit. */
export const DEFAULT_RETENTION: RetentionSettings = { notes: 5, visits: 5, households: 3 };
export const RETENTION_LABEL: Record<RetentionKind, string> = {
	notes: '相談記録のメモ',
	visits: '来場記録',
	households: '登録世帯（最後の利用から）'
};
export const MAX_RETENTION_YEARS = 30;
