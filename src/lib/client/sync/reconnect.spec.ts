/**
 * The centre out of reach for an hour with no `online` event when it comes back (a captive portal,
 * a VPN, a sleeping tablet): the engine must try again by itself, often enough that the records
 * waiting on the tablet reach the centre within a minute of it answering again, and seldom enough
 * not to hammer it while it is away. Simulated time (vitest's fake timers and clock, jumping from
 * one timer to the next; IndexedDB, fake-indexeddb on real setImmediate, settles between jumps),
 * and a fake centre that records what reaches it and when.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { uuidv7 } from '$lib/domain/ids';
import * as f from '../../../../tests/factories';
import { HirobaDB, META, type DeviceCredentials } from '../db/db';
import { saveRecord } from '../db/writes';
import { MAX_RETRY_GAP_MS, SyncEngine, type SyncStatus } from './engine';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

type Outage = 'refused' | 'portal' | 'hang';

/**
 * The centre and the network between: while `reachable` is false, every request fails the way
 * `outage` says (refused at once; answered by a captive portal's login page; or never answered,
 * until the engine gives up on it). Every request is counted, with the simulated time it was made.
 */
class FakeCentre {
	reachable = false;
	outage: Outage = 'refused';
	/** When each request was made, and whether it got through. */
	requests: Array<{ at: number; path: string; through: boolean }> = [];
	/** Record id → when the centre first had it, and how many pushes carried it. */
	received = new Map<string, { at: number; times: number }>();

	fetch: typeof fetch = async (input, init) => {
		const url = new URL(String(input));
		this.requests.push({ at: Date.now(), path: url.pathname, through: this.reachable });
		if (!this.reachable) return this.fail(init);
		if (url.pathname === '/api/v1/sync/push') {
			const body = JSON.parse(String(init?.body)) as { changes: Array<{ id: string }> };
			const results = body.changes.map((c) => {
				const seen = this.received.get(c.id);
				if (seen) seen.times++;
				else this.received.set(c.id, { at: Date.now(), times: 1 });
				return { id: c.id, status: seen ? 'duplicate' : 'applied' };
			});
			return Response.json({ results });
		}
		if (url.pathname === '/api/v1/sync/pull') {
			return Response.json({
				changes: [],
				evict: [],
				cursor: '1',
				more: false,
				devicePushed: this.received.size,
				sealKey: { kid: 'AAAAAAAAAAAAAAAA', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }
			});
		}
		return Response.json({ error: { code: 'not_found', message: 'no such endpoint' } }, { status: 404 });
	};

	private fail(init: RequestInit | undefined): Promise<Response> {
		switch (this.outage) {
			case 'refused':
				return Promise.reject(new TypeError('Failed to fetch'));
			case 'portal':
				// A captive portal answers every request itself, with its login page.
				return Promise.resolve(new Response('<!doctype html><title>Wi-Fi ログイン</title>', { status: 200, headers: { 'content-type': 'text/html' } }));
			case 'hang':
				return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError'))));
		}
	}

	/** Requests made while the centre could not be reached. */
	get failedAttempts(): number[] {
		return this.requests.filter((r) => !r.through).map((r) => r.at);
	}
}

let db: HirobaDB;
let engine: SyncEngine | null = null;
let centre: FakeCentre;
let visits: string[];
/** Every status the screen was shown, with the simulated time it was shown at. */
let shown: Array<{ at: number; status: SyncStatus }>;

/** Let IndexedDB and the engine finish what the last timer started (fake-indexeddb runs on real setImmediate). */
async function settle(): Promise<void> {
	for (let i = 0; i < 300; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Simulated time passes: `ms` of it, from one timer to the next, everything settling after each. */
async function pass(ms: number): Promise<void> {
	let over = false;
	setTimeout(() => (over = true), ms);
	await settle();
	while (!over) {
		vi.advanceTimersToNextTimer();
		await settle();
	}
}

beforeEach(async () => {
	db = new HirobaDB(`reconnect-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
	const device: DeviceCredentials = { deviceId: uuidv7(), token: 't', name: '受付1', sites: [], enrolledAt: new Date().toISOString() };
	await db.setMeta(META.device, device);
	const sessionId = uuidv7();
	visits = [uuidv7(), uuidv7(), uuidv7()];
	for (const id of visits) await saveRecord(db, 'visits', id, f.visit(sessionId));
	centre = new FakeCentre();
	shown = [];
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(() => {
	engine?.stop();
	engine = null;
	vi.useRealTimers();
	vi.unstubAllGlobals();
	db.close();
});

function startEngine(random: number): SyncEngine {
	engine = new SyncEngine(db, { baseUrl: 'https://centre.example', fetch: centre.fetch, random: () => random });
	engine.subscribe((status) => shown.push({ at: Date.now(), status }));
	engine.start();
	return engine;
}

describe.each<Outage>(['refused', 'portal', 'hang'])('the centre out of reach for an hour (%s), then back with no online event', (outage) => {
	// The shortest waits the jitter allows (the most attempts), and the longest (the latest retry).
	it.each([
		['shortest', 0],
		['longest', 1 - 1e-9]
	])('retries by itself without a hot loop and delivers within a minute of the centre’s return (%s waits)', async (_name, random) => {
		centre.outage = outage;
		const e = startEngine(random);
		const lostAt = Date.now();
		await pass(HOUR);

		// Not a hot loop: after the backoff reaches its cap, at least half a minute between attempts.
		const attempts = centre.failedAttempts;
		expect(attempts.length).toBeGreaterThanOrEqual(HOUR / MAX_RETRY_GAP_MS);
		expect(attempts.length).toBeLessThanOrEqual(HOUR / (MAX_RETRY_GAP_MS / 2) + 10);
		const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
		expect(Math.min(...gaps.slice(10))).toBeGreaterThanOrEqual(MAX_RETRY_GAP_MS / 2);
		// Never more than a minute without an attempt, from the first to the end of the hour.
		expect(attempts[0]! - lostAt).toBeLessThan(SECOND);
		expect(Math.max(...gaps, lostAt + HOUR - attempts.at(-1)!)).toBeLessThanOrEqual(MAX_RETRY_GAP_MS);
		// What staff read: the next retry is never more than a minute away.
		const retries = shown.filter((s) => s.status.nextRetryAt !== null);
		expect(retries.length).toBeGreaterThan(0);
		for (const s of retries) expect(s.status.nextRetryAt! - s.at).toBeLessThanOrEqual(MAX_RETRY_GAP_MS);
		// (A hung attempt may be under way as the hour ends.)
		expect(e.status.lastError?.code).toBe(outage === 'portal' ? 'bad_response' : 'network');
		expect(e.status.pending).toBe(visits.length);
		expect(centre.received.size).toBe(0);

		// The centre answers again; no event says so.
		centre.reachable = true;
		const backAt = Date.now();
		await pass(MAX_RETRY_GAP_MS);
		expect([...centre.received.keys()].sort()).toEqual([...visits].sort());
		for (const id of visits) expect(centre.received.get(id)!.at - backAt).toBeLessThanOrEqual(MAX_RETRY_GAP_MS);
		expect(e.status).toMatchObject({ state: 'idle', pending: 0, lastError: null, nextRetryAt: null });
		expect(await db.outbox.count()).toBe(0);
	});
});

describe('a tablet woken from sleep', () => {
	it('syncs as soon as its page is shown again, not when a paused timer gets round to it', async () => {
		const page = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState });
		vi.stubGlobal('document', page);
		const e = startEngine(1 - 1e-9);
		await pass(10 * MINUTE);
		expect(e.status.state).toBe('offline');
		const before = centre.requests.length;

		// Asleep for an hour: the screen goes off, the clock moves on, no timer runs.
		page.visibilityState = 'hidden';
		page.dispatchEvent(new Event('visibilitychange'));
		vi.setSystemTime(Date.now() + HOUR);
		centre.reachable = true;
		// Woken: the page is shown again. The retry timer still has most of its wait to run.
		page.visibilityState = 'visible';
		page.dispatchEvent(new Event('visibilitychange'));
		await pass(SECOND);
		expect(centre.requests.length).toBeGreaterThan(before);
		expect([...centre.received.keys()].sort()).toEqual([...visits].sort());
		expect(e.status).toMatchObject({ state: 'idle', pending: 0 });
	});

	it('does not sync when the page is hidden', async () => {
		const page = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState });
		vi.stubGlobal('document', page);
		const e = startEngine(1 - 1e-9);
		await pass(10 * MINUTE);
		const before = centre.requests.length;
		expect(e.status.nextRetryAt! - Date.now()).toBeGreaterThan(SECOND);
		centre.reachable = true;
		page.visibilityState = 'hidden';
		page.dispatchEvent(new Event('visibilitychange'));
		await pass(SECOND);
		expect(centre.requests.length).toBe(before);
	});
});
