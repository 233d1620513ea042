import { error, fail } from '@sveltejs/kit';
import { UUID_RE } from '$lib/domain/ids';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { cardFaceSvg } from '$lib/server/cards/card-face';
import { cardById, requeueCard } from '$lib/server/cards/queue';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS = ['coordinator', 'admin'] as const;
const NOT_FOUND = { code: 'not_found', message: 'そのカードの世帯は見つかりません' };

/** One family's card: to print it again (back into the queue) or to hand it to the family's phone. */
export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...MANAGERS]);
	const id = event.params.id;
	const card = UUID_RE.test(id) ? await cardById(await getStore(), id) : null;
	if (!card) error(404, NOT_FOUND);
	event.setHeaders({ 'cache-control': 'no-store' });
	return { card, face: await cardFaceSvg(card.code) };
};

export const actions: Actions = {
	/** A lost or worn card: print it again with the next sheet. */
	requeue: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const id = event.params.id;
		if (!UUID_RE.test(id)) error(404, NOT_FOUND);
		const result = await requeueCard(await getStore(), id, `staff:${user.id}`);
		if (result === 'not_found') error(404, NOT_FOUND);
		if (result === 'already_queued') return fail(400, { requeueError: 'このカードはすでに印刷待ちです' });
		return { requeued: true };
	}
};
