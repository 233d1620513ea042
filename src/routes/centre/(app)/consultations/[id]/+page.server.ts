import { error } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { getKeyring } from '$lib/server/crypto/keyring';
import { loadConsultation } from '$lib/server/consultations/queries';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const found = await loadConsultation(await getStore(), user, event.params.id, await getKeyring());
	if (found.status === 'not_found') error(404, { code: 'not_found', message: '相談記録が見つかりません' });
	if (found.status === 'forbidden') error(403, { code: 'forbidden', message: 'この相談記録を見る権限がありません' });
	// The note is shown in clear: no cache may keep the page.
	event.setHeaders({ 'cache-control': 'no-store' });
	return { consultation: found.detail };
};
