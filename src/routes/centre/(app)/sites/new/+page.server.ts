import { fail, redirect } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { createSite, listPrograms, siteForm, SITE_MANAGERS } from '$lib/server/centre/sites';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...SITE_MANAGERS]);
	return { programs: await listPrograms(await getStore()) };
};

export const actions: Actions = {
	create: async (event) => {
		const user = await requireStaff(event, [...SITE_MANAGERS]);
		const form = await event.request.formData();
		const values = fieldsOf(form);
		const parsed = parseFields(siteForm, form);
		if (!parsed.ok) return fail(400, { values, errors: parsed.errors });
		const result = await createSite(await getStore(), `staff:${user.id}`, parsed.data);
		if (result.status === 'invalid') return fail(400, { values, errors: result.errors });
		if (result.status !== 'ok') return fail(400, { values, errors: { form: '会場を追加できませんでした。もう一度お試しください' } as Record<string, string> });
		redirect(303, `/centre/sites/${result.id}?saved=created`);
	}
};
