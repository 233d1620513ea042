import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf } from '$lib/server/forms';
import { loadAttendanceReport } from '$lib/server/reports/attendance-report';
import { tokyoDate } from '$lib/domain/dates';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const today = tokyoDate();
	const result = await loadAttendanceReport(await getStore(), user, event.url.searchParams, today);
	return { query: fieldsOf(event.url.searchParams), today, ...result };
};
