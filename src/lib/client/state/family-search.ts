/**
 * Finding a family that forgot its card, on the staff face: by the family's (or a child's)
 * nickname, and by a child's birth year-month, the only things a tablet holds that a parent can
 * tell staff. Nicknames match in part, and hiragana and katakana alike (はるママ is found by ハル),
 * as do full- and half-width letters.
 */
import type { HirobaDB, Row } from '../db/db';

export interface FamilyQuery {
	/** Part of a nickname; empty: any. */
	nickname: string;
	/** A child's birth year-month, `YYYY-MM`; empty: any. */
	birthYm: string;
}

export interface FamilyMatch {
	household: Row<'households'>;
	/** Its children, oldest first. */
	children: Row<'children'>[];
}

/** How many matches are shown at most; staff narrow the search when there are more. */
export const MAX_MATCHES = 20;

/** Text folded for matching: NFKC (full-width letters, half-width kana), lower case, katakana as hiragana, no spaces. */
export function foldKana(text: string): string {
	return text
		.normalize('NFKC')
		.toLowerCase()
		.replace(/[\u30a1-\u30f6]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0x60))
		.replace(/\s+/g, '');
}

/** Whether the query asks for anything: an empty search lists nobody, not the whole tablet. */
export function isEmptyQuery(q: FamilyQuery): boolean {
	return foldKana(q.nickname) === '' && q.birthYm.trim() === '';
}

/** The families that match every part of the query that is given, by nickname then card. */
export function matchFamilies(
	households: Row<'households'>[],
	childrenOf: (householdId: string) => Row<'children'>[],
	q: FamilyQuery
): { matches: FamilyMatch[]; more: boolean } {
	if (isEmptyQuery(q)) return { matches: [], more: false };
	const name = foldKana(q.nickname);
	const ym = q.birthYm.trim();
	const found: FamilyMatch[] = [];
	for (const h of households) {
		if (h.deleted) continue;
		const children = childrenOf(h.id)
			.filter((c) => !c.deleted)
			.sort((a, b) => a.birthYm.localeCompare(b.birthYm));
		if (ym && !children.some((c) => c.birthYm === ym)) continue;
		if (name && ![h.nickname, ...children.map((c) => c.nickname)].some((n) => n && foldKana(n).includes(name))) continue;
		found.push({ household: h, children });
	}
	found.sort(
		(a, b) =>
			(a.household.nickname ?? '\uffff').localeCompare(b.household.nickname ?? '\uffff', 'ja') || a.household.cardCode.localeCompare(b.household.cardCode)
	);
	return { matches: found.slice(0, MAX_MATCHES), more: found.length > MAX_MATCHES };
}

/** The search over this tablet's families (its sites' share; nothing is asked of the centre). */
export async function findFamilies(db: HirobaDB, q: FamilyQuery): Promise<{ matches: FamilyMatch[]; more: boolean }> {
	if (isEmptyQuery(q)) return { matches: [], more: false };
	const [households, children] = await Promise.all([db.households.toArray(), db.children.toArray()]);
	const byHousehold = new Map<string, Row<'children'>[]>();
	for (const c of children) {
		const list = byHousehold.get(c.householdId);
		if (list) list.push(c);
		else byHousehold.set(c.householdId, [c]);
	}
	return matchFamilies(households, (id) => byHousehold.get(id) ?? [], q);
}
