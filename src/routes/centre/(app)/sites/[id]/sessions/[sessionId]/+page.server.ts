import { error, fail, type RequestEvent } from '@sveltejs/kit';
import type { z } from 'zod';
import { tokyoDate } from '$lib/domain/dates';
import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import {
	cancelForm,
	cancelSession,
	loadSession,
	loadSite,
	restoreForm,
	restoreSession,
	sessionEditForm,
	SITE_MANAGERS,
	STALE_MESSAGE,
	updateSession,
	type WriteResult
} from '$lib/server/centre/sites';
import type { Actions, PageServerLoad } from './$types';

const NOT_FOUND = { code: 'not_found', message: '開催回が見つかりません' };

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...SITE_MANAGERS]);
	const db = await getStore();
	const [site, session] = await Promise.all([loadSite(db, event.params.id, tokyoDate()), loadSession(db, event.params.id, event.params.sessionId)]);
	if (!site || !session) error(404, NOT_FOUND);
	return { site, session, today: tokyoDate() };
};

type Kind = 'update' | 'cancel' | 'restore';

/** Read the form, run the change, and answer as the page expects: which form, what was sent, why not. */
async function change<S extends z.ZodType>(
	event: RequestEvent<{ id: string; sessionId: string }>,
	kind: Kind,
	schema: S,
	run: (actor: string, input: z.infer<S>) => Promise<WriteResult | { status: 'unchanged' }>
) {
	const user = await requireStaff(event, [...SITE_MANAGERS]);
	const form = await event.request.formData();
	const values = fieldsOf(form);
	const parsed = parseFields(schema, form);
	if (!parsed.ok) return fail(400, { kind, values, errors: parsed.errors });
	const result = await run(`staff:${user.id}`, parsed.data);
	if (result.status === 'not_found') error(404, NOT_FOUND);
	if (result.status === 'stale') return fail(409, { kind, values, errors: { form: STALE_MESSAGE } as Record<string, string> });
	if (result.status === 'invalid') return fail(400, { kind, values, errors: result.errors });
	if (result.status === 'unchanged') return fail(400, { kind, values, errors: { form: '変更された項目がありません' } as Record<string, string> });
	return { done: kind };
}

export const actions: Actions = {
	update: (event) =>
		change(event, 'update', sessionEditForm, async (actor, input) =>
			updateSession(await getStore(), actor, event.params.id, event.params.sessionId, input, tokyoDate())
		),
	cancel: (event) =>
		change(event, 'cancel', cancelForm, async (actor, input) => cancelSession(await getStore(), actor, event.params.id, event.params.sessionId, input)),
	restore: (event) =>
		change(event, 'restore', restoreForm, async (actor, input) => restoreSession(await getStore(), actor, event.params.id, event.params.sessionId, input))
};
