import { redirect } from '@sveltejs/kit';
import { getStore } from '$lib/server/db';
import { SESSION_COOKIE, signOut } from '$lib/server/auth/staff-sessions';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/centre');

export const actions: Actions = {
	default: async ({ cookies }) => {
		await signOut(await getStore(), cookies.get(SESSION_COOKIE));
		cookies.delete(SESSION_COOKIE, { path: '/centre' });
		redirect(303, '/centre/login');
	}
};
