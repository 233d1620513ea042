import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/sync/errors';
import { getStore } from '$lib/server/db';
import { currentStaff } from '$lib/server/auth/guard';
import { LoginThrottledError, waitInJapanese } from '$lib/server/auth/login-throttle';
import { loginForm, SESSION_COOKIE, SESSION_HOURS, signIn } from '$lib/server/auth/staff-sessions';
import type { Actions, PageServerLoad } from './$types';

/** Only same-site paths under /centre: never an open redirect. */
function safeNext(next: string | null): string {
	return next && /^\/centre(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/centre';
}

export const load: PageServerLoad = async (event) => {
	if (await currentStaff(event)) redirect(303, safeNext(event.url.searchParams.get('next')));
	return {};
};

export const actions: Actions = {
	default: async ({ request, cookies, url, getClientAddress }) => {
		const form = Object.fromEntries(await request.formData());
		const parsed = loginForm.safeParse(form);
		const loginName = typeof form.loginName === 'string' ? form.loginName.slice(0, 60) : '';
		if (!parsed.success) return fail(400, { loginName, error: parsed.error.issues[0]!.message });
		try {
			const { token } = await signIn(await getStore(), parsed.data, getClientAddress(), request.headers.get('user-agent'));
			cookies.set(SESSION_COOKIE, token, {
				path: '/centre',
				httpOnly: true,
				sameSite: 'strict',
				secure: url.protocol === 'https:',
				maxAge: SESSION_HOURS * 3600
			});
		} catch (e) {
			if (e instanceof LoginThrottledError)
				return fail(429, { loginName, error: `ログインの失敗が続いたため、あと${waitInJapanese(e.retryAfterSeconds)}お待ちください。` });
			if (e instanceof ApiError && e.code === 'unauthorized') return fail(401, { loginName, error: e.message });
			throw e;
		}
		redirect(303, safeNext(url.searchParams.get('next')));
	}
};
