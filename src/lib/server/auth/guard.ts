/**
 * Centre pages call these first: in a load and in every form action (actions do not run layout
 * loads, so each must check for itself). The user is looked up once per request.
 */
import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import { getStore } from '../db';
import { SESSION_COOKIE, sessionUser, type StaffRole, type StaffUser } from './staff-sessions';

export async function currentStaff(event: Pick<RequestEvent, 'cookies' | 'locals'>): Promise<StaffUser | null> {
	if (event.locals.staff !== undefined) return event.locals.staff;
	const user = await sessionUser(await getStore(), event.cookies.get(SESSION_COOKIE));
	event.locals.staff = user;
	return user;
}

/** The signed-in user, or off to the sign-in page (and back here afterwards). */
export async function requireStaff(event: Pick<RequestEvent, 'cookies' | 'locals' | 'url'>, roles?: StaffRole[]): Promise<StaffUser> {
	const user = await currentStaff(event);
	if (!user) redirect(303, `/centre/login?next=${encodeURIComponent(event.url.pathname + event.url.search)}`);
	if (roles && !roles.includes(user.role)) error(403, { code: 'forbidden', message: 'この操作を行う権限がありません' });
	return user;
}
