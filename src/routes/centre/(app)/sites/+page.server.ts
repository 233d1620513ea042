import { tokyoDate } from '$lib/domain/dates';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { listPrograms, listSites, SITE_MANAGERS } from '$lib/server/centre/sites';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...SITE_MANAGERS]);
	const db = await getStore();
	const today = tokyoDate();
	const [programs, sites] = await Promise.all([listPrograms(db), listSites(db, today)]);
	return { today, programs, sites };
};
