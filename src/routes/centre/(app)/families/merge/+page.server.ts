import { fail } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import type { Store } from '$lib/server/db/store';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { FAMILY_MANAGERS, mergeForm, mergeHouseholds, mergeQuery, previewMerge, type MergePlan } from '$lib/server/families/changes';
import type { Actions, PageServerLoad } from './$types';

/** The household a current card belongs to, or why there is none (in the words shown at the field). */
async function householdOfCard(db: Store, code: string, role: '残す' | 'まとめる'): Promise<{ id: string } | { error: string }> {
	const r = await db.query<{ id: string; retired: boolean }>(
		`select id::text, false as retired from households where card_code = $1 and not deleted
		 union all select coalesce(household_id::text, ''), true from card_retirements where card_code = $1 and not deleted`,
		[code]
	);
	const row = r.rows[0];
	if (!row) return { error: `${role}世帯のカード番号に当たる世帯がありません` };
	if (row.retired) return { error: `${role}世帯のカード番号は使われなくなった古い番号です。今のカード番号を入力してください` };
	return { id: row.id };
}

/** What the preview shows: the two families and what moves (no ids of children, no stamps). */
function planView(plan: MergePlan) {
	const side = (s: MergePlan['keep']) => ({
		id: s.id,
		cardCode: s.data.cardCode,
		nickname: s.data.nickname,
		areaKind: s.data.areaKind,
		town: s.data.town,
		registeredSite: s.registeredSite,
		consentDate: s.data.consentDate,
		children: s.children.map((c) => ({ birthYm: c.data.birthYm, nickname: c.data.nickname })),
		visits: s.visits.length
	});
	return {
		keep: side(plan.keep),
		duplicate: side(plan.duplicate),
		childrenMoved: plan.childrenMoved.map((c) => ({ birthYm: c.data.birthYm, nickname: c.data.nickname })),
		childrenMerged: plan.childrenMerged.map((c) => ({ birthYm: c.data.birthYm, nickname: c.data.nickname, intoNickname: c.into.data.nickname })),
		visitsMoved: plan.visitsMoved.length,
		visitsCombined: plan.visitsCombined.length,
		sites: plan.sites,
		consultations: plan.consultations.length
	};
}

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...FAMILY_MANAGERS]);
	const db = await getStore();
	const query = fieldsOf(event.url.searchParams);
	const parsed = parseFields(mergeQuery, event.url.searchParams);
	if (!parsed.ok) return { query, errors: parsed.errors, plan: null };
	const { keep, duplicate } = parsed.data;
	if (keep === undefined || duplicate === undefined) return { query, errors: null, plan: null };
	const [k, d] = [await householdOfCard(db, keep, '残す'), await householdOfCard(db, duplicate, 'まとめる')];
	const errors: Record<string, string> = {};
	if ('error' in k) errors.keep = k.error;
	if ('error' in d) errors.duplicate = d.error;
	if ('error' in k || 'error' in d) return { query, errors, plan: null };
	const plan = await previewMerge(db, k.id, d.id);
	if ('missing' in plan) return { query, errors: { [plan.missing]: '世帯が見つかりません' }, plan: null };
	return { query, errors: null, plan: planView(plan) };
};

export const actions: Actions = {
	merge: async (event) => {
		const user = await requireStaff(event, [...FAMILY_MANAGERS]);
		const form = await event.request.formData();
		const parsed = parseFields(mergeForm, form);
		if (!parsed.ok) return fail(400, { errors: parsed.errors });
		if (parsed.data.keepId === parsed.data.duplicateId) return fail(400, { errors: { form: '残す世帯とまとめる世帯が同じです' } as Record<string, string> });
		const r = await mergeHouseholds(await getStore(), user, parsed.data.keepId, parsed.data.duplicateId);
		if ('missing' in r) {
			return fail(400, {
				errors: { form: 'どちらかの世帯が見つかりません。すでにまとめられたか、削除されています。もう一度確認してください' } as Record<string, string>
			});
		}
		return { merged: r };
	}
};
