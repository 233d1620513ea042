import { z } from 'zod';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { parseFields } from '$lib/server/forms';
import { siteScope } from '$lib/server/consultations/scope';
import { consultationFiscalYears, consultationStats } from '$lib/server/reports/consultations';
import { fiscalYear, tokyoDate } from '$lib/domain/dates';
import type { PageServerLoad } from './$types';

const statsQuery = z.object({
	fy: z.coerce
		.number({ error: '年度の指定が正しくありません' })
		.int('年度の指定が正しくありません')
		.min(2000, '年度の指定が正しくありません')
		.max(2100, '年度の指定が正しくありません')
		.optional()
});

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const db = await getStore();
	const scope = await siteScope(db, user);
	const current = fiscalYear(tokyoDate());
	const parsed = parseFields(statsQuery, event.url.searchParams);
	const years = await consultationFiscalYears(db, scope, current);
	if (!parsed.ok) return { years, error: parsed.errors.fy ?? '年度の指定が正しくありません', stats: null, scoped: scope.siteIds !== null };
	return { years, error: null, stats: await consultationStats(db, scope, parsed.data.fy ?? current), scoped: scope.siteIds !== null };
};
