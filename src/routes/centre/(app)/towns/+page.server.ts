import { fail } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { createTown, importTowns, listTowns, MAX_IMPORT_LINES, townForm } from '$lib/server/centre/towns';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS = ['coordinator', 'admin'] as const;

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...MANAGERS]);
	return { towns: await listTowns(await getStore()) };
};

export const actions: Actions = {
	create: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const form = await event.request.formData();
		const values = fieldsOf(form);
		const parsed = parseFields(townForm, form);
		if (!parsed.ok) return fail(400, { action: 'create', values, errors: parsed.errors });
		const r = await createTown(await getStore(), `staff:${user.id}`, parsed.data);
		if (r.status === 'invalid') return fail(400, { action: 'create', values, errors: r.errors });
		return { action: 'create', created: parsed.data.nameJa };
	},
	import: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const text = (await event.request.formData()).get('lines');
		if (typeof text !== 'string' || text.length > MAX_IMPORT_LINES * 200)
			return fail(400, { action: 'import', lines: '', importErrors: ['取り込む町丁を1行に1つずつ入力してください'] });
		const r = await importTowns(await getStore(), `staff:${user.id}`, text);
		if (r.status === 'invalid') return fail(400, { action: 'import', lines: text, importErrors: r.errors });
		return { action: 'import', imported: r };
	}
};
