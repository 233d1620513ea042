import { error, fail } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { getKeyring } from '$lib/server/crypto/keyring';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { caseUpdateForm, loadCase, NEXT_STATUSES, ownerOptions, STALE_MESSAGE, updateCase } from '$lib/server/consultations/followups';
import type { Actions, PageServerLoad } from './$types';

const NOT_FOUND = { code: 'not_found', message: 'フォローアップのケースが見つかりません' };
const FORBIDDEN = { code: 'forbidden', message: 'このケースを扱う権限がありません' };

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const db = await getStore();
	const found = await loadCase(db, user, event.params.id, await getKeyring());
	if (found.status === 'not_found') error(404, NOT_FOUND);
	if (found.status === 'forbidden') error(403, FORBIDDEN);
	event.setHeaders({ 'cache-control': 'no-store' });
	return { followup: found.detail, nextStatuses: NEXT_STATUSES[found.detail.status], owners: await ownerOptions(db) };
};

export const actions: Actions = {
	update: async (event) => {
		const user = await requireStaff(event);
		const form = await event.request.formData();
		const values = fieldsOf(form);
		const parsed = parseFields(caseUpdateForm, form);
		if (!parsed.ok) return fail(400, { values, errors: parsed.errors, stale: null });
		const result = await updateCase(await getStore(), user, event.params.id, parsed.data, await getKeyring());
		if (result.status === 'not_found') error(404, NOT_FOUND);
		if (result.status === 'forbidden') error(403, FORBIDDEN);
		if (result.status === 'stale') return fail(409, { values, errors: {} as Record<string, string>, stale: STALE_MESSAGE });
		if (result.status === 'invalid') return fail(400, { values, errors: result.errors, stale: null });
		if (result.status === 'unchanged') return fail(400, { values, errors: { form: '変更された項目がありません' } as Record<string, string>, stale: null });
		return { updated: true };
	}
};
