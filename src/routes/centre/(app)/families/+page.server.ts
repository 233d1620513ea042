import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { listSiteOptions } from '$lib/server/centre/overview';
import { familySearch, searchFamilies } from '$lib/server/families/queries';
import { FAMILY_MANAGERS } from '$lib/server/families/changes';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...FAMILY_MANAGERS]);
	const db = await getStore();
	const query = fieldsOf(event.url.searchParams);
	const sites = await listSiteOptions(db);
	const parsed = parseFields(familySearch, event.url.searchParams);
	if (!parsed.ok) return { query, errors: parsed.errors, result: null, sites };
	return { query, errors: null, result: await searchFamilies(db, parsed.data), sites };
};
