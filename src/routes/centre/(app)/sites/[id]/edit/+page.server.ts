import { error, fail, redirect } from '@sveltejs/kit';
import { tokyoDate } from '$lib/domain/dates';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { listPrograms, loadSite, siteEditForm, SITE_MANAGERS, STALE_MESSAGE, updateSite } from '$lib/server/centre/sites';
import type { Actions, PageServerLoad } from './$types';

const NOT_FOUND = { code: 'not_found', message: '会場が見つかりません' };

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...SITE_MANAGERS]);
	const db = await getStore();
	const site = await loadSite(db, event.params.id, tokyoDate());
	if (!site) error(404, NOT_FOUND);
	return { site, programs: await listPrograms(db) };
};

export const actions: Actions = {
	update: async (event) => {
		const user = await requireStaff(event, [...SITE_MANAGERS]);
		const form = await event.request.formData();
		const values = fieldsOf(form);
		const parsed = parseFields(siteEditForm, form);
		if (!parsed.ok) return fail(400, { values, errors: parsed.errors });
		const result = await updateSite(await getStore(), `staff:${user.id}`, event.params.id, parsed.data);
		if (result.status === 'not_found') error(404, NOT_FOUND);
		if (result.status === 'stale') return fail(409, { values, errors: { form: STALE_MESSAGE } as Record<string, string> });
		if (result.status === 'invalid') return fail(400, { values, errors: result.errors });
		if (result.status === 'unchanged') return fail(400, { values, errors: { form: '変更された項目がありません' } as Record<string, string> });
		redirect(303, `/centre/sites/${event.params.id}?saved=updated`);
	}
};
