import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { exportAttendanceReport } from '$lib/server/reports/attendance-report';
import { exportResponse } from '$lib/server/reports/export';
import { tokyoDate } from '$lib/domain/dates';
import type { RequestHandler } from './$types';

const text = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * The report's table of the level asked for (`table=level`, the default) or every visit of the
 * period and scope (`table=visits`), as .xlsx (`format=xlsx`, the default) or CSV; audited.
 */
export const GET: RequestHandler = async (event) => {
	const user = await requireStaff(event);
	const params = new URLSearchParams(event.url.searchParams);
	const format = params.get('format') ?? 'xlsx';
	const table = params.get('table') ?? 'level';
	params.delete('format');
	params.delete('table');
	if (format !== 'csv' && format !== 'xlsx') return text(400, '書き出しの形式は csv か xlsx で指定してください');
	if (table !== 'level' && table !== 'visits') return text(400, '書き出す表は level か visits で指定してください');
	const out = await exportAttendanceReport(await getStore(), user, params, table, format, tokyoDate());
	if (!out.ok) return text(out.status, out.message);
	return exportResponse(out.body, format, out.fileName);
};
