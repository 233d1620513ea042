/**
 * The tablet's sync engine: pushes the outbox in batches, then pulls pages of reference data, and
 * tells the screen how it is going. It runs after local writes (debounced), when the browser comes
 * online, on an interval, and on demand; after a failure it retries on a timer with exponential
 * backoff and jitter, so a backlog drains even if nobody writes again.
 *
 * Offline is the normal case: a failed request changes nothing locally; the outbox keeps every
 * change until the centre has acknowledged it, and retries are safe because pushes are idempotent.
 */
import { HlcClock, type HlcState } from '$lib/domain/hlc';
import { isApiErrorBody, type ErrorCode } from '$lib/sync/errors';
import {
	MAX_PUSH_BYTES,
	MAX_PUSH_CHANGES,
	PROTOCOL_VERSION,
	pullResponse,
	pushResponse,
	wins,
	type PullResponse,
	type PushResult,
	type SyncTable
} from '$lib/sync/protocol';
import { META, hlcNode, type DeviceCredentials, type HirobaDB, type OutboxEntry, type Row } from '../db/db';
import { wipeLocalData } from '../db/wipe';

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
	backoffMaxMs?: number;
	/** A request that takes longer than this is abandoned (and retried later). */
	timeoutMs?: number;
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

export class SyncEngine {
	readonly db: HirobaDB;
	readonly #opts: Required<Omit<SyncEngineOptions, 'fetch'>> & { fetch: typeof fetch };
	#status: SyncStatus = { state: 'idle', pending: 0, rejected: 0, lastSuccessAt: null, lastError: null, progress: null, evicted: false, nextRetryAt: null };
	#listeners = new Set<(s: SyncStatus) => void>();
	#running: Promise<void> | null = null;
	#again = false;
	/** Local writes announced through notifyWrite(), to know whether counts may have moved. */
	#writes = 0;
	#failures = 0;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#debounceTimer: ReturnType<typeof setTimeout> | null = null;
	#interval: ReturnType<typeof setInterval> | null = null;
	#onOnline = () => void this.syncNow();

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
			backoffMaxMs: 5 * 60_000,
			timeoutMs: 30_000,
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

	/** Start the background loop: now, on an interval, and whenever the browser comes online. */
	start(): void {
		if (this.#interval) return;
		this.#interval = setInterval(() => void this.syncNow(), this.#opts.intervalMs);
		globalThis.addEventListener?.('online', this.#onOnline);
		void this.refreshCounts();
		void this.syncNow();
	}

	stop(): void {
		if (this.#interval) clearInterval(this.#interval);
		this.#interval = null;
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		if (this.#debounceTimer) clearTimeout(this.#debounceTimer);
		this.#retryTimer = this.#debounceTimer = null;
		globalThis.removeEventListener?.('online', this.#onOnline);
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
	async #refreshCountsAfterCycle(outcome: { drained: boolean; rejectedSome: boolean; writesAtStart: number }): Promise<void> {
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
		const device = await this.db.getMeta<DeviceCredentials>(META.device);
		if (!device) {
			this.#set({ state: 'not_enrolled' });
			return;
		}
		this.#set({ state: 'syncing' });
		const outcome = { drained: false, rejectedSome: false, writesAtStart: this.#writes };
		try {
			await this.#pushAll(device, outcome);
			await this.#pullAll(device);
			this.#failures = 0;
			const at = this.#opts.now();
			await this.db.setMeta(META.lastSuccessAt, at);
			this.#set({ state: 'idle', lastSuccessAt: at, lastError: null, progress: null, nextRetryAt: null });
		} catch (e) {
			await this.#fail(e, device);
		} finally {
			await this.#refreshCountsAfterCycle(outcome).catch(() => {});
		}
	}

	async #fail(e: unknown, device: DeviceCredentials): Promise<void> {
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
		const delay = this.backoffDelay(this.#failures);
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
		void device;
	}

	/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
	backoffDelay(failures: number): number {
		const cap = Math.min(this.#opts.backoffMaxMs, this.#opts.backoffBaseMs * 2 ** Math.min(failures - 1, 20));
		return Math.round(cap / 2 + (cap / 2) * this.#opts.random());
	}

	async #request(device: DeviceCredentials, path: string, init: RequestInit = {}): Promise<unknown> {
		const controller = new AbortController();
		const timer = setTimeout(() => controller.abort(), this.#opts.timeoutMs);
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
		return body;
	}

	async #pushAll(device: DeviceCredentials, outcome: { drained: boolean; rejectedSome: boolean }): Promise<void> {
		let batch = await this.#nextBatch(0);
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
		try {
			while (batch.length > 0) {
				const next = this.#nextBatch(batch[batch.length - 1]!.seq!);
				let results: PushResult[];
				try {
					results = await this.#postBatch(device, batch);
				} finally {
					await next.catch(() => []);
				}
				await acking;
				const acked = batch;
				acking = this.#ackBatch(acked, results).then((rejected) => {
					if (rejected > 0) outcome.rejectedSome = true;
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

	/** Send one batch; the centre's verdicts, one per change, in order. */
	async #postBatch(device: DeviceCredentials, batch: OutboxEntry[]): Promise<PushResult[]> {
		const body = await this.#request(device, '/api/v1/sync/push', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				protocol: PROTOCOL_VERSION,
				changes: batch.map((e) => ({ table: e.table, id: e.id, hlc: e.hlc, deleted: e.deleted, data: e.data }))
			})
		});
		const parsed = pushResponse.safeParse(body);
		if (!parsed.success || parsed.data.results.length !== batch.length) throw new SyncError('bad_response', 'the centre’s push answer does not match the push');
		const results = parsed.data.results;
		results.forEach((r, i) => {
			if (r.id !== batch[i]!.id) throw new SyncError('bad_response', 'push results out of order');
		});
		return results;
	}

	/** Settle a pushed batch in the outbox: acknowledged entries go, rejected ones stay marked. Returns how many were rejected. */
	async #ackBatch(batch: OutboxEntry[], results: PushResult[]): Promise<number> {
		const first = batch[0]!.seq!;
		const last = batch[batch.length - 1]!.seq!;
		return this.db.transaction('rw', [this.db.outbox, this.db.meta], async () => {
			const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [{ entry: batch[i]!, error: r.error }] : []));
			for (const { entry, error } of rejected) {
				await this.db.outbox.update(entry.seq!, { state: 'rejected', error: error ?? { code: 'rejected', message: 'rejected' } });
			}
			const acked = batch.filter((_, i) => results[i]!.status !== 'rejected').map((e) => e.seq!);
			// Usually the batch is every entry in its seq range: then one range delete does it, far
			// faster in IndexedDB than deleting 500 keys one by one.
			const inRange = await this.db.outbox.where(':id').between(first, last, true, true).count();
			if (rejected.length === 0 && inRange === batch.length) await this.db.outbox.where(':id').between(first, last, true, true).delete();
			else await this.db.outbox.bulkDelete(acked);
			await this.db.setMeta(META.hasPushed, true);
			return rejected.length;
		});
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
			const size = JSON.stringify(e.data).length * 3 + 200; // worst case UTF-8 plus envelope
			if (batch.length > 0 && bytes + size > BYTE_BUDGET) break;
			bytes += size;
			batch.push(e);
		}
		return batch;
	}

	async #pullAll(device: DeviceCredentials): Promise<void> {
		for (;;) {
			const since = (await this.db.getMeta<string>(META.cursor)) ?? '0';
			const body = await this.#request(device, `/api/v1/sync/pull?since=${encodeURIComponent(since)}&limit=${this.#opts.pullLimit}`);
			const parsed = pullResponse.safeParse(body);
			if (!parsed.success) throw new SyncError('bad_response', 'the centre’s pull answer is malformed');
			await this.applyPulled(parsed.data as PullResponse, since);
			if (!parsed.data.more) break;
		}
	}

	/**
	 * Store one pulled page and advance the cursor in the same transaction: if the transaction
	 * aborts, neither happens, and the next pull asks for the same page again.
	 */
	async applyPulled(page: PullResponse, since: string): Promise<void> {
		const tables = [...new Set(page.changes.map((c) => c.table))] as SyncTable[];
		await this.db.transaction('rw', [...tables.map((t) => this.db.syncTable(t)), this.db.meta, this.db.outbox], async () => {
			// Another cycle (another tab) may have moved the cursor meanwhile: then this page is old.
			const current = (await this.db.getMeta<string>(META.cursor)) ?? '0';
			if (current !== since) return;
			const device = await this.db.getMeta<DeviceCredentials>(META.device);
			const clock = device ? new HlcClock(hlcNode(device.deviceId), (await this.db.getMeta<HlcState>(META.clock)) ?? undefined, this.#opts.now) : null;
			for (const table of tables) {
				const changes = page.changes.filter((c) => c.table === table);
				const t = this.db.syncTable(table);
				const existing = await t.bulkGet(changes.map((c) => c.id));
				const winners = new Map<string, Row<SyncTable>>();
				changes.forEach((c, i) => {
					const local = winners.get(c.id) ?? existing[i];
					if (wins(c.hlc, local?.hlc)) winners.set(c.id, { ...(c.data as object), id: c.id, hlc: c.hlc, deleted: c.deleted } as Row<SyncTable>);
				});
				await t.bulkPut([...winners.values()]);
				for (const c of changes) clock?.receive(c.hlc);
			}
			if (clock) await this.db.setMeta(META.clock, clock.state);
			await this.db.setMeta(META.cursor, page.cursor);
			// Evicted: the centre has our pushes, yet this store never saw one acknowledged and holds
			// nothing unsent (a push whose answer was lost still sits in the outbox).
			const pending = await this.db.outbox.count();
			this.#set({ evicted: page.devicePushed > 0 && pending === 0 && !(await this.db.getMeta<boolean>(META.hasPushed)) });
		});
	}
}
