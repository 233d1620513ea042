import { error, fail, redirect } from '@sveltejs/kit';
import { uuid } from '$lib/domain/schemas';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { listTowns, townForm, updateTown } from '$lib/server/centre/towns';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS: ['coordinator', 'admin'] = ['coordinator', 'admin'];
const NOT_FOUND = { code: 'not_found', message: 'その町丁は見つかりません' };

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, MANAGERS);
	if (!uuid.safeParse(event.params.id).success) error(404, NOT_FOUND);
	const town = (await listTowns(await getStore())).find((t) => t.id === event.params.id);
	if (!town) error(404, NOT_FOUND);
	return { town };
};

export const actions: Actions = {
	update: async (event) => {
		const user = await requireStaff(event, MANAGERS);
		if (!uuid.safeParse(event.params.id).success) error(404, NOT_FOUND);
		const form = await event.request.formData();
		const values = fieldsOf(form);
		const parsed = parseFields(townForm, form);
		if (!parsed.ok) return fail(400, { values, errors: parsed.errors });
		const r = await updateTown(await getStore(), `staff:${user.id}`, event.params.id, parsed.data);
		if (r.status === 'not_found') error(404, NOT_FOUND);
		if (r.status === 'invalid') return fail(400, { values, errors: r.errors });
		if (r.status === 'unchanged') return fail(400, { values, errors: { form: '変更された項目がありません' } as Record<string, string> });
		redirect(303, `/centre/towns?saved=${encodeURIComponent(parsed.data.nameJa)}`);
	}
};
