/**
 * The staff face's lock. A staff member unlocks with their PIN, checked offline against the slow
 * hash in the roster; the lock closes itself after 5 idle minutes and on every reload (the
 * unlocked state lives only in memory). Failed attempts are remembered in the database, so a
 * reload does not reset the lockout: from the 5th failure on, each attempt waits 30 s, doubling up
 * to 15 minutes.
 */
import { verifyPin } from '$lib/domain/pin';
import { META, type HirobaDB, type Row } from '../db/db';

export const IDLE_MS = 5 * 60_000;
export const FREE_ATTEMPTS = 4;
export const MAX_LOCKOUT_MS = 15 * 60_000;

export interface UnlockedStaff {
	id: string;
	displayName: string;
	role: Row<'staff'>['role'];
}

interface Lockout {
	failures: number;
	until: number;
}

export function lockoutMs(failures: number): number {
	if (failures <= FREE_ATTEMPTS) return 0;
	return Math.min(MAX_LOCKOUT_MS, 30_000 * 2 ** (failures - FREE_ATTEMPTS - 1));
}

export class StaffLock {
	staff = $state<UnlockedStaff | null>(null);
	failures = $state(0);
	lockedUntil = $state(0);
	readonly #db: HirobaDB;
	readonly #now: () => number;
	readonly #idleMs: number;
	#idleTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(db: HirobaDB, opts: { now?: () => number; idleMs?: number } = {}) {
		this.#db = db;
		this.#now = opts.now ?? Date.now;
		this.#idleMs = opts.idleMs ?? IDLE_MS;
	}

	async load(): Promise<void> {
		const l = await this.#db.getMeta<Lockout>(META.pinLockout);
		this.failures = l?.failures ?? 0;
		this.lockedUntil = l?.until ?? 0;
	}

	/** Staff who may unlock this tablet: active, and at one of its sites (or at all sites). */
	async roster(siteIds: string[]): Promise<Row<'staff'>[]> {
		const all = await this.#db.staff.toArray();
		return all
			.filter((s) => !s.deleted && s.active && s.pinHash && (s.siteIds.length === 0 || s.siteIds.some((id) => siteIds.includes(id))))
			.sort((a, b) => a.displayName.localeCompare(b.displayName, 'ja'));
	}

	async unlock(staffId: string, pin: string): Promise<'ok' | 'wrong' | 'locked'> {
		if (this.#now() < this.lockedUntil) return 'locked';
		const s = await this.#db.staff.get(staffId);
		const ok = !!s && !s.deleted && s.active && !!s.pinHash && (await verifyPin(pin, s.pinHash));
		if (!ok) {
			this.failures += 1;
			this.lockedUntil = this.#now() + lockoutMs(this.failures);
			await this.#db.setMeta(META.pinLockout, { failures: this.failures, until: this.lockedUntil });
			return 'wrong';
		}
		this.failures = 0;
		this.lockedUntil = 0;
		await this.#db.setMeta(META.pinLockout, { failures: 0, until: 0 });
		this.staff = { id: s.id, displayName: s.displayName, role: s.role };
		this.touch();
		return 'ok';
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
}
