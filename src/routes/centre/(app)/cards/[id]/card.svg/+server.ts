import { error } from '@sveltejs/kit';
import { formatCardCode } from '$lib/domain/card-code';
import { UUID_RE } from '$lib/domain/ids';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { cardFaceSvg } from '$lib/server/cards/card-face';
import { auditCardExport, cardById } from '$lib/server/cards/queue';
import type { RequestHandler } from './$types';

/** The card face as an image file, to send to a family's phone; audited `card.export`. */
export const GET: RequestHandler = async (event) => {
	const user = await requireStaff(event, ['coordinator', 'admin']);
	const id = event.params.id;
	const db = await getStore();
	const card = UUID_RE.test(id) ? await cardById(db, id) : null;
	if (!card) error(404, { code: 'not_found', message: 'そのカードの世帯は見つかりません' });
	const svg = await cardFaceSvg(card.code, { standalone: true });
	await auditCardExport(db, `staff:${user.id}`, id, 'svg');
	const fileName = `hiroba-card-${formatCardCode(card.code)}.svg`;
	return new Response(svg, {
		headers: {
			'content-type': 'image/svg+xml; charset=utf-8',
			'content-disposition': `attachment; filename="${fileName}"`,
			'cache-control': 'no-store',
			// Opened directly rather than saved, the image may run nothing and load nothing.
			'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'"
		}
	});
};
