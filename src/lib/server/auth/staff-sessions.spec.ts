import { beforeEach, describe, expect, it, vi } from 'vitest';

// Under test here are the throttle and the sessions, not the hash's cost: each attempt's scrypt
// runs at N = 2^10 instead of 2^15 (0.2 s of CPU each, some hundred attempts). The parameters a
// stored hash still names N = 2^15, and the centre pages' specs and the browser journeys sign in at full cost.
vi.mock('node:crypto', async (importOriginal) => {
	const crypto = await importOriginal<typeof import('node:crypto')>();
	const scrypt = ((password, salt, keylen, options, callback) =>
		crypto.scrypt(password, salt, keylen, { ...options, N: Math.min(options.N ?? 2 ** 14, 2 ** 10) }, callback)) as typeof crypto.scrypt;
	return { ...crypto, scrypt, default: { ...crypto, scrypt } };
});
import type { Store } from '../db/store';
import { writeCentreRecords } from '../sync/records';
import { errorCodeOf, openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import { hashPassword } from './passwords';
import { LOGIN_THROTTLE, LoginThrottledError } from './login-throttle';
import { IDLE_MINUTES, loginForm, sessionUser, signIn, signOut } from './staff-sessions';

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

	const RIGHT = 'correct horse battery';
	const ATTACKER = '203.0.113.9';
	const attempt = (password: string, address: string, loginName = 'takahashi') => errorCodeOf(signIn(store, { loginName, password }, address, null));
	/** The wait this attempt is refused with, in seconds, or its outcome if it is not refused for waiting. */
	async function waitOf(password: string, address: string, loginName = 'takahashi'): Promise<number | string> {
		try {
			await signIn(store, { loginName, password }, address, null);
			return 'ok';
		} catch (e) {
			return e instanceof LoginThrottledError ? e.retryAfterSeconds : errorCodeOf(Promise.reject(e));
		}
	}
	/** Time passes for the throttle: every stored time moves back instead of the test sleeping. */
	async function elapse(seconds: number) {
		await store.query(
			`update login_throttle set last_failure_at = last_failure_at - make_interval(secs => $1), blocked_until = blocked_until - make_interval(secs => $1)`,
			[seconds]
		);
	}
	/** How long the pair must still wait, read from the store without making an attempt. */
	async function storedWait(address: string, loginName = 'takahashi'): Promise<number> {
		const r = await store.query<{ s: number }>(
			`select greatest(0, ceil(extract(epoch from blocked_until - now())))::int as s from login_throttle where address = $1 and login_name = $2 and blocked_until is not null`,
			[address, loginName]
		);
		return r.rows[0]?.s ?? 0;
	}
	/** Fail from `address`, waiting out any wait first; returns the wait each failure then earned. */
	async function failAfterWaiting(address: string, times: number, loginName = 'takahashi'): Promise<number[]> {
		const waits: number[] = [];
		for (let i = 0; i < times; i++) {
			await elapse(await storedWait(address, loginName));
			expect(await attempt('wrong', address, loginName)).toBe('unauthorized');
			waits.push(await storedWait(address, loginName));
		}
		return waits;
	}

	it('never keeps the rightful user at another address out, however often an attacker fails on the name', async () => {
		const codes: string[] = [];
		for (let i = 0; i < 10; i++) codes.push(await attempt(`guess${i}`, ATTACKER));
		const free = LOGIN_THROTTLE.pairFreeFailures;
		expect(codes).toEqual([...Array(free).fill('unauthorized'), ...Array(10 - free).fill('rate_limited')]);
		expect(await attempt(RIGHT, '10.0.0.5')).toBe('ok');

		// Twenty real failures (each wait waited out): still nothing for the rightful user.
		await failAfterWaiting(ATTACKER, 20 - free);
		const failures = await store.query<{ n: number }>(`select count(*)::int as n from audit_log where action = 'staff.sign_in_failed'`);
		expect(failures.rows[0]!.n).toBe(20);
		expect(await attempt(RIGHT, '10.0.0.5')).toBe('ok');
		expect(await attempt(RIGHT, '10.0.0.6')).toBe('ok');
	});

	it('makes the failing address wait, longer after each failure up to a cap, even with the right password', async () => {
		const waits = await failAfterWaiting(ATTACKER, LOGIN_THROTTLE.pairFreeFailures + 7);
		const expected = [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900];
		expect(waits).toHaveLength(expected.length);
		waits.forEach((w, i) => expect(w, `wait after failure ${i + 1}`).toBeGreaterThanOrEqual(Math.max(0, expected[i]! - 2)));
		waits.forEach((w, i) => expect(w, `wait after failure ${i + 1}`).toBeLessThanOrEqual(expected[i]!));
		expect(LOGIN_THROTTLE.maxWaitSeconds).toBe(900);
		// The page is told how long: the refusal carries the wait.
		const refused = await waitOf(RIGHT, ATTACKER);
		expect(refused).toBeGreaterThan(890);
		// Refused attempts are not failures: hammering during the wait does not lengthen it.
		for (let i = 0; i < 5; i++) expect(await attempt('wrong', ATTACKER)).toBe('rate_limited');
		expect(await storedWait(ATTACKER)).toBeLessThanOrEqual(refused as number);
		// Only this name is slowed for this address; another name from it is checked as usual.
		expect(await attempt('wrong', ATTACKER, 'nobody')).toBe('unauthorized');
	});

	it('starts the pair again from zero after a success', async () => {
		const free = LOGIN_THROTTLE.pairFreeFailures;
		for (let i = 0; i < free - 1; i++) expect(await attempt('wrong', '10.0.0.7')).toBe('unauthorized');
		expect(await attempt(RIGHT, '10.0.0.7')).toBe('ok');
		for (let i = 0; i < free - 1; i++) expect(await attempt('wrong', '10.0.0.7')).toBe('unauthorized');
		// Slowed after the free failures, then the right password (after the wait) clears the pair.
		expect(await attempt('wrong', '10.0.0.7')).toBe('unauthorized');
		expect(await attempt(RIGHT, '10.0.0.7')).toBe('rate_limited');
		await elapse(await storedWait('10.0.0.7'));
		expect(await attempt(RIGHT, '10.0.0.7')).toBe('ok');
		expect(await attempt('wrong', '10.0.0.7')).toBe('unauthorized');
		expect(await attempt(RIGHT, '10.0.0.7')).toBe('ok');
		const rows = await store.query(`select 1 from login_throttle where address = '10.0.0.7' and login_name <> ''`);
		expect(rows.rows).toHaveLength(0);
	});

	it('slows an address that sprays many names, and only that address; its own success does not clear it', async () => {
		const sprayer = '198.51.100.4';
		const cap = LOGIN_THROTTLE.addressFreeFailures;
		for (let i = 0; i < cap - 1; i++) expect(await attempt('Winter2025!', sprayer, `name${i}`)).toBe('unauthorized');
		// Signing in to an account of its own gives back only that attempt.
		expect(await attempt(RIGHT, sprayer)).toBe('ok');
		expect(await attempt('Winter2025!', sprayer, `name${cap}`)).toBe('unauthorized');
		const wait = await waitOf(RIGHT, sprayer);
		expect(wait).toBeGreaterThanOrEqual(LOGIN_THROTTLE.firstWaitSeconds - 2);
		expect(wait).toBeLessThanOrEqual(LOGIN_THROTTLE.firstWaitSeconds);
		expect(await attempt('Winter2025!', sprayer, 'yet-another-name')).toBe('rate_limited');
		expect(await attempt(RIGHT, '10.0.0.8')).toBe('ok');
		// A name refused for the address's sake has counted nothing against that name.
		const pair = await store.query(`select 1 from login_throttle where address = $1 and login_name = 'yet-another-name' and failures > 0`, [sprayer]);
		expect(pair.rows).toHaveLength(0);
		await elapse(await storedWait(sprayer, ''));
		expect(await attempt('Winter2025!', sprayer, 'one-more')).toBe('unauthorized');
		expect(await waitOf('x', sprayer, 'and-another')).toBeGreaterThanOrEqual(2 * LOGIN_THROTTLE.firstWaitSeconds - 2);
	});

	it('lets no more than the free failures through when guesses arrive all at once', async () => {
		const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(`parallel${i}`, ATTACKER)));
		expect(codes.filter((c) => c === 'unauthorized')).toHaveLength(LOGIN_THROTTLE.pairFreeFailures);
		expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(12 - LOGIN_THROTTLE.pairFreeFailures);
		expect(await attempt(RIGHT, '10.0.0.9')).toBe('ok');
	});

	it('forgets the failures of a quiet hour', async () => {
		for (let i = 0; i < LOGIN_THROTTLE.pairFreeFailures; i++) expect(await attempt('wrong', ATTACKER)).toBe('unauthorized');
		expect(await attempt('wrong', ATTACKER)).toBe('rate_limited');
		await elapse(LOGIN_THROTTLE.forgetAfterSeconds + 1);
		expect(await attempt('wrong', ATTACKER, 'someone')).toBe('unauthorized');
		const left = await store.query<{ login_name: string }>(`select login_name from login_throttle order by login_name`);
		expect(left.rows.map((r) => r.login_name)).toEqual(['', 'someone']);
		expect(await attempt('wrong', ATTACKER)).toBe('unauthorized');
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
