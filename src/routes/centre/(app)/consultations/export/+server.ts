import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { parseFields } from '$lib/server/forms';
import { consultationFilter, EXPORT_MAX_ROWS, exportConsultations } from '$lib/server/consultations/queries';
import { exportResponse } from '$lib/server/reports/export';
import { tokyoDate } from '$lib/domain/dates';
import type { RequestHandler } from './$types';

const text = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** The filtered consultation list as CSV (`?format=csv`, the default) or .xlsx, never a note; audited. */
export const GET: RequestHandler = async (event) => {
	const user = await requireStaff(event);
	const params = new URLSearchParams(event.url.searchParams);
	const format = params.get('format') ?? 'csv';
	params.delete('format');
	if (format !== 'csv' && format !== 'xlsx') return text(400, '書き出しの形式は csv か xlsx で指定してください');
	const parsed = parseFields(consultationFilter, params);
	if (!parsed.ok) return text(400, `絞り込みの条件が正しくありません: ${Object.values(parsed.errors).join('、')}`);
	const out = await exportConsultations(await getStore(), user, parsed.data, format);
	if (!out) return text(400, `該当する相談記録が${EXPORT_MAX_ROWS.toLocaleString('ja-JP')}件を超えるため書き出せません。条件を絞ってください。`);
	return exportResponse(out.body, format, `相談記録-${tokyoDate()}`);
};
