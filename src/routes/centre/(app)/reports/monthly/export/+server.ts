import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { siteScope } from '$lib/server/consultations/scope';
import { chooseMonthly, exportMonthlyReport, MONTHLY_TABLES, monthlyReport, type MonthlyTable } from '$lib/server/reports/monthly';
import { exportResponse } from '$lib/server/reports/export';
import { tokyoDate } from '$lib/domain/dates';
import type { RequestHandler } from './$types';

const text = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * One table of the monthly report (`table=sites`: 会場別実績, `table=consultations`: 相談件数) as
 * .xlsx (`format=xlsx`, the default) or CSV, with the page's program and month; audited.
 */
export const GET: RequestHandler = async (event) => {
	const user = await requireStaff(event);
	const params = event.url.searchParams;
	const format = params.get('format') ?? 'xlsx';
	const table = params.get('table') ?? 'sites';
	if (format !== 'csv' && format !== 'xlsx') return text(400, '書き出しの形式は csv か xlsx で指定してください');
	if (!(MONTHLY_TABLES as readonly string[]).includes(table)) return text(400, '書き出す表の指定が正しくありません');
	const db = await getStore();
	const scope = await siteScope(db, user);
	const today = tokyoDate();
	const choice = await chooseMonthly(db, scope, params, today);
	if (!choice.ok) return text(400, choice.error);
	const report = await monthlyReport(db, scope, choice.program, choice.month, today);
	const out = await exportMonthlyReport(db, user, report, table as MonthlyTable, format);
	return exportResponse(out.body, format, out.fileName);
};
