import { json } from '@sveltejs/kit';
import { MAX_PUSH_BYTES, PENDING_HEADER, parsePendingHeader, type PushResponse } from '$lib/sync/protocol';
import { api, methodNotAllowed, readJson } from '$lib/server/http';
import { getStore } from '$lib/server/db';
import { authenticateDevice } from '$lib/server/auth/devices';
import { applyPush, parsePushBody } from '$lib/server/sync/push';

export const POST = api(async ({ request }) => {
	const store = await getStore();
	const pending = parsePendingHeader(request.headers.get(PENDING_HEADER));
	const device = await authenticateDevice(store, request.headers.get('authorization'), 'push', Date.now(), pending);
	const changes = parsePushBody(await readJson(request, MAX_PUSH_BYTES));
	const results = await applyPush(store, device, changes, Date.now(), pending);
	return json({ results } satisfies PushResponse);
});

export const fallback = methodNotAllowed;
