import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../db/store';
import { writeCentreRecords } from '../sync/records';
import { errorCodeOf, openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import { hashPassword } from './passwords';
import { IDLE_MINUTES, LOGIN_RATE, loginForm, sessionUser, signIn, signOut } from './staff-sessions';

describe.each(testStores())('centre sign-in on $name', (ts) => {
	let store: Store;
	let staffId: string;

	openForSuite(ts, (s) => (store = s));
	beforeEach(async () => {
		await truncateAll(store);
		const ids = await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ displayName: 'コーディネーター 高橋', role: 'coordinator' }) }])
		);
		staffId = ids[0]!;
		await store.query('update staff set login_name = $2, password_hash = $3 where id = $1', [
			staffId,
			'takahashi',
			await hashPassword('correct horse battery')
		]);
	});

	it('signs in with the right password, case-insensitively on the login name, and the session finds the user', async () => {
		const { token, user } = await signIn(store, { loginName: 'Takahashi', password: 'correct horse battery' }, '10.0.0.1', 'test');
		expect(user).toEqual({ id: staffId, displayName: 'コーディネーター 高橋', role: 'coordinator', loginName: 'takahashi' });
		expect(await sessionUser(store, token)).toEqual(user);
		const stored = await store.query<{ token_hash: string }>('select token_hash from staff_sessions');
		expect(stored.rows[0]!.token_hash).not.toContain(token);
		const audit = await store.query<{ action: string }>(`select action from audit_log where subject = $1`, [staffId]);
		expect(audit.rows.map((r) => r.action)).toContain('staff.sign_in');
	});

	it('refuses a wrong password, an unknown name and an inactive account alike, and logs the failures', async () => {
		expect(await errorCodeOf(signIn(store, { loginName: 'takahashi', password: 'wrong' }, '10.0.0.2', null))).toBe('unauthorized');
		expect(await errorCodeOf(signIn(store, { loginName: 'nobody', password: 'wrong' }, '10.0.0.2', null))).toBe('unauthorized');
		await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [{ id: staffId, data: f.staffMember({ displayName: 'x', role: 'coordinator', active: false }) }])
		);
		expect(await errorCodeOf(signIn(store, { loginName: 'takahashi', password: 'correct horse battery' }, '10.0.0.2', null))).toBe('unauthorized');
		const failures = await store.query<{ n: number }>(`select count(*)::int as n from audit_log where action = 'staff.sign_in_failed'`);
		expect(failures.rows[0]!.n).toBe(3);
		expect((await store.query('select 1 from staff_sessions')).rows).toHaveLength(0);
	});

	it(`locks a login name after ${LOGIN_RATE.limit} attempts, even with the right password`, async () => {
		for (let i = 0; i < LOGIN_RATE.limit; i++)
			expect(await errorCodeOf(signIn(store, { loginName: 'takahashi', password: `guess${i}` }, `10.0.1.${i}`, null))).toBe('unauthorized');
		expect(await errorCodeOf(signIn(store, { loginName: 'takahashi', password: 'correct horse battery' }, '10.0.2.1', null))).toBe('rate_limited');
	});

	it('ends a session on sign-out, after the idle limit, and when the account is deactivated', async () => {
		const a = await signIn(store, { loginName: 'takahashi', password: 'correct horse battery' }, '10.0.0.3', null);
		await signOut(store, a.token);
		expect(await sessionUser(store, a.token)).toBeNull();

		const b = await signIn(store, { loginName: 'takahashi', password: 'correct horse battery' }, '10.0.0.3', null);
		await store.query(`update staff_sessions set last_seen_at = now() - make_interval(mins => $1 + 1)`, [IDLE_MINUTES]);
		expect(await sessionUser(store, b.token)).toBeNull();

		const c = await signIn(store, { loginName: 'takahashi', password: 'correct horse battery' }, '10.0.0.3', null);
		await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [{ id: staffId, data: f.staffMember({ displayName: 'x', role: 'coordinator', active: false }) }])
		);
		expect(await sessionUser(store, c.token)).toBeNull();
		expect(await sessionUser(store, undefined)).toBeNull();
		expect(await sessionUser(store, 'hrs_forged')).toBeNull();
	});
});

describe('loginForm', () => {
	const message = (loginName: string) => loginForm.safeParse({ loginName, password: 'x' }).error?.issues[0]?.message;

	it('refuses a login name with characters nobody types, in Japanese at the field', () => {
		for (const bad of ['taka\u0000hashi', 'takahashi\n', 'taka\thashi', '\ud800', 'taka\u0085', 'taka\ufffe', '\u{10ffff}']) {
			expect(message(bad), JSON.stringify(bad)).toBe('ログインIDに使えない文字が含まれています');
		}
	});

	it('accepts ordinary names, trimmed', () => {
		expect(loginForm.parse({ loginName: '  takahashi ', password: 'x' }).loginName).toBe('takahashi');
		expect(loginForm.parse({ loginName: '高橋😀', password: 'x' }).loginName).toBe('高橋😀');
		expect(message('   ')).toBe('ログインIDを入力してください');
	});
});
