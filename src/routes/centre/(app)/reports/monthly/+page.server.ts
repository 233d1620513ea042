import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { siteScope } from '$lib/server/consultations/scope';
import { chooseMonthly, FIRST_REPORT_MONTH, monthlyReport, monthlyTitle } from '$lib/server/reports/monthly';
import { addMonths, tokyoDate } from '$lib/domain/dates';
import type { PageServerLoad } from './$types';

/** The monthly 事業実績 report of one program (`?program=<id>&month=YYYY-MM`), within the reader's sites. */
export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const db = await getStore();
	const scope = await siteScope(db, user);
	const today = tokyoDate();
	const choice = await chooseMonthly(db, scope, event.url.searchParams, today);
	const base = { programs: choice.programs, today, monthRange: { min: FIRST_REPORT_MONTH, max: today.slice(0, 7) } };
	if (!choice.ok) {
		// The form keeps what was asked where it can: a program on the list, a month of the right form.
		const asked = event.url.searchParams.get('program');
		const program = choice.programs.find((p) => p.id === asked) ?? choice.programs[0];
		return {
			...base,
			selected: { program: program?.id ?? '', month: choice.month ?? addMonths(today, -1).slice(0, 7) },
			error: choice.error,
			title: null,
			report: null
		};
	}
	return {
		...base,
		selected: { program: choice.program.id, month: choice.month },
		error: null,
		title: monthlyTitle(choice.month),
		report: await monthlyReport(db, scope, choice.program, choice.month, today)
	};
};
