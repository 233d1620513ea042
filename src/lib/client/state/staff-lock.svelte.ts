/**
 * The staff face's lock. A staff member unlocks with their PIN, checked offline against the slow
 * hash in the roster; the lock closes itself after 5 idle minutes and on every reload (the
 * unlocked state lives only in memory).
 *
 * Failed attempts are counted per staff member, so a stranger guessing at one member's PIN locks
 * out only that member: from their 5th failure on, each attempt waits 30 s, doubling up to 15
 * minutes; a success clears that member's count.
 *
 * The wait runs on the monotonic clock (`performance.now()`), never the wall clock: the tablet's
 * clock is whatever its holder sets, so a deadline in wall time could be skipped by moving it (and
 * where the monotonic clock stands still while the tablet sleeps, the wait simply lasts longer). The
 * monotonic clock starts afresh with every page, so what the database keeps is the wait that
 * remains: written at each failure, every few seconds while someone waits, and as the page goes
 * away. After a reload the wait resumes from what was kept, and the time the page was closed is
 * not credited: only the wall clock could say how long that was, and crediting it would make
 * "close the page, move the clock, reopen" an unlock. A write that is lost errs the safe way too:
 * the remainder kept is then longer than the true one.
 */
import { verifyPin } from '$lib/domain/pin';
import { META, type HirobaDB, type Row } from '../db/db';

export const IDLE_MS = 5 * 60_000;
export const FREE_ATTEMPTS = 4;
export const MAX_LOCKOUT_MS = 15 * 60_000;
/** How often a running wait's remainder is written while the page stays open. */
export const PERSIST_EVERY_MS = 5_000;

export interface UnlockedStaff {
	id: string;
	displayName: string;
	role: Row<'staff'>['role'];
}

/** One member's failures, and the point on this page's monotonic clock where their wait ends. */
interface Entry {
	failures: number;
	endsAt: number;
}

/** What META.pinLockout holds: per staff member, failures and the wait still to run. */
export interface StoredLockouts {
	v: 2;
	members: Record<string, { failures: number; remainingMs: number }>;
}

export function lockoutMs(failures: number): number {
	if (failures <= FREE_ATTEMPTS) return 0;
	return Math.min(MAX_LOCKOUT_MS, 30_000 * 2 ** (failures - FREE_ATTEMPTS - 1));
}

/**
 * The kept lockouts, if they are of this shape. The first shape, `{ failures, until }`, counted
 * the whole tablet's failures against a wall-clock deadline; it is dropped rather than converted:
 * its failures belong to no member, and charging them to everyone would bring back the lockout of
 * the whole tablet that this replaces. At worst an update lifts one pending wait, once.
 */
function readStored(value: unknown): StoredLockouts['members'] {
	const members: StoredLockouts['members'] = {};
	if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== 2) return members;
	const raw = (value as { members?: unknown }).members;
	if (typeof raw !== 'object' || raw === null) return members;
	for (const [id, e] of Object.entries(raw as Record<string, unknown>)) {
		const failures = Number((e as { failures?: unknown } | null)?.failures);
		const remainingMs = Number((e as { remainingMs?: unknown } | null)?.remainingMs);
		if (!Number.isSafeInteger(failures) || failures <= 0) continue;
		// Never more than the longest wait; an unreadable remainder is taken as the wait this count earns.
		const remaining = Number.isFinite(remainingMs) ? remainingMs : lockoutMs(failures);
		members[id] = { failures, remainingMs: Math.min(MAX_LOCKOUT_MS, Math.max(0, remaining)) };
	}
	return members;
}

/**
 * The order of names on the PIN pad: consultants (相談員) first, as they are the ones who work the
 * site's sessions and unlock the tablet all day; coordinators and admins after them; by name within each.
 */
export function rosterOrder(a: Pick<Row<'staff'>, 'role' | 'displayName'>, b: Pick<Row<'staff'>, 'role' | 'displayName'>): number {
	const rank = (s: Pick<Row<'staff'>, 'role'>) => (s.role === 'consultant' ? 0 : 1);
	return rank(a) - rank(b) || a.displayName.localeCompare(b.displayName, 'ja');
}

export class StaffLock {
	staff = $state<UnlockedStaff | null>(null);
	#entries = $state<Record<string, Entry>>({});
	readonly #db: HirobaDB;
	readonly #clock: () => number;
	readonly #idleMs: number;
	readonly #persistEveryMs: number;
	#idleTimer: ReturnType<typeof setTimeout> | null = null;
	#persistTimer: ReturnType<typeof setTimeout> | null = null;
	/** Members whose wait was running at the last periodic write. */
	#counting: string[] = [];
	/** Attempts run one after another, so each sees the count the one before it left. */
	#queue: Promise<unknown> = Promise.resolve();
	#disposed = false;

	constructor(db: HirobaDB, opts: { clock?: () => number; idleMs?: number; persistEveryMs?: number } = {}) {
		this.#db = db;
		this.#clock = opts.clock ?? (() => performance.now());
		this.#idleMs = opts.idleMs ?? IDLE_MS;
		this.#persistEveryMs = opts.persistEveryMs ?? PERSIST_EVERY_MS;
	}

	/** Picks up the lockouts kept by an earlier page; entries of staff no longer on the tablet are dropped. */
	async load(): Promise<void> {
		const stored = readStored(await this.#db.getMeta(META.pinLockout));
		const known = (await this.#db.staff.bulkGet(Object.keys(stored))).filter((s) => s && !s.deleted).map((s) => s!.id);
		for (const [id, e] of Object.entries(stored)) if (known.includes(id)) this.#adopt(id, e);
		await this.#write(Object.keys(stored));
		this.#schedule();
	}

	/** The current reading of the monotonic clock the waits run on. */
	now(): number {
		return this.#clock();
	}

	failuresOf(staffId: string): number {
		return this.#entries[staffId]?.failures ?? 0;
	}

	/** Where on the monotonic clock this member's wait ends (0: no wait). Reactive. */
	waitEndsAt(staffId: string): number {
		return this.#entries[staffId]?.endsAt ?? 0;
	}

	waitMs(staffId: string): number {
		return Math.max(0, this.waitEndsAt(staffId) - this.#clock());
	}

	/** Staff who may unlock this tablet: active, and at one of its sites (or at all sites). */
	async roster(siteIds: string[]): Promise<Row<'staff'>[]> {
		const all = await this.#db.staff.toArray();
		return all.filter((s) => !s.deleted && s.active && s.pinHash && (s.siteIds.length === 0 || s.siteIds.some((id) => siteIds.includes(id)))).sort(rosterOrder);
	}

	unlock(staffId: string, pin: string): Promise<'ok' | 'wrong' | 'locked'> {
		const attempt = this.#queue.then(() => this.#attempt(staffId, pin));
		this.#queue = attempt.catch(() => undefined);
		return attempt;
	}

	async #attempt(staffId: string, pin: string): Promise<'ok' | 'wrong' | 'locked'> {
		// Another window of this app may have counted failures for this member since we loaded.
		const kept = readStored(await this.#db.getMeta(META.pinLockout))[staffId];
		if (kept) this.#adopt(staffId, kept);
		if (this.waitMs(staffId) > 0) return 'locked';

		// The failure is counted and kept before the PIN is checked, and taken back on success, so
		// reloading the page while the slow check runs does not make a guess free.
		const failures = this.failuresOf(staffId) + 1;
		this.#entries[staffId] = { failures, endsAt: this.#clock() + lockoutMs(failures) };
		await this.#write([staffId]);
		this.#schedule();

		const s = await this.#db.staff.get(staffId);
		const ok = !!s && !s.deleted && s.active && !!s.pinHash && (await verifyPin(pin, s.pinHash));
		if (!ok) return 'wrong';
		delete this.#entries[staffId];
		await this.#write([staffId]);
		this.staff = { id: s.id, displayName: s.displayName, role: s.role };
		this.touch();
		return 'ok';
	}

	/** Writes every member's remaining wait now: when the page is hidden or goes away (tablet.ts), as it may not come back. */
	async persist(): Promise<void> {
		await this.#write(Object.keys(this.#entries));
	}

	/** Any staff activity keeps the face unlocked for another idle period. */
	touch(): void {
		if (!this.staff) return;
		if (this.#idleTimer) clearTimeout(this.#idleTimer);
		this.#idleTimer = setTimeout(() => this.lock(), this.#idleMs);
	}

	lock(): void {
		this.staff = null;
		if (this.#idleTimer) clearTimeout(this.#idleTimer);
		this.#idleTimer = null;
	}

	/** Stops the timers (tests; a page simply goes away). */
	dispose(): void {
		this.#disposed = true;
		this.lock();
		if (this.#persistTimer) clearTimeout(this.#persistTimer);
		this.#persistTimer = null;
	}

	/** Takes a kept entry when it knows of more failures than this page does (a reload, or another window). */
	#adopt(staffId: string, kept: { failures: number; remainingMs: number }): void {
		if (kept.failures <= this.failuresOf(staffId)) return;
		this.#entries[staffId] = { failures: kept.failures, endsAt: this.#clock() + kept.remainingMs };
	}

	/**
	 * Writes the named members' entries (removing those this page has cleared) and leaves the others
	 * as kept, so two windows do not undo each other's counts.
	 */
	async #write(ids: string[]): Promise<void> {
		if (ids.length === 0) return;
		const now = this.#clock();
		await this.#db.transaction('rw', this.#db.meta, async () => {
			const members = readStored(await this.#db.getMeta(META.pinLockout));
			for (const id of ids) {
				const e = this.#entries[id];
				if (e) members[id] = { failures: e.failures, remainingMs: Math.max(0, Math.ceil(e.endsAt - now)) };
				else delete members[id];
			}
			await this.#db.setMeta(META.pinLockout, { v: 2, members } satisfies StoredLockouts);
		});
	}

	/** While anyone waits, their remainder is written every few seconds, and once more when it has run out. */
	#schedule(): void {
		if (this.#persistTimer || this.#disposed) return;
		const waiting = () => Object.keys(this.#entries).filter((id) => this.waitMs(id) > 0);
		if (waiting().length === 0 && this.#counting.length === 0) return;
		this.#persistTimer = setTimeout(() => {
			this.#persistTimer = null;
			const now = waiting();
			const ids = [...now, ...this.#counting.filter((id) => !now.includes(id))];
			this.#counting = now;
			// A write that fails leaves the longer remainder kept: the safe side. The next tick tries again.
			this.#write(ids)
				.catch(() => undefined)
				.finally(() => this.#schedule());
		}, this.#persistEveryMs);
	}
}
