import { ApiError } from '$lib/sync/errors';
import { api } from '$lib/server/http';

/** Any other path under /api answers in the API's own error shape, not with an HTML page. */
export const fallback = api(async ({ url }) => {
	throw new ApiError('not_found', `no such endpoint: ${url.pathname}`);
});
