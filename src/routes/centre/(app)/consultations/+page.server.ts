import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { consultationFilter, filterOptions, listConsultations } from '$lib/server/consultations/queries';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const db = await getStore();
	const query = fieldsOf(event.url.searchParams);
	const parsed = parseFields(consultationFilter, event.url.searchParams);
	const options = await filterOptions(db, user, parsed.ok ? parsed.data.session : undefined);
	if (!parsed.ok) return { query, errors: parsed.errors, list: null, options };
	return { query, errors: null, list: await listConsultations(db, user, parsed.data), options };
};
