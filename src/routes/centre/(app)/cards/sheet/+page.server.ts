import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { parseFields } from '$lib/server/forms';
import { cardFaceSvg } from '$lib/server/cards/card-face';
import { parseSelection, sheetOptions } from '$lib/server/cards/forms';
import { cardsByIds } from '$lib/server/cards/queue';
import { CARDS_PER_SHEET, layoutSheets } from '$lib/domain/card-sheet';
import type { PageServerLoad } from './$types';

/**
 * The A4 sheets of the chosen cards (`id` repeated, `sides`), for the browser to print. Showing the
 * sheet changes nothing; the cards leave the queue when a coordinator marks them printed.
 */
export const load: PageServerLoad = async (event) => {
	await requireStaff(event, ['coordinator', 'admin']);
	event.setHeaders({ 'cache-control': 'no-store' });
	const selection = parseSelection(event.url.searchParams);
	const options = parseFields(sheetOptions, event.url.searchParams);
	const refused = (error: string) => ({ error, pages: [], ids: [], count: 0, sheets: 0, sides: 'both' as const });
	if (!selection.ok) return refused(selection.errors.id!);
	if (!options.ok) return refused(options.errors.sides!);
	const rows = await cardsByIds(await getStore(), selection.data);
	if (rows.length !== selection.data.length) return refused('選んだカードの一部が見つかりません。一覧を読み込み直してください。');
	const cards = await Promise.all(rows.map(async (r) => ({ id: r.id, language: r.language, face: await cardFaceSvg(r.code) })));
	return {
		error: null,
		pages: layoutSheets(cards, options.data.sides),
		ids: rows.map((r) => r.id),
		count: rows.length,
		sheets: Math.ceil(rows.length / CARDS_PER_SHEET),
		sides: options.data.sides
	};
};
