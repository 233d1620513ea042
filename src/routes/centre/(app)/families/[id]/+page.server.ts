import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { tokyoDate } from '$lib/domain/dates';
import { requireStaff } from '$lib/server/auth/guard';
import { audit } from '$lib/server/auth/devices';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { loadFamily } from '$lib/server/families/queries';
import { addChild, addChildForm, FAMILY_MANAGERS, reissueCard } from '$lib/server/families/changes';
import type { Actions, PageServerLoad } from './$types';

const NOT_FOUND = { code: 'not_found', message: '世帯が見つかりません' };

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event, [...FAMILY_MANAGERS]);
	const db = await getStore();
	const found = await loadFamily(db, event.params.id, tokyoDate());
	if (found.status === 'not_found') error(404, NOT_FOUND);
	// A household merged into another: its page is the kept family's.
	if (found.status === 'merged') redirect(303, `/centre/families/${found.into}?merged=1`);
	await audit(db, `staff:${user.id}`, 'household.open', found.detail.id, null);
	event.setHeaders({ 'cache-control': 'no-store' });
	return { family: found.detail, today: tokyoDate(), mergedHere: event.url.searchParams.get('merged') === '1' };
};

const reissueForm = z.object({
	confirm: z.literal('yes', { error: '古いカードが使えなくなることを確認したら、確認のチェックを入れてください' })
});

export const actions: Actions = {
	addChild: async (event) => {
		const user = await requireStaff(event, [...FAMILY_MANAGERS]);
		const form = await event.request.formData();
		const values = fieldsOf(form);
		const parsed = parseFields(addChildForm(tokyoDate()), form);
		if (!parsed.ok) return fail(400, { action: 'addChild' as const, values, errors: parsed.errors });
		const r = await addChild(await getStore(), user, event.params.id, parsed.data);
		if (r.status !== 'ok') error(404, NOT_FOUND);
		return { action: 'addChild' as const, added: parsed.data.birthYm };
	},
	reissue: async (event) => {
		const user = await requireStaff(event, [...FAMILY_MANAGERS]);
		const form = await event.request.formData();
		const parsed = parseFields(reissueForm, form);
		if (!parsed.ok) return fail(400, { action: 'reissue' as const, values: fieldsOf(form), errors: parsed.errors });
		const r = await reissueCard(await getStore(), user, event.params.id);
		if (r.status !== 'ok') error(404, NOT_FOUND);
		return { action: 'reissue' as const, reissued: r.value.cardCode };
	}
};
