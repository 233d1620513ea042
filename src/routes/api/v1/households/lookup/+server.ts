import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { lookupQuery } from '$lib/sync/protocol';
import { ApiError } from '$lib/sync/errors';
import { api, methodNotAllowed } from '$lib/server/http';
import { getStore } from '$lib/server/db';
import { authenticateDevice, noteContact } from '$lib/server/auth/devices';
import { lookupCard } from '$lib/server/sync/lookup';

export const GET = api(async ({ request, url }) => {
	const store = await getStore();
	const device = await authenticateDevice(store, request.headers.get('authorization'), 'lookup');
	await noteContact(store, device, { pending: null });
	const query = lookupQuery.safeParse(Object.fromEntries(url.searchParams));
	if (!query.success) throw new ApiError('bad_request', z.prettifyError(query.error));
	return json(await lookupCard(store, device, query.data.card));
});

export const fallback = methodNotAllowed;
