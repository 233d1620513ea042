import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { enrollRequest } from '$lib/sync/protocol';
import { ApiError } from '$lib/sync/errors';
import { api, methodNotAllowed, readJson } from '$lib/server/http';
import { getStore } from '$lib/server/db';
import { enrollDevice } from '$lib/server/auth/devices';

export const POST = api(async ({ request, getClientAddress }) => {
	const body = enrollRequest.safeParse(await readJson(request, 4096));
	if (!body.success) throw new ApiError('invalid_body', z.prettifyError(body.error));
	const result = await enrollDevice(await getStore(), body.data, getClientAddress());
	return json(result, { status: 201 });
});

export const fallback = methodNotAllowed;
