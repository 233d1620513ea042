import { error } from '@sveltejs/kit';
import { UUID_RE } from '$lib/domain/ids';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { cardFaceSvg } from '$lib/server/cards/card-face';
import { auditCardExport, cardById } from '$lib/server/cards/queue';
import type { PageServerLoad } from './$types';

/**
 * One card on pages of its own size (face, then back), to print or to save as a PDF for the
 * family's phone. Showing it hands the card out of the centre, so it is audited `card.export`.
 */
export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event, ['coordinator', 'admin']);
	const id = event.params.id;
	const db = await getStore();
	const card = UUID_RE.test(id) ? await cardById(db, id) : null;
	if (!card) error(404, { code: 'not_found', message: 'そのカードの世帯は見つかりません' });
	await auditCardExport(db, `staff:${user.id}`, id, 'print');
	event.setHeaders({ 'cache-control': 'no-store' });
	return { card: { id: card.id, code: card.code, language: card.language }, face: await cardFaceSvg(card.code) };
};
