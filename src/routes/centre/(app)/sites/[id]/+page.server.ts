import { error, fail } from '@sveltejs/kit';
import { fiscalYear, fiscalYearRange, tokyoDate } from '$lib/domain/dates';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { parseSeasonRule, skipReasonJa, type SeasonPlan, type SeasonRule } from '$lib/server/centre/season';
import { generateSeason, listSessions, loadSite, monthQuery, neighbourMonths, previewSeason, sessionMonths, SITE_MANAGERS } from '$lib/server/centre/sites';
import type { Actions, PageServerLoad } from './$types';

const NOT_FOUND = { code: 'not_found', message: '会場が見つかりません' };

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...SITE_MANAGERS]);
	const db = await getStore();
	const today = tokyoDate();
	const site = await loadSite(db, event.params.id, today);
	if (!site) error(404, NOT_FOUND);
	const query = parseFields(monthQuery, event.url.searchParams);
	const month = (query.ok ? query.data.month : undefined) ?? today.slice(0, 7);
	const [months, sessions] = await Promise.all([sessionMonths(db, site.id), query.ok ? listSessions(db, site.id, month) : Promise.resolve([])]);
	const saved = event.url.searchParams.get('saved');
	return {
		today,
		site,
		month,
		...neighbourMonths(month),
		months,
		sessions,
		queryErrors: query.ok ? null : query.errors,
		saved: saved === 'created' || saved === 'updated' ? saved : null,
		seasonDefaults: { from: today, to: fiscalYearRange(fiscalYear(today)).end }
	};
};

/** The plan as the page shows it: each skipped date with its reason in words. */
const planView = (plan: SeasonPlan) => ({ create: plan.create, skipped: plan.skipped.map((s) => ({ date: s.date, reason: skipReasonJa(s.reason) })) });

/** The rule as form values, to send again with the confirmation. */
const ruleValues = (rule: SeasonRule) => ({
	startTime: rule.startTime,
	endTime: rule.endTime,
	from: rule.from,
	to: rule.to,
	weekdays: rule.weekdays.map(String)
});

async function readRule(event: Parameters<Actions[string]>[0]) {
	const form = await event.request.formData();
	const values = { ...fieldsOf(form), weekdays: form.getAll('weekday').map(String) };
	return { values, parsed: parseSeasonRule(form, tokyoDate()) };
}

export const actions: Actions = {
	preview: async (event) => {
		await requireStaff(event, [...SITE_MANAGERS]);
		const { values, parsed } = await readRule(event);
		if (!parsed.ok) return fail(400, { season: { values, errors: parsed.errors } });
		const db = await getStore();
		if (!(await loadSite(db, event.params.id, tokyoDate()))) error(404, NOT_FOUND);
		return { preview: { values: ruleValues(parsed.data), plan: planView(await previewSeason(db, event.params.id, parsed.data)) } };
	},
	generate: async (event) => {
		const user = await requireStaff(event, [...SITE_MANAGERS]);
		const { values, parsed } = await readRule(event);
		if (!parsed.ok) return fail(400, { season: { values, errors: parsed.errors } });
		const result = await generateSeason(await getStore(), `staff:${user.id}`, event.params.id, parsed.data);
		if (result.status === 'not_found') error(404, NOT_FOUND);
		if (result.status === 'invalid') return fail(400, { season: { values, errors: result.errors } });
		return {
			generated: { count: result.created, skipped: result.plan.skipped.length, from: parsed.data.from, to: parsed.data.to, first: result.plan.create[0]! }
		};
	}
};
