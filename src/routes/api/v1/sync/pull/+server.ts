import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { PENDING_HEADER, parsePendingHeader, pullQuery } from '$lib/sync/protocol';
import { ApiError } from '$lib/sync/errors';
import { api, methodNotAllowed } from '$lib/server/http';
import { getStore } from '$lib/server/db';
import { authenticateDevice } from '$lib/server/auth/devices';
import { buildPull } from '$lib/server/sync/pull';

export const GET = api(async ({ request, url }) => {
	const store = await getStore();
	const pending = parsePendingHeader(request.headers.get(PENDING_HEADER));
	const device = await authenticateDevice(store, request.headers.get('authorization'), 'pull', Date.now(), pending);
	const query = pullQuery.safeParse(Object.fromEntries(url.searchParams));
	if (!query.success)
		throw new ApiError(query.error.issues.some((i) => i.path[0] === 'since') ? 'invalid_cursor' : 'bad_request', z.prettifyError(query.error));
	return json(await buildPull(store, device, query.data.since, query.data.limit, Date.now(), pending));
});

export const fallback = methodNotAllowed;
