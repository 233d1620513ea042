import { fail } from '@sveltejs/kit';
import { tokyoDate } from '$lib/domain/dates';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import {
	getRetention,
	lastRuns,
	previewPurge,
	purgeExpired,
	retentionCutoff,
	retentionForm,
	RETENTION_KINDS,
	setRetention
} from '$lib/server/centre/retention';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event, ['coordinator', 'admin']);
	const store = await getStore();
	const today = tokyoDate();
	const settings = await getRetention(store);
	return {
		settings,
		cutoffs: Object.fromEntries(RETENTION_KINDS.map((k) => [k, retentionCutoff(settings[k], today)])) as Record<
			(typeof RETENTION_KINDS)[number],
			string | null
		>,
		preview: await previewPurge(store, today),
		runs: await lastRuns(store),
		canChange: user.role === 'admin'
	};
};

export const actions: Actions = {
	save: async (event) => {
		// Retention is the ward's rule (文書管理規程): only an admin changes it.
		const user = await requireStaff(event, ['admin']);
		const form = await event.request.formData();
		const parsed = parseFields(retentionForm, form);
		if (!parsed.ok) return fail(400, { action: 'save', values: fieldsOf(form), errors: parsed.errors });
		const r = await setRetention(await getStore(), `staff:${user.id}`, parsed.data);
		if (r.changed.length === 0)
			return fail(400, { action: 'save', values: fieldsOf(form), errors: { form: '変更された項目がありません' } as Record<string, string> });
		return { action: 'save', saved: true };
	},
	purge: async (event) => {
		const user = await requireStaff(event, ['admin']);
		const counts = await purgeExpired(await getStore(), `staff:${user.id}`);
		return { action: 'purge', purged: counts };
	}
};
