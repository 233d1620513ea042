import { error, fail, redirect } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { assignableRoles, createStaff, parseSiteIds, staffForm, staffSiteOptions } from '$lib/server/centre/staff';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS = ['coordinator', 'admin'] as const;

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event, [...MANAGERS]);
	return { sites: await staffSiteOptions(await getStore()), roles: assignableRoles(user) };
};

export const actions: Actions = {
	default: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const form = await event.request.formData();
		const values = { ...fieldsOf(form), siteIds: form.getAll('siteId').filter((v): v is string => typeof v === 'string') };
		const parsed = parseFields(staffForm, form);
		const sites = parseSiteIds(form);
		const errors = { ...(parsed.ok ? {} : parsed.errors), ...(sites.ok ? {} : { siteId: sites.error }) };
		if (!parsed.ok || !sites.ok) return fail(400, { values, errors });
		const result = await createStaff(await getStore(), user, { ...parsed.data, siteIds: sites.siteIds });
		if (result.status === 'forbidden') error(403, { code: 'forbidden', message: result.message });
		if (result.status !== 'ok') return fail(400, { values, errors: result.status === 'invalid' ? result.errors : { form: '追加できませんでした' } });
		redirect(303, `/centre/staff/${result.value.id}?added=1`);
	}
};
