/**
 * Server hooks. `init` opens and migrates the store before the first request (the process fails to
 * start if it cannot), and closes it on `sveltekit:shutdown`, which the host (scripts/lib/host.js)
 * emits after its servers have closed and awaits, so the store is closed before the process exits.
 */
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { closeStore, getStore } from '$lib/server/db';
import { logError } from '$lib/server/log';
import '$lib/server/zod-locale';

export const init: ServerInit = async () => {
	await getStore();
	process.once('sveltekit:shutdown', () => closeStore());
};

/** Headers for every response the app makes (page CSP comes from svelte.config.js). */
const SECURITY_HEADERS: Record<string, string> = {
	'x-content-type-options': 'nosniff',
	// Not no-referrer: under it a browser sends `Origin: null` with a plain same-origin form post, and
	// SvelteKit's CSRF check then refuses every form that works without JavaScript (ログアウト was
	// one). same-origin still sends nothing to any other site.
	'referrer-policy': 'same-origin',
	'permissions-policy': 'camera=(self), microphone=(), geolocation=()'
};

export const handle: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	try {
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
		return response;
	} catch {
		// A response with immutable headers (one passed through from fetch): copy it.
		const copy = new Response(response.body, response);
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) copy.headers.set(name, value);
		return copy;
	}
};

/** Unexpected errors are logged here and leave as a stable code with a message that reveals nothing. */
export const handleError: HandleServerError = ({ error, event, status }) => {
	// Japanese, because the error page shows it; never the framework's own (English) message.
	if (status === 404) return { code: 'not_found', message: 'ページが見つかりません' };
	logError(`server ${event.request.method} ${event.url.pathname}`, error);
	return { code: 'internal', message: status >= 500 ? 'サーバーでエラーが発生しました（記録されています）' : 'リクエストを処理できませんでした' };
};
