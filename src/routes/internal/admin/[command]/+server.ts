/**
 * The admin channel's endpoint: `POST /internal/admin/<command>` with the command's arguments as
 * JSON. Only the host's Unix socket (scripts/lib/host.js) reaches it with the process's admin secret;
 * the public server strips the header and refuses /internal/ before the app sees it. Anything else
 * gets a 404, as if there were nothing here.
 */
import { json, type RequestHandler } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { ApiError } from '$lib/sync/errors';
import { api, readJson } from '$lib/server/http';
import { logError } from '$lib/server/log';
import { getStore } from '$lib/server/db';
import { safeEqual } from '$lib/server/auth/tokens';
import { runAdminCommand } from '$lib/server/admin/commands';

const ADMIN_HEADER = 'x-hiroba-admin';

function authorised(request: Request): boolean {
	const secret = env.HIROBA_ADMIN_SECRET;
	const given = request.headers.get(ADMIN_HEADER);
	return !!secret && secret.length >= 32 && !!given && safeEqual(given, secret);
}

const nothingHere = () => new ApiError('not_found', 'not found');

export const POST = api(async ({ request, params }) => {
	if (!authorised(request)) throw nothingHere();
	const args = await readJson(request, 64 * 1024);
	try {
		return json(await runAdminCommand(await getStore(), params.command ?? '', args, { env }));
	} catch (e) {
		if (e instanceof ApiError) throw e;
		// The operator is on this machine: tell them what went wrong, not just that something did.
		logError(`admin ${params.command}`, e);
		throw new ApiError('internal', e instanceof Error ? e.message : String(e));
	}
});

export const fallback: RequestHandler = api(async () => {
	throw nothingHere();
});
