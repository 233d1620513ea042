import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { parseFields } from '$lib/server/forms';
import { consultationFilter, EXPORT_MAX_ROWS, exportConsultationsCsv } from '$lib/server/consultations/queries';
import { tokyoDate } from '$lib/domain/dates';
import type { RequestHandler } from './$types';

const text = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** The filtered consultation list as CSV (no note text); audited. */
export const GET: RequestHandler = async (event) => {
	const user = await requireStaff(event);
	const parsed = parseFields(consultationFilter, event.url.searchParams);
	if (!parsed.ok) return text(400, `絞り込みの条件が正しくありません: ${Object.values(parsed.errors).join('、')}`);
	const out = await exportConsultationsCsv(await getStore(), user, parsed.data);
	if (!out) return text(400, `該当する相談記録が${EXPORT_MAX_ROWS.toLocaleString('ja-JP')}件を超えるため書き出せません。条件を絞ってください。`);
	const name = `consultations-${tokyoDate()}.csv`;
	return new Response(out.csv, {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': `attachment; filename="${name}"`,
			'cache-control': 'no-store'
		}
	});
};
