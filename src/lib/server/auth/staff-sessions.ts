/**
 * Centre sign-in: login name and password (scrypt), then a session whose token lives in an
 * HttpOnly, SameSite=Strict cookie. Sessions end after an idle hour or eight hours in all, and on
 * sign-out. Failures slow down the address that makes them, per login name and per address
 * (login-throttle.ts); they never lock the login name itself, which anyone could do to anyone.
 */
import { z } from 'zod';
import { cleanText } from '$lib/server/clean-text';
import { ApiError } from '$lib/sync/errors';
import type { Queryable } from '../db/store';
import { audit } from './devices';
import { verifyPassword } from './passwords';
import { claimLoginAttempt, loginSucceeded } from './login-throttle';
import { makeToken, sha256Hex } from './tokens';

export const SESSION_COOKIE = 'hiroba_session';
export const SESSION_HOURS = 8;
export const IDLE_MINUTES = 60;

export type StaffRole = 'consultant' | 'coordinator' | 'admin';

export interface StaffUser {
	id: string;
	displayName: string;
	role: StaffRole;
	loginName: string;
}

export const loginForm = z.object({
	// The name keys a rate limit and goes to the audit log, so it obeys the text rule (in Japanese:
	// the message shows at the field).
	loginName: cleanText({ message: 'ログインIDに使えない文字が含まれています' }).trim().min(1, 'ログインIDを入力してください').max(60),
	password: z.string().min(1, 'パスワードを入力してください').max(200)
});

/** A dummy hash to spend the same time on an unknown login name as on a wrong password. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function signIn(
	db: Queryable,
	input: { loginName: string; password: string },
	clientAddress: string,
	userAgent: string | null
): Promise<{ token: string; user: StaffUser }> {
	// Counted as a failure until the password proves right; refused here, unchecked, while waiting.
	const attempt = await claimLoginAttempt(db, input.loginName, clientAddress);
	const r = await db.query<{ id: string; display_name: string; role: StaffRole; login_name: string; password_hash: string | null; active: boolean }>(
		`select id::text, data->>'displayName' as display_name, data->>'role' as role, login_name, password_hash, (data->>'active')::boolean and not deleted as active
		 from staff where lower(login_name) = lower($1)`,
		[input.loginName]
	);
	const row = r.rows[0];
	const ok = await verifyPassword(input.password, row?.password_hash ?? DUMMY_HASH);
	if (!row || !ok || !row.active || !row.password_hash) {
		await audit(db, `login:${input.loginName.slice(0, 60)}`, 'staff.sign_in_failed', row?.id ?? null, { clientAddress });
		throw new ApiError('unauthorized', 'ログインIDまたはパスワードが違います');
	}
	await loginSucceeded(db, attempt);
	const token = makeToken('hrs');
	await db.query(`insert into staff_sessions (token_hash, staff_id, expires_at, user_agent) values ($1, $2, now() + make_interval(hours => $3), $4)`, [
		sha256Hex(token),
		row.id,
		SESSION_HOURS,
		userAgent?.slice(0, 200) ?? null
	]);
	await audit(db, `staff:${row.id}`, 'staff.sign_in', row.id, { clientAddress });
	return { token, user: { id: row.id, displayName: row.display_name, role: row.role, loginName: row.login_name } };
}

/** The signed-in staff member for a session cookie, or null; touching the session keeps it alive. */
export async function sessionUser(db: Queryable, token: string | undefined): Promise<StaffUser | null> {
	if (!token) return null;
	const r = await db.query<{ id: string; display_name: string; role: StaffRole; login_name: string }>(
		`update staff_sessions s set last_seen_at = now()
		 from staff st
		 where s.token_hash = $1 and st.id = s.staff_id and s.expires_at > now()
		   and s.last_seen_at > now() - make_interval(mins => $2)
		   and (st.data->>'active')::boolean and not st.deleted
		 returning st.id::text, st.data->>'displayName' as display_name, st.data->>'role' as role, st.login_name`,
		[sha256Hex(token), IDLE_MINUTES]
	);
	const row = r.rows[0];
	return row ? { id: row.id, displayName: row.display_name, role: row.role, loginName: row.login_name } : null;
}

export async function signOut(db: Queryable, token: string | undefined): Promise<void> {
	if (!token) return;
	await db.query('delete from staff_sessions where token_hash = $1', [sha256Hex(token)]);
}

export function canManageDevices(user: StaffUser | null): boolean {
	return user?.role === 'coordinator' || user?.role === 'admin';
}
