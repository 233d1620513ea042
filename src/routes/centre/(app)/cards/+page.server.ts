import { fail, redirect } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import { parseCodeField, parseSelection, queueFilter, MAX_CARDS_PER_RUN } from '$lib/server/cards/forms';
import { householdIdByCode, listQueue, markPrinted, queueCount } from '$lib/server/cards/queue';
import { listSiteOptions } from '$lib/server/centre/overview';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS = ['coordinator', 'admin'] as const;

/**
 * The print queue, filtered by registration site; and the lookup of one card by its number (to
 * print it again or send it to a phone), which goes straight to that card's page.
 */
export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...MANAGERS]);
	const db = await getStore();
	const query = fieldsOf(event.url.searchParams);
	const parsed = parseFields(queueFilter, event.url.searchParams);
	const errors: Record<string, string> = parsed.ok ? {} : { ...parsed.errors };
	const filter = parsed.ok ? parsed.data : {};
	if (filter.code !== undefined) {
		const code = parseCodeField(filter.code);
		if (!code.ok) errors.code = code.message;
		else {
			const id = await householdIdByCode(db, code.code);
			if (id) redirect(303, `/centre/cards/${id}`);
			errors.code = 'このカード番号の世帯は見つかりません';
		}
	}
	const [queue, total, sites] = await Promise.all([listQueue(db, errors.site ? null : (filter.site ?? null)), queueCount(db), listSiteOptions(db)]);
	event.setHeaders({ 'cache-control': 'no-store' });
	return { query, errors, queue, total, sites, maxPerRun: MAX_CARDS_PER_RUN };
};

export const actions: Actions = {
	/** After printing: the chosen cards leave the queue. */
	printed: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const selection = parseSelection(await event.request.formData());
		if (!selection.ok) return fail(400, { printError: selection.errors.id! });
		const result = await markPrinted(await getStore(), selection.data, `staff:${user.id}`);
		if (result.status === 'unknown') return fail(400, { printError: '選んだカードの一部が見つかりません。一覧を読み込み直してください。' });
		return { printed: result.marked.length, alreadyPrinted: result.alreadyPrinted };
	}
};
