/**
 * Centre sign-in slows down per (login name, client address), never locks anyone out.
 *
 * A lock per login name would let any stranger keep a coordinator out by failing on purpose. So
 * failures count per pair: after a few from one address for one name, that address waits before
 * trying that name again, the wait doubling with each further failure up to a cap. The rightful
 * user at another address is never refused. A second count per address across all names stops
 * one address spraying one password over many names; it too slows only that address.
 *
 * The counts live in the store (table login_throttle), so several server processes share them,
 * and every time is the database's `now()`, so the processes' clocks do not matter.
 *
 * An attempt is counted as a failure before its password is checked (a claim), and given back when
 * the password was right. Counting first makes the count atomic: a burst of parallel guesses cannot
 * all slip through before the first failure is written, as check-then-count would let them.
 */
import { ApiError } from '$lib/sync/errors';
import type { Queryable } from '../db/store';

export const LOGIN_THROTTLE = {
	/** Failures of one name from one address before each further try from there waits. */
	pairFreeFailures: 5,
	/** Failures from one address over all names before each further try from there waits. */
	addressFreeFailures: 20,
	/** The wait after the last free failure; each failure after it doubles the wait. */
	firstWaitSeconds: 30,
	maxWaitSeconds: 15 * 60,
	/** A count with no failure for this long starts again from zero. */
	forgetAfterSeconds: 60 * 60
} as const;

/** The row that counts an address's failures over all names: no login name is empty. */
const ANY_NAME = '';

/** Refused without checking the password: this address must wait this long for this name. */
export class LoginThrottledError extends ApiError {
	constructor(readonly retryAfterSeconds: number) {
		super('rate_limited', `too many failed sign-ins; try again in ${retryAfterSeconds} s`);
	}
}

interface Key {
	address: string;
	loginName: string;
	free: number;
}

/** What a claim set, so that giving it back undoes only its own doing. */
interface Claimed {
	key: Key;
	blockedUntil: string | null;
}

export interface LoginAttempt {
	pair: Claimed;
	address: Claimed;
}

/**
 * The failure count after this one ($3 = forget after), and the wait it earns ($4 free, $5 first,
 * $6 cap). The exponent is capped so that power() never overflows; the wait is capped anyway.
 */
const NEXT_FAILURES = `case when t.last_failure_at < now() - make_interval(secs => $3) then 1 else t.failures + 1 end`;
const waitFor = (failures: string) =>
	`case when ${failures} >= $4 then now() + make_interval(secs => least($5 * power(2, least(${failures} - $4, 30)), $6)) end`;

async function claim(db: Queryable, key: Key): Promise<Claimed> {
	const { forgetAfterSeconds, firstWaitSeconds, maxWaitSeconds } = LOGIN_THROTTLE;
	const params = [key.address, key.loginName, forgetAfterSeconds, key.free, firstWaitSeconds, maxWaitSeconds];
	const r = await db.query<{ blocked_until: string | null }>(
		`insert into login_throttle as t (address, login_name, failures, last_failure_at, blocked_until)
		 values ($1, $2, 1, now(), ${waitFor('1')})
		 on conflict (address, login_name) do update set
		   failures = ${NEXT_FAILURES},
		   last_failure_at = now(),
		   blocked_until = ${waitFor(NEXT_FAILURES)}
		 where t.blocked_until is null or t.blocked_until <= now()
		 returning blocked_until::text`,
		params
	);
	if (r.rows.length > 0) return { key, blockedUntil: r.rows[0]!.blocked_until };
	// The row exists and is waiting: nothing was counted.
	const w = await db.query<{ seconds: number }>(
		`select ceil(extract(epoch from blocked_until - now()))::int as seconds from login_throttle where address = $1 and login_name = $2`,
		[key.address, key.loginName]
	);
	throw new LoginThrottledError(Math.max(1, w.rows[0]?.seconds ?? 1));
}

/** Undo a claim: one failure fewer, and its wait gone unless a later failure has set another. */
async function giveBack(db: Queryable, c: Claimed): Promise<void> {
	await db.query(
		`update login_throttle set failures = greatest(failures - 1, 0),
		   blocked_until = case when blocked_until is not distinct from $3::timestamptz then null else blocked_until end
		 where address = $1 and login_name = $2`,
		[c.key.address, c.key.loginName, c.blockedUntil]
	);
}

/**
 * Count an attempt as a failure of this name from this address, before its password is checked;
 * throws LoginThrottledError (and counts nothing) if the pair or the address must still wait.
 */
export async function claimLoginAttempt(db: Queryable, loginName: string, clientAddress: string): Promise<LoginAttempt> {
	await db.query(`delete from login_throttle where last_failure_at < now() - make_interval(secs => $1)`, [LOGIN_THROTTLE.forgetAfterSeconds]);
	const pair = await claim(db, { address: clientAddress, loginName: loginName.trim().toLowerCase(), free: LOGIN_THROTTLE.pairFreeFailures });
	try {
		const address = await claim(db, { address: clientAddress, loginName: ANY_NAME, free: LOGIN_THROTTLE.addressFreeFailures });
		return { pair, address };
	} catch (e) {
		await giveBack(db, pair);
		throw e;
	}
}

/**
 * The password was right: the pair starts again from zero, and the address gets its claim back
 * (but keeps its other failures, or a spraying address could clear its count by signing in to an
 * account of its own). A wrong password needs nothing more: the claim already counted it.
 */
export async function loginSucceeded(db: Queryable, attempt: LoginAttempt): Promise<void> {
	await db.query(`delete from login_throttle where address = $1 and login_name = $2`, [attempt.pair.key.address, attempt.pair.key.loginName]);
	await giveBack(db, attempt.address);
}

/** How long to wait, in Japanese, for the sign-in page. */
export function waitInJapanese(seconds: number): string {
	if (seconds < 60) return `${seconds}秒`;
	const minutes = Math.floor(seconds / 60);
	const rest = seconds % 60;
	return rest === 0 ? `${minutes}分` : `${minutes}分${rest}秒`;
}
