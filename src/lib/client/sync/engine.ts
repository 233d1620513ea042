/**
 * The tablet's sync engine: pushes the outbox in batches, then pulls pages of reference data, and
 * tells the screen how it is going. It runs after local writes (debounced), when the browser comes
 * online, when the page is shown again, on an interval, and on demand; after a failure it retries on
 * a timer with exponential backoff and jitter, so a backlog drains even if nobody writes again.
 *
 * No event says that the centre is back: behind a captive portal or a VPN the browser believes it
 * is online all along, and a sleeping tablet's timers stop. So the wait between two attempts never
 * exceeds MAX_RETRY_GAP_MS, counted from the start of the failed attempt (one that hung until its
 * timeout counts too); the interval adds no attempt while a retry is due sooner; and a page shown
 * again syncs at once. A tablet that could not reach the centre for hours syncs within a minute of
 * the centre answering again, without a hot loop (at least half that gap between attempts).
 *
 * Offline is the normal case: a failed request changes nothing locally; the outbox keeps every
 * change until the centre has acknowledged it, and retries are safe because pushes are idempotent.
 */
import Dexie from 'dexie';
import { addDays, tokyoDate } from '$lib/domain/dates';
import { deviceNode, MAX_AHEAD_MS, maxHlc, parseHlc } from '$lib/domain/hlc';
import { isApiErrorBody, type ErrorCode } from '$lib/sync/errors';
import {
	MAX_PUSH_BYTES,
	MAX_PUSH_CHANGES,
	PENDING_HEADER,
	PROTOCOL_VERSION,
	lookupResponse,
	pullResponse,
	pushResponse,
	type Change,
	type PullResponse,
	type PushResult
} from '$lib/sync/protocol';
import { META, type DeviceCredentials, type HirobaDB, type OutboxEntry, type Row } from '../db/db';
import { wipeLocalData } from '../db/wipe';
import { tabletClock } from '../db/writes';
import { applyEvictions, mergeChanges } from './merge';

/**
 * Which rules for what a tablet holds its reference data follows. A tablet that synced under older
 * rules (the whole ward's families and staff) drops that reference data and pulls its share again.
 */
export const PULL_EPOCH = 2;
/** A clock further than this from the centre's is corrected (the Date header counts whole seconds). */
export const CLOCK_TOLERANCE_MS = 30_000;
/** Beyond what the centre accepts by more than the corrected clock's error: surely refused. */
const RESTAMP_MARGIN_MS = 2_000;
/** Visits of sessions older than this many days leave the tablet once the centre has them. */
export const KEEP_VISIT_DAYS = 7;
/** The longest wait from the start of a failed attempt to the next one (the backoff's cap). */
export const MAX_RETRY_GAP_MS = 60_000;

export type SyncState = 'idle' | 'syncing' | 'offline' | 'error' | 'revoked' | 'retired' | 'not_enrolled';

export interface SyncStatus {
	state: SyncState;
	/** Changes waiting for the centre. */
	pending: number;
	/** Changes the centre refused: kept on the tablet for staff to see. */
	rejected: number;
	lastSuccessAt: number | null;
	lastError: { code: string; message: string; at: number } | null;
	/** While a long backlog drains: how far along the push is. */
	progress: { done: number; total: number } | null;
	/** The centre says this device pushed before, but the local store is empty: the browser evicted it. */
	evicted: boolean;
	/** When the next retry is due after a failure. */
	nextRetryAt: number | null;
}

export interface SyncEngineOptions {
	baseUrl: string;
	fetch?: typeof fetch;
	now?: () => number;
	random?: () => number;
	batchSize?: number;
	pullLimit?: number;
	/** Periodic sync while running. */
	intervalMs?: number;
	/** Wait after a local write before syncing, so a burst of writes goes in one push. */
	debounceMs?: number;
	backoffBaseMs?: number;
	/** The backoff's cap; at most MAX_RETRY_GAP_MS by default. */
	backoffMaxMs?: number;
	/** A request that takes longer than this is abandoned (and retried later). */
	timeoutMs?: number;
	/** A card lookup (a family from elsewhere at the kiosk) waits no longer than this. */
	lookupTimeoutMs?: number;
}

export class SyncError extends Error {
	constructor(
		readonly code: ErrorCode | 'network' | 'bad_response' | 'not_enrolled',
		message: string,
		readonly status?: number
	) {
		super(message);
	}
}

const BYTE_BUDGET = MAX_PUSH_BYTES - 4096; // room for the envelope around the changes

/** One outbox entry as a change of the push body, JSON-encoded. */
function encodeChange(e: OutboxEntry): string {
	return JSON.stringify({ table: e.table, id: e.id, hlc: e.hlc, deleted: e.deleted, data: e.data });
}

interface PushOutcome {
	drained: boolean;
	rejectedSome: boolean;
	writesAtStart: number;
	/** The centre's clock when it refused a stamp as ahead of it, if it did. */
	clockAhead: number | null;
	/** Outbox entries (seq) the centre refused as stamped ahead of its clock. */
	refusedAhead: number[];
	/** Changes left pending for another pass (see RETRY_IN_CYCLE), and changes applied, in the last pass. */
	deferred: number;
	applied: number;
}

/**
 * Refusals worth another try in the same cycle, after everything else was pushed: a stamp ahead of
 * the centre's clock (stamped again first), and a record that names a family, session or child the
 * centre has not received yet. The outbox keeps one entry per record, at the position of its newest
 * version, so an edit of a family made after its child was recorded queues the family behind the
 * child; a later pass brings them together. What is still refused when a pass gets nowhere, or
 * after MAX_PASSES, stays, marked, for staff.
 */
const MAX_PASSES = 4;
const RETRY_IN_CYCLE: ReadonlySet<string> = new Set(['clock_ahead', 'unknown_household', 'unknown_session', 'unknown_child']);

export class SyncEngine {
	readonly db: HirobaDB;
	readonly #opts: Required<Omit<SyncEngineOptions, 'fetch'>> & { fetch: typeof fetch };
	#status: SyncStatus = { state: 'idle', pending: 0, rejected: 0, lastSuccessAt: null, lastError: null, progress: null, evicted: false, nextRetryAt: null };
	#listeners = new Set<(s: SyncStatus) => void>();
	/** Changes encoded while a batch was measured (#nextBatch), so each is encoded once a push. */
	#encoded = new WeakMap<OutboxEntry, string>();
	#running: Promise<void> | null = null;
	#again = false;
	/** Local writes announced through notifyWrite(), to know whether counts may have moved. */
	#writes = 0;
	#failures = 0;
	#offset: number | null = null;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#debounceTimer: ReturnType<typeof setTimeout> | null = null;
	#interval: ReturnType<typeof setInterval> | null = null;
	#onOnline = () => void this.syncNow();
	/** A tablet woken from sleep (its timers were paused) or a tab brought back: sync now. */
	#onVisible = () => {
		if (document.visibilityState === 'visible') void this.syncNow();
	};

	constructor(db: HirobaDB, opts: SyncEngineOptions) {
		this.db = db;
		this.#opts = {
			fetch: opts.fetch ?? ((...args) => globalThis.fetch(...args)),
			now: Date.now,
			random: Math.random,
			batchSize: MAX_PUSH_CHANGES,
			pullLimit: 1000,
			intervalMs: 60_000,
			debounceMs: 300,
			backoffBaseMs: 2_000,
			backoffMaxMs: MAX_RETRY_GAP_MS,
			timeoutMs: 30_000,
			lookupTimeoutMs: 3_000,
			...opts,
			baseUrl: opts.baseUrl.replace(/\/$/, '')
		};
	}

	get status(): SyncStatus {
		return this.#status;
	}

	subscribe(fn: (s: SyncStatus) => void): () => void {
		this.#listeners.add(fn);
		fn(this.#status);
		return () => this.#listeners.delete(fn);
	}

	#set(patch: Partial<SyncStatus>): void {
		this.#status = { ...this.#status, ...patch };
		for (const fn of this.#listeners) fn(this.#status);
	}

	/** Start the background loop: now, on an interval, whenever the browser comes online and whenever the page is shown. */
	start(): void {
		if (this.#interval) return;
		this.#interval = setInterval(() => this.#tick(), this.#opts.intervalMs);
		globalThis.addEventListener?.('online', this.#onOnline);
		if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.#onVisible);
		void this.refreshCounts();
		void this.loadLastSuccess();
		void this.syncNow();
	}

	/**
	 * The last success as kept by an earlier page: after a reload with the centre out of reach, the
	 * screen still says when the tablet last synced, not that it never has.
	 */
	async loadLastSuccess(): Promise<void> {
		const kept = await this.db.getMeta<number>(META.lastSuccessAt);
		if (typeof kept === 'number' && (this.#status.lastSuccessAt ?? 0) < kept) this.#set({ lastSuccessAt: kept });
	}

	stop(): void {
		if (this.#interval) clearInterval(this.#interval);
		this.#interval = null;
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		if (this.#debounceTimer) clearTimeout(this.#debounceTimer);
		this.#retryTimer = this.#debounceTimer = null;
		globalThis.removeEventListener?.('online', this.#onOnline);
		if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.#onVisible);
	}

	/**
	 * The interval's sync: none while a cycle runs or a retry is due sooner (after a failure the
	 * retry timer sets the pace), so a failing tablet does not try twice as often. A retry overdue
	 * (its timer was held back) does not hold the interval up.
	 */
	#tick(): void {
		if (this.#running) return;
		const due = this.#status.nextRetryAt;
		if (this.#retryTimer && due !== null && this.#opts.now() < due) return;
		void this.syncNow();
	}

	/** Call after a local write: syncs shortly, once for a burst of writes. */
	notifyWrite(): void {
		this.#writes++;
		void this.refreshCounts();
		if (this.#debounceTimer) clearTimeout(this.#debounceTimer);
		this.#debounceTimer = setTimeout(() => {
			this.#debounceTimer = null;
			void this.syncNow();
		}, this.#opts.debounceMs);
	}

	async refreshCounts(): Promise<void> {
		const [pending, rejected] = await Promise.all([
			this.db.outbox.where('state').equals('pending').count(),
			this.db.outbox.where('state').equals('rejected').count()
		]);
		this.#set({ pending, rejected });
	}

	/**
	 * Counts after a cycle, reading only what may have changed: the rejected count moves only when
	 * a push rejected something, and after a drained push nothing is pending unless a write came in
	 * meanwhile. (Counting over an index right after a large backlog was deleted is slow until
	 * IndexedDB compacts it, so an idle tablet's sync should not count what it already knows.)
	 */
	async #refreshCountsAfterCycle(outcome: PushOutcome): Promise<void> {
		if (outcome.rejectedSome || !outcome.drained || this.#writes !== outcome.writesAtStart) return this.refreshCounts();
		this.#set({ pending: 0 });
	}

	/**
	 * One full cycle (push everything, then pull everything). Concurrent calls share the cycle in
	 * progress and ask for one more run after it, so a write made mid-cycle is not left behind.
	 * Never throws: the outcome is in `status`.
	 */
	syncNow(): Promise<void> {
		if (this.#running) {
			this.#again = true;
			return this.#running;
		}
		this.#running = (async () => {
			try {
				do {
					this.#again = false;
					await this.#cycle();
				} while (this.#again);
			} finally {
				this.#running = null;
			}
		})();
		return this.#running;
	}

	async #cycle(): Promise<void> {
		const startedAt = this.#opts.now();
		// What the cycle starts from, in one read (an up-to-date sync is a handful of small reads):
		// the credentials, and the outbox's floor for the first pass (#pushAll).
		const [device, floor] = await this.db.getMetas<[DeviceCredentials, number]>([META.device, META.outboxFloor]);
		if (!device) {
			this.#set({ state: 'not_enrolled' });
			return;
		}
		// This attempt stands for a retry that was scheduled: a failure schedules the next one.
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		this.#retryTimer = null;
		this.#set({ state: 'syncing' });
		const outcome: PushOutcome = {
			drained: false,
			rejectedSome: false,
			writesAtStart: this.#writes,
			clockAhead: null,
			refusedAhead: [],
			deferred: 0,
			applied: 0
		};
		try {
			// Push everything; then, while some changes were held back for another try (RETRY_IN_CYCLE) and
			// the last pass got somewhere, push those again; a pass that got nowhere is the last.
			for (let pass = 1; ; pass++) {
				await this.#pushAll(device, outcome, false, pass === 1 ? (floor ?? 0) : undefined);
				let progress = outcome.applied > 0;
				if (outcome.clockAhead !== null) {
					// The centre refused stamps from a clock running ahead of its own: correct the clock,
					// and stamp again what it cannot have taken.
					await this.#learnClock(outcome.clockAhead, { force: true });
					progress = (await this.restampUndelivered(new Set(outcome.refusedAhead))) > 0 || progress;
					outcome.clockAhead = null;
					outcome.refusedAhead = [];
				}
				if (outcome.deferred === 0) break;
				if (!progress || pass >= MAX_PASSES) {
					await this.#pushAll(device, outcome, true);
					break;
				}
			}
			await this.#pullAll(device, await this.#pendingAfterPush(outcome));
			await this.pruneLocal();
			this.#failures = 0;
			const at = this.#opts.now();
			await this.db.setMeta(META.lastSuccessAt, at);
			this.#set({ state: 'idle', lastSuccessAt: at, lastError: null, progress: null, nextRetryAt: null });
		} catch (e) {
			await this.#fail(e, startedAt);
		} finally {
			await this.#refreshCountsAfterCycle(outcome).catch(() => {});
		}
	}

	/**
	 * What still waits after a finished push, told to the centre with the pull: nothing, unless a
	 * write came in during the cycle (the last pass settles or rejects everything it pushed). Counted
	 * only then, for the same reason as in #refreshCountsAfterCycle.
	 */
	async #pendingAfterPush(outcome: PushOutcome): Promise<number> {
		if (outcome.drained && this.#writes === outcome.writesAtStart) return 0;
		return this.db.outbox.where('state').equals('pending').count();
	}

	/** A cycle that began at `startedAt` failed: wipe if the centre says so, else retry later. */
	async #fail(e: unknown, startedAt: number): Promise<void> {
		const err = e instanceof SyncError ? e : new SyncError('network', e instanceof Error ? e.message : String(e));
		const at = this.#opts.now();
		if (err.code === 'device_revoked') {
			// The centre has revoked this tablet: nothing on it may stay.
			await wipeLocalData(this.db);
			this.#set({ state: 'revoked', lastError: { code: err.code, message: err.message, at }, progress: null, pending: 0, rejected: 0 });
			return;
		}
		if (err.code === 'device_retired') {
			// Retired: everything was pushed first in this cycle; wipe only once nothing is left.
			const left = await this.db.outbox.where('state').equals('pending').count();
			if (left === 0) {
				await wipeLocalData(this.db);
				this.#set({ state: 'retired', progress: null, pending: 0 });
				return;
			}
		}
		this.#failures += 1;
		// Counted from the start of the failed attempt: one that hung until its timeout does not add
		// its own length to the wait. Never sooner than a second after the failure.
		const delay = Math.max(Math.min(1_000, this.#opts.backoffBaseMs), startedAt + this.backoffDelay(this.#failures) - at);
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = null;
			void this.syncNow();
		}, delay);
		this.#set({
			state: err.code === 'network' ? 'offline' : 'error',
			lastError: { code: err.code, message: err.message, at },
			progress: null,
			nextRetryAt: at + delay
		});
	}

	/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
	backoffDelay(failures: number): number {
		const cap = Math.min(this.#opts.backoffMaxMs, this.#opts.backoffBaseMs * 2 ** Math.min(failures - 1, 20));
		return Math.round(cap / 2 + (cap / 2) * this.#opts.random());
	}

	/** One call to the centre: its JSON answer and the centre's clock reading (Date header), if any. */
	async #request(
		device: DeviceCredentials,
		path: string,
		init: RequestInit = {},
		timeoutMs = this.#opts.timeoutMs
	): Promise<{ body: unknown; serverTime: number | null }> {
		const controller = new AbortController();
		const timer = setTimeout(() => controller.abort(), timeoutMs);
		let res: Response;
		try {
			res = await this.#opts.fetch(this.#opts.baseUrl + path, {
				...init,
				signal: controller.signal,
				headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${device.token}`, accept: 'application/json' }
			});
		} catch (e) {
			throw new SyncError('network', `the centre could not be reached (${e instanceof Error ? e.message : String(e)})`);
		} finally {
			clearTimeout(timer);
		}
		let body: unknown;
		try {
			body = await res.json();
		} catch {
			throw new SyncError(res.ok ? 'bad_response' : 'network', `the centre answered ${res.status} without JSON`, res.status);
		}
		if (!res.ok) {
			if (isApiErrorBody(body)) throw new SyncError(body.error.code, body.error.message, res.status);
			throw new SyncError('bad_response', `the centre answered ${res.status}`, res.status);
		}
		// The Date header counts whole seconds, cut down: the centre's clock read half a second more, on average.
		const date = Date.parse(res.headers.get('date') ?? '');
		const serverTime = Number.isFinite(date) ? date + 500 : null;
		if (serverTime !== null) await this.#learnClock(serverTime, { force: false });
		return { body, serverTime };
	}

	/**
	 * Set the offset between this tablet's clock and the centre's, when they differ by more than the
	 * Date header's resolution can hide (or always, when the centre refused a stamp as ahead). A
	 * clock that ran ahead is brought back: the hybrid clock's state is reset to the corrected time,
	 * and stamps stay ordered per record because every edit is stamped after the version it replaces.
	 */
	async #learnClock(serverTime: number, opts: { force: boolean }): Promise<void> {
		const skew = serverTime - this.#opts.now();
		const offset = await this.#clockOffset();
		if (!opts.force && Math.abs(skew - offset) <= CLOCK_TOLERANCE_MS) return;
		this.#offset = skew;
		await this.db.transaction('rw', this.db.meta, async () => {
			await this.db.setMeta(META.clockOffset, skew);
			const corrected = this.#opts.now() + skew;
			const state = await this.db.getMeta<{ wall: number; counter: number }>(META.clock);
			if (state && state.wall > corrected) await this.db.setMeta(META.clock, { wall: corrected, counter: 0 });
		});
	}

	/** The clock offset learnt from the centre (read once, then kept: this engine is what sets it). */
	async #clockOffset(): Promise<number> {
		this.#offset ??= (await this.db.getMeta<number>(META.clockOffset)) ?? 0;
		return this.#offset;
	}

	/**
	 * Stamp again, on the corrected clock, the pending changes the centre can never have taken: those
	 * it refused as ahead of its clock (it keeps refusing those stamps), and those further ahead of
	 * the corrected clock than it accepts. Never one it may have taken: a lower stamp would then lose
	 * to it. The outbox entry and, where it is still the newest local version, the local row, in one
	 * transaction; the outbox keeps its order.
	 */
	async restampUndelivered(refused: ReadonlySet<number> = new Set()): Promise<number> {
		const device = await this.db.getMeta<DeviceCredentials>(META.device);
		if (!device) return 0;
		const tables = [...new Set((await this.db.outbox.toArray()).map((e) => e.table))];
		return this.db.transaction('rw', [this.db.outbox, this.db.meta, ...tables.map((t) => this.db.syncTable(t))], async () => {
			const clock = await tabletClock(this.db, device, this.#opts.now);
			const corrected = this.#opts.now() + (await this.#clockOffset());
			const ahead = (await this.db.outbox.where('[state+seq]').between(['pending', 0], ['pending', Infinity]).toArray()).filter(
				(e) => refused.has(e.seq!) || parseHlc(e.hlc).wall > corrected + MAX_AHEAD_MS + RESTAMP_MARGIN_MS
			);
			for (const e of ahead) {
				// After every version it replaces that the centre could have taken.
				const taken = (e.after ?? []).filter((s) => parseHlc(s).wall <= corrected + MAX_AHEAD_MS);
				const hlc = clock.tickAfter(taken.reduce<string | null>((a, b) => maxHlc(a, b), null));
				await this.db.outbox.update(e.seq!, { hlc });
				const t = this.db.syncTable(e.table);
				const row = await t.get(e.id);
				if (row && row.hlc === e.hlc) await t.put({ ...row, hlc });
			}
			await this.db.setMeta(META.clock, clock.state);
			return ahead.length;
		});
	}

	/**
	 * Ask the centre for one family by its card (a card from elsewhere, checked in as unknown). The
	 * family and its children are stored like pulled rows. Null when the centre cannot be reached in
	 * time or does not know the card: the visit is then resolved after a later sync, as offline.
	 */
	async lookupCard(cardCode: string): Promise<Row<'households'> | null> {
		const device = await this.db.getMeta<DeviceCredentials>(META.device);
		if (!device) return null;
		let body: unknown;
		try {
			({ body } = await this.#request(device, `/api/v1/households/lookup?card=${encodeURIComponent(cardCode)}`, {}, this.#opts.lookupTimeoutMs));
		} catch (e) {
			// Revoked: the sync that follows hears it too, and wipes the tablet.
			if (e instanceof SyncError && e.code === 'device_revoked') void this.syncNow();
			return null;
		}
		const parsed = lookupResponse.safeParse(body);
		if (!parsed.success) return null;
		const changes = [parsed.data.household, ...parsed.data.children] as Change[];
		await this.db.transaction('rw', [this.db.households, this.db.children, this.db.meta], async () => {
			// Wiped while the answer was on its way (revoked, in another tab): nothing comes back in.
			const clock = await this.#clock();
			if (clock) await mergeChanges(this.db, changes, clock);
		});
		const h = await this.db.households.get(parsed.data.household.id);
		return h && !h.deleted ? h : null;
	}

	async #clock() {
		const device = await this.db.getMeta<DeviceCredentials>(META.device);
		return device ? tabletClock(this.db, device, this.#opts.now) : null;
	}

	/**
	 * Keep only what the site needs: visits of sessions more than KEEP_VISIT_DAYS in the past, and
	 * consultations of earlier days, leave the tablet once nothing about them waits in the outbox
	 * (the centre has them). Once a day: the
	 * sync after a large backlog must not pay for it.
	 */
	async pruneLocal(opts: { force?: boolean } = {}): Promise<number> {
		const today = tokyoDate(this.#opts.now() + (await this.#clockOffset()));
		if (!opts.force && (await this.db.getMeta<string>(META.prunedOn)) === today) return 0;
		const cutoff = addDays(today, -KEEP_VISIT_DAYS);
		return this.db.transaction('rw', [this.db.sessions, this.db.visits, this.db.consultations, this.db.outbox, this.db.meta], async () => {
			// Consultations of earlier days, once the centre has them: today's list is all a tablet keeps.
			const earlier = (await this.db.consultations.toArray()).filter((c) => tokyoDate(c.consultedAt) < today).map((c) => c.id);
			const undelivered = new Set(
				earlier.length === 0
					? []
					: (
							await this.db.outbox
								.where('[table+id]')
								.anyOf(earlier.map((id) => ['consultations', id]))
								.toArray()
						).map((e) => e.id)
			);
			await this.db.consultations.bulkDelete(earlier.filter((id) => !undelivered.has(id)));
			const old = await this.db.sessions.where('date').below(cutoff).primaryKeys();
			const candidates = old.length === 0 ? [] : await this.db.visits.where('sessionId').anyOf(old).primaryKeys();
			const waiting =
				candidates.length === 0
					? new Set<string>()
					: new Set(
							(
								await this.db.outbox
									.where('[table+id]')
									.anyOf(candidates.map((id) => ['visits', id]))
									.toArray()
							).map((e) => e.id)
						);
			const gone = candidates.filter((id) => !waiting.has(id));
			await this.db.visits.bulkDelete(gone);
			await this.db.setMeta(META.prunedOn, today);
			return gone.length;
		});
	}

	/** `floorRead`: the outbox's floor as the caller just read it; read here when not given. */
	async #pushAll(device: DeviceCredentials, outcome: PushOutcome, final: boolean, floorRead?: number): Promise<void> {
		outcome.deferred = 0;
		outcome.applied = 0;
		// Read from the floor: below it, nothing waits (#ackBatch).
		const floor = floorRead ?? (await this.db.getMeta<number>(META.outboxFloor)) ?? 0;
		let batch = await this.#nextBatch(floor - 1);
		// An urgent consultation goes before any backlog, so the centre has it first. Looked for only
		// when something waits at all: just after a backlog was drained, every read of the outbox's
		// indexes walks past the deleted entries, and an up-to-date sync should pay for one such read.
		const urgent = batch.length > 0 ? await this.#urgentBatch() : [];
		if (urgent.length > 0) {
			// The screen's count stands for what waits: the urgent ones jump the queue before it is read again.
			await this.#settle(urgent, await this.#postBatch(device, urgent, Math.max(this.#status.pending, urgent.length)), outcome, final, false);
			batch = await this.#nextBatch(floor - 1);
		}
		// Only a backlog of more than one batch is counted, for the progress bar.
		const total = batch.length >= this.#opts.batchSize ? await this.db.outbox.where('state').equals('pending').count() : batch.length;
		let done = 0;
		const showProgress = total > this.#opts.batchSize;
		if (showProgress) this.#set({ progress: { done, total } });
		// A pipeline: while batch k is on the wire, batch k+1 is read from the outbox and batch k-1's
		// acknowledgement is written. A change written meanwhile gets a higher seq, so it is in a
		// later batch; an entry replaced meanwhile is pushed anyway and comes back stale (harmless);
		// and if an acknowledgement fails after later pushes went out, those entries are simply
		// pushed again, which the centre answers as duplicates.
		let acking: Promise<void> = Promise.resolve();
		// The batches, read one after another from the floor, hold every pending entry up to the last
		// one's seq: while each was settled with nothing left pending, the floor may move past it.
		let contiguous = true;
		try {
			while (batch.length > 0) {
				const next = this.#nextBatch(batch[batch.length - 1]!.seq!);
				let answer: { results: PushResult[]; serverTime: number | null };
				try {
					// What waits, this batch included (until the centre acknowledges it, it is still here).
					answer = await this.#postBatch(device, batch, Math.max(total - done, batch.length));
				} finally {
					await next.catch(() => []);
				}
				await acking;
				acking = this.#settle(batch, answer, outcome, final, contiguous).then((deferred) => {
					if (deferred > 0) contiguous = false;
				});
				done += batch.length;
				if (showProgress) this.#set({ progress: { done: Math.min(done, total), total } });
				batch = await next;
			}
		} finally {
			await acking;
		}
		outcome.drained = true;
	}

	/** Record the centre's answer to a batch: the outbox settled, the outcome counted. Resolves with how many of its changes wait for another pass. */
	#settle(
		batch: OutboxEntry[],
		answer: { results: PushResult[]; serverTime: number | null },
		outcome: PushOutcome,
		final: boolean,
		fromFloor: boolean
	): Promise<number> {
		if (answer.results.some((r) => r.status === 'rejected' && r.error?.code === 'clock_ahead')) {
			outcome.clockAhead = answer.serverTime ?? this.#opts.now();
		}
		return this.#ackBatch(batch, answer.results, final, fromFloor).then(({ rejected, deferred }) => {
			if (rejected > 0) outcome.rejectedSome = true;
			outcome.deferred += deferred;
			outcome.applied += answer.results.filter((r) => r.status === 'applied').length;
			answer.results.forEach((r, k) => r.error?.code === 'clock_ahead' && outcome.refusedAhead.push(batch[k]!.seq!));
			return deferred;
		});
	}

	/** Pending urgent consultations, oldest first (a handful at most). */
	async #urgentBatch(): Promise<OutboxEntry[]> {
		const entries = await this.db.outbox
			.where('[table+id]')
			.between(['consultations', Dexie.minKey], ['consultations', Dexie.maxKey])
			.filter((e) => e.state === 'pending' && (e.data as { urgency?: string }).urgency === 'urgent')
			.toArray();
		return entries.sort((a, b) => a.seq! - b.seq!).slice(0, this.#opts.batchSize);
	}

	/** Send one batch; the centre's verdicts, one per change, in order, and its clock reading. */
	async #postBatch(device: DeviceCredentials, batch: OutboxEntry[], pending: number): Promise<{ results: PushResult[]; serverTime: number | null }> {
		const { body, serverTime } = await this.#request(device, '/api/v1/sync/push', {
			method: 'POST',
			headers: { 'content-type': 'application/json', [PENDING_HEADER]: String(pending) },
			// The same document as JSON.stringify({ protocol, changes }), from the changes as measured.
			body: `{"protocol":${JSON.stringify(PROTOCOL_VERSION)},"changes":[${batch.map((e) => this.#encoded.get(e) ?? encodeChange(e)).join(',')}]}`
		});
		const parsed = pushResponse.safeParse(body);
		if (!parsed.success || parsed.data.results.length !== batch.length) throw new SyncError('bad_response', 'the centre’s push answer does not match the push');
		const results = parsed.data.results;
		results.forEach((r, i) => {
			if (r.id !== batch[i]!.id) throw new SyncError('bad_response', 'push results out of order');
		});
		return { results, serverTime };
	}

	/**
	 * Settle a pushed batch in the outbox: acknowledged entries go, rejected ones stay marked, and
	 * before the final pass those refused for a reason in RETRY_IN_CYCLE stay pending for another.
	 * `fromFloor`: every pending entry up to the batch's last seq is in this batch or was settled
	 * before it; then, with none of it left pending, nothing waits below the next seq, which becomes
	 * the floor (META.outboxFloor). It never moves past a pending entry: a new entry's seq is above
	 * every seq ever given (IndexedDB's key generator never goes back), and a rejected entry never
	 * becomes pending again.
	 */
	async #ackBatch(batch: OutboxEntry[], results: PushResult[], final: boolean, fromFloor: boolean): Promise<{ rejected: number; deferred: number }> {
		const first = batch[0]!.seq!;
		const last = batch[batch.length - 1]!.seq!;
		const retry = (r: PushResult) => !final && r.status === 'rejected' && RETRY_IN_CYCLE.has(r.error?.code ?? '');
		const consultations = batch.some((e) => e.table === 'consultations');
		return this.db.transaction('rw', [this.db.outbox, this.db.meta, ...(consultations ? [this.db.consultations] : [])], async () => {
			const rejected = results.flatMap((r, i) => (r.status === 'rejected' && !retry(r) ? [{ entry: batch[i]!, error: r.error }] : []));
			for (const { entry, error } of rejected) {
				await this.db.outbox.update(entry.seq!, { state: 'rejected', error: error ?? { code: 'rejected', message: 'rejected' } });
			}
			const acked = batch.filter((_, i) => results[i]!.status !== 'rejected').map((e) => e.seq!);
			// Usually the batch is every entry in its seq range: then one range delete does it, far
			// faster in IndexedDB than deleting 500 keys one by one.
			const inRange = await this.db.outbox.where(':id').between(first, last, true, true).count();
			if (acked.length === batch.length && inRange === batch.length) await this.db.outbox.where(':id').between(first, last, true, true).delete();
			else await this.db.outbox.bulkDelete(acked);
			if (consultations) await this.#dropDeliveredText(batch.filter((e, i) => e.table === 'consultations' && results[i]!.status !== 'rejected'));
			await this.db.setMeta(META.hasPushed, true);
			const deferred = results.filter(retry).length;
			if (fromFloor && deferred === 0 && last + 1 > ((await this.db.getMeta<number>(META.outboxFloor)) ?? 0)) await this.db.setMeta(META.outboxFloor, last + 1);
			return { rejected: rejected.length, deferred };
		});
	}

	/**
	 * The centre has these consultation versions: where the local row is still that version, its
	 * sealed text leaves the tablet (DESIGN.md: after the acknowledgement the tablet keeps only what
	 * today's list needs). A newer version still waiting keeps its own. In #ackBatch's transaction.
	 */
	async #dropDeliveredText(delivered: OutboxEntry[]): Promise<void> {
		if (delivered.length === 0) return;
		const rows = await this.db.consultations.bulkGet(delivered.map((e) => e.id));
		const done = rows.filter((row, i): row is Row<'consultations'> => !!row && row.hlc === delivered[i]!.hlc && row.sealed !== null);
		if (done.length > 0) await this.db.consultations.bulkPut(done.map((row) => ({ ...row, sealed: null })));
	}

	/** The next pending changes after `afterSeq`, in order, within the size budget of one push. */
	async #nextBatch(afterSeq: number): Promise<OutboxEntry[]> {
		const candidates = await this.db.outbox
			.where('[state+seq]')
			.between(['pending', afterSeq], ['pending', Infinity], false, true)
			.limit(this.#opts.batchSize)
			.toArray();
		const batch: OutboxEntry[] = [];
		let bytes = 0;
		for (const e of candidates) {
			const change = encodeChange(e);
			const size = change.length * 3 + 1; // worst case UTF-8 (3 bytes a UTF-16 unit), and the comma
			if (batch.length > 0 && bytes + size > BYTE_BUDGET) break;
			bytes += size;
			batch.push(e);
			this.#encoded.set(e, change);
		}
		return batch;
	}

	/**
	 * Pull every page; each request tells the centre how many changes wait here (`pending`). While a
	 * page is being stored, the next one is already on its way (its cursor is the stored page's), so
	 * a long first pull waits for the link or for IndexedDB, not for both in turn. The cursor still
	 * advances only with the rows it covers (applyPulled): if the connection drops, the pages stored
	 * stay stored and the next sync asks from the last of them; at most the page in flight is lost.
	 */
	async #pullAll(device: DeviceCredentials, pending: number): Promise<void> {
		const [epoch, cursor] = await this.db.getMetas<[number, string]>([META.pullEpoch, META.cursor]);
		if (epoch !== PULL_EPOCH) await this.#startEpoch(device);
		let since = (epoch === PULL_EPOCH ? cursor : await this.db.getMeta<string>(META.cursor)) ?? '0';
		let next: Promise<PullResponse> | null = this.#pullPage(device, since, pending);
		while (next) {
			const page: PullResponse = await next;
			next = page.more ? this.#pullPage(device, page.cursor, pending) : null;
			const stored = await this.applyPulled(page, since);
			// Wiped meanwhile (revoked, in another tab): there is nothing left to pull into.
			if (!stored && !(await this.db.getMeta<DeviceCredentials>(META.device))) return;
			if (!stored && next) {
				// Another cycle (another tab) moved the cursor meanwhile: go on from where it left it.
				since = (await this.db.getMeta<string>(META.cursor)) ?? '0';
				next = this.#pullPage(device, since, pending);
				continue;
			}
			since = page.cursor;
		}
	}

	/**
	 * One page of the pull from `since`, checked. The promise is marked handled at once: a page
	 * fetched ahead may fail while the one before it is being stored, or be dropped unread when that
	 * store fails; whoever awaits it still gets its failure.
	 */
	#pullPage(device: DeviceCredentials, since: string, pending: number): Promise<PullResponse> {
		const page = (async () => {
			const { body } = await this.#request(device, `/api/v1/sync/pull?since=${encodeURIComponent(since)}&limit=${this.#opts.pullLimit}`, {
				headers: { [PENDING_HEADER]: String(pending) }
			});
			const parsed = pullResponse.safeParse(body);
			if (!parsed.success) throw new SyncError('bad_response', 'the centre’s pull answer is malformed');
			return parsed.data as PullResponse;
		})();
		page.catch(() => {});
		return page;
	}

	/**
	 * Start pulling under the current rules: drop the families and staff pulled under older ones and
	 * pull from the beginning, in one transaction. What this tablet wrote itself stays (a pull does
	 * not send a device its own writes back), and so does anything still in the outbox.
	 */
	async #startEpoch(device: DeviceCredentials): Promise<void> {
		const mine = `:${deviceNode(device.deviceId)}`;
		await this.db.transaction('rw', [this.db.households, this.db.children, this.db.staff, this.db.outbox, this.db.meta], async () => {
			const waiting = new Set((await this.db.outbox.toArray()).map((e) => `${e.table}:${e.id}`));
			for (const table of ['households', 'children', 'staff'] as const) {
				const t = this.db.syncTable(table);
				const rows = (await t.toArray()) as Array<{ id: string; hlc: string }>;
				await t.bulkDelete(rows.filter((r) => !r.hlc.endsWith(mine) && !waiting.has(`${table}:${r.id}`)).map((r) => r.id));
			}
			await this.db.setMeta(META.cursor, '0');
			await this.db.setMeta(META.pullEpoch, PULL_EPOCH);
		});
	}

	/**
	 * Store one pulled page and advance the cursor in the same transaction: if the transaction
	 * aborts, neither happens, and the next pull asks for the same page again. False when the page
	 * was not stored because the cursor is no longer `since`.
	 */
	async applyPulled(page: PullResponse, since: string): Promise<boolean> {
		const evicting = page.evict.length > 0;
		const tables = [...new Set([...page.changes.map((c) => c.table), ...(evicting ? (['households', 'children', 'staff'] as const) : [])])];
		return this.db.transaction('rw', [...tables.map((t) => this.db.syncTable(t)), this.db.meta, this.db.outbox], async () => {
			// Another cycle (another tab) may have moved the cursor meanwhile: then this page is old.
			const current = (await this.db.getMeta<string>(META.cursor)) ?? '0';
			if (current !== since) return false;
			const clock = await this.#clock();
			// Wiped while the page was on its way (revoked, in another tab): nothing comes back in.
			if (!clock) return false;
			await mergeChanges(this.db, page.changes, clock);
			await applyEvictions(this.db, page.evict);
			if (page.sealKey && (await this.db.getMeta<{ kid: string }>(META.sealKey))?.kid !== page.sealKey.kid) {
				await this.db.setMeta(META.sealKey, page.sealKey);
			}
			await this.db.setMeta(META.clock, clock.state);
			await this.db.setMeta(META.cursor, page.cursor);
			// Evicted: the centre has our pushes, yet this store never saw one acknowledged and holds
			// nothing unsent (a push whose answer was lost still sits in the outbox).
			const pending = await this.db.outbox.count();
			this.#set({ evicted: page.devicePushed > 0 && pending === 0 && !(await this.db.getMeta<boolean>(META.hasPushed)) });
			return true;
		});
	}
}
