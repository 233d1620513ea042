import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { caseFilter, listCases, ownerOptions } from '$lib/server/consultations/followups';
import { filterOptions } from '$lib/server/consultations/queries';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const db = await getStore();
	const query = fieldsOf(event.url.searchParams);
	const parsed = parseFields(caseFilter, event.url.searchParams);
	const [owners, { sites }] = await Promise.all([ownerOptions(db), filterOptions(db, user)]);
	if (!parsed.ok) return { query, errors: parsed.errors, cases: null, owners, sites };
	return { query, errors: null, cases: await listCases(db, user, parsed.data), owners, sites };
};
