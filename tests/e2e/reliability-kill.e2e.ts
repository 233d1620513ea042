/**
 * The centre killed mid-push: a tablet in Chromium (real IndexedDB, the app's own database, write
 * path and sync engine, on a page of its own: tests/e2e/pages/tablet-sync.ts) records a backlog of
 * check-ins and starts its sync; the built server process is killed with SIGKILL twice while the
 * backlog drains (no shutdown code runs), and started again each time on the same data folder or
 * PostgreSQL schema:
 *
 * 1. a few milliseconds after a push left for the centre, once earlier pushes were applied: the
 *    centre dies while it reads or applies the batch;
 * 2. after the centre answered a push (it has committed the batch) and before the answer reaches
 *    the tablet: the tablet must send the batch again, and the centre must not take it twice.
 *
 * The tablet reaches the centre through a plain proxy (tests/e2e/fault-proxy.ts, no faults), which
 * is how the test sees each push leave and each answer come back, and points at the restarted
 * server. Once the tablet's outbox is empty: every visit it wrote is at the centre exactly once, at
 * the version it holds; nothing is rejected; the centre counts exactly that many pushed changes for
 * the device and shows that many visits for the session on its overview.
 *
 * PGlite, and PostgreSQL when TEST_DATABASE_URL is set. HIROBA_SOAK=1 (npm run soak) writes
 * 20,000 visits instead of 4,000; HIROBA_SEED picks where the first kill falls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/lib/domain/prng';
import { makePlace, startServer, type Place, type RunningServer } from '../server-process';
import { launchTablet } from './browser';
import { answerJson, startFaultProxy, type FaultProxy } from './fault-proxy';
import type { TabletSync } from './pages/tablet-sync';
import { centreRowsOf, centreVisitCounts, overviewVisits, pushedCount, sortRows, type StampedRow } from './reliability';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOAK = !!process.env.HIROBA_SOAK;
const RECORDS = SOAK ? 20_000 : 4_000;
const SEED = Number(process.env.HIROBA_SEED ?? 20261201);
/** About 40 s on a quiet 2-core machine; far more when other work shares it. */
const TIMEOUT = SOAK ? 900_000 : 300_000;

async function startPageServer(cacheDir: string): Promise<ViteDevServer> {
	const server = await createServer({
		configFile: false,
		root: join(ROOT, 'tests', 'e2e', 'pages'),
		cacheDir,
		logLevel: 'warn',
		resolve: { alias: { $lib: join(ROOT, 'src', 'lib') } },
		server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, fs: { allow: [ROOT] } },
		// Dexie's ES entry wraps its UMD build: it needs Vite's pre-bundling.
		optimizeDeps: { noDiscovery: true, include: ['dexie'] }
	});
	await server.listen();
	return server;
}

function pageUrl(server: ViteDevServer): string {
	const address = server.httpServer?.address();
	if (!address || typeof address === 'string') throw new Error('the page server has no port');
	return `http://127.0.0.1:${address.port}`;
}

const call = <K extends keyof TabletSync>(page: Page, fn: K, arg?: Parameters<TabletSync[K]>[0]) =>
	page.evaluate(([f, a]) => (window as unknown as { tablet: Record<string, (x: unknown) => unknown> }).tablet[f]!(a), [fn, arg] as const) as Promise<
		Awaited<ReturnType<TabletSync[K]>>
	>;

type Kind = 'pglite' | 'postgres';
const KINDS: Kind[] = ['pglite', ...(process.env.TEST_DATABASE_URL ? (['postgres'] as const) : [])];

describe('a centre killed with SIGKILL while a tablet pushes its backlog', () => {
	let work: string;
	let pages: ViteDevServer;
	let tablet: BrowserContext;
	/** Each store's place and its server of the moment (a restart replaces it). */
	const centres = new Map<Kind, { place: Place; server: RunningServer | null }>();

	beforeAll(async () => {
		work = mkdtempSync(join(tmpdir(), 'hiroba-kill-e2e-'));
		// The servers' first starts (the slow part: a new store and its demo data) go side by side.
		const start = async (kind: Kind) => {
			const place = await makePlace(kind, { from: 'demo' });
			centres.set(kind, { place, server: null });
			centres.get(kind)!.server = await startServer({ dataDir: place.dataDir, env: place.env, timeoutMs: TIMEOUT / 2 });
		};
		[pages, tablet] = await Promise.all([startPageServer(join(work, 'vite-cache')), launchTablet(join(work, 'profile'), null), ...KINDS.map(start)]);
	}, TIMEOUT);
	afterAll(async () => {
		await tablet?.close();
		await pages?.close();
		for (const { place, server } of centres.values()) {
			await server?.stop();
			await place.dispose();
		}
		if (work) rmSync(work, { recursive: true, force: true });
	});

	describe.each(['pglite', 'postgres'] as const)('on %s', (kind) => {
		let proxy: FaultProxy;
		afterAll(async () => {
			await proxy?.close();
		});

		it.skipIf(kind === 'postgres' && !process.env.TEST_DATABASE_URL)(
			`loses nothing and takes nothing twice (${RECORDS.toLocaleString('en-US')} visits, two kills)`,
			async () => {
				const random = mulberry32(SEED + (kind === 'postgres' ? 1 : 0));
				const t0 = Date.now();
				const times: string[] = [];
				const mark = (what: string) => times.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
				const centre = centres.get(kind)!;
				const { place } = centre;
				let server = centre.server!;
				const restart = async () => {
					centre.server = null;
					server = centre.server = await startServer({ dataDir: place.dataDir, env: place.env, timeoutMs: TIMEOUT / 2 });
				};
				proxy = await startFaultProxy(server.url);
				proxy.pages = pageUrl(pages);
				const page = await tablet.newPage();
				const pageErrors: string[] = [];
				page.on('pageerror', (e) => pageErrors.push(e.message));
				await page.goto(`${proxy.url}/tablet-sync.html`);
				await page.waitForFunction(() => 'tablet' in window, null, { timeout: 60_000 });

				const setup = await call(page, 'setup', { code: server.enrollmentCode!, dbName: `hiroba-kill-${kind}` });
				expect((await call(page, 'writeVisits', { n: RECORDS, sessionId: setup.sessionId })).pending).toBe(RECORDS);
				mark('written');
				const before = await overviewVisits(tablet, server.url, setup.siteName);

				// The first kill: during push K (2nd to 4th), `delay` ms after it left, or as its answer comes
				// back if that is sooner. Either way the tablet never gets the answer.
				const firstKill = 2 + Math.floor(random() * 3);
				const delay = 5 + Math.floor(random() * 35);
				let appliedBeforeKill = 0;
				let killed: Promise<void> | null = null;
				let firstKillAt: 'mid-request' | 'answered' | null = null;
				const kill = (at: 'mid-request' | 'answered') => {
					if (killed) return killed;
					firstKillAt = at;
					killed = server.kill();
					return killed;
				};
				let answeredSinceRestart = 0;
				let restarted = false;
				let secondKill: Promise<void> | null = null;
				proxy.onForward = (r) => {
					if (!restarted && r.push === firstKill) setTimeout(() => void kill('mid-request'), delay);
				};
				proxy.onAnswer = async (r, a) => {
					if (r.kind !== 'push') return true;
					if (!restarted) {
						if (r.push! < firstKill && !killed) {
							appliedBeforeKill += answerJson<{ results: Array<{ status: string }> }>(a).results.filter((x) => x.status === 'applied').length;
							return true;
						}
						await kill('answered');
						return false;
					}
					// The second kill: as the centre's answer to the second push after the restart comes back.
					if (a.status === 200 && ++answeredSinceRestart === 2) {
						secondKill = server.kill();
						await secondKill;
						return false;
					}
					return true;
				};

				await call(page, 'startSync');
				await expect.poll(() => killed, { timeout: 60_000, interval: 20 }).not.toBeNull();
				await killed;
				mark('killed');
				// Mid-push: the centre had applied at least one batch, and the tablet still had work left.
				expect(appliedBeforeKill).toBeGreaterThanOrEqual(500);
				const afterKill = await call(page, 'state');
				expect(afterKill.pending).toBeGreaterThan(0);
				expect(afterKill.pending).toBeLessThanOrEqual(RECORDS - appliedBeforeKill);

				await restart();
				mark('restarted');
				proxy.upstream = server.url;
				restarted = true;
				await call(page, 'syncOnce');
				await expect.poll(() => secondKill, { timeout: 60_000, interval: 20 }).not.toBeNull();
				await secondKill;
				mark('killed again');
				expect((await call(page, 'state')).pending).toBeGreaterThan(0);

				await restart();
				proxy.upstream = server.url;
				mark('restarted again');
				proxy.onAnswer = null;
				proxy.onForward = null;
				await expect.poll(async () => (await call(page, 'syncOnce')).outbox, { timeout: 60_000, interval: 100, message: 'the outbox drains' }).toBe(0);
				mark('drained');
				const end = await call(page, 'state');
				expect(end).toEqual({ sync: 'idle', error: null, pending: 0, rejected: 0, outbox: 0 });
				expect(pageErrors).toEqual([]);

				const mine = sortRows((await call(page, 'ownRows')) as StampedRow[]);
				expect(mine.filter((r) => r.table === 'visits' && !r.deleted).length).toBe(RECORDS);
				// What the centre shows a coordinator: the session's visits, before and after.
				expect(await overviewVisits(tablet, server.url, setup.siteName)).toBe(before + RECORDS);

				// The centre's store itself (PGlite: once the server has let go of the folder).
				if (kind === 'pglite') {
					expect(await server.stop()).toBe(0);
				}
				const store = await place.open();
				try {
					const atCentre = await centreRowsOf(store, setup.deviceId);
					expect(atCentre.length).toBe(mine.length);
					expect(atCentre.map((r) => r.id)).toEqual(mine.map((r) => r.id));
					expect(atCentre).toEqual(mine);
					expect(await centreVisitCounts(store, setup.sessionId)).toEqual({
						rows: before + RECORDS,
						ids: before + RECORDS,
						distinctCheckIns: before + RECORDS
					});
					expect(await pushedCount(store, setup.deviceId)).toBe(RECORDS);
				} finally {
					await store.close();
				}
				console.log(
					`[reliability-kill] ${kind}: first kill during push ${firstKill} (${firstKillAt}, ${delay} ms), ${appliedBeforeKill} applied before it; second kill after an answer; ${proxy.log.filter((l) => l.kind === 'push').length} pushes in all; ${times.join(', ')}`
				);
				await page.close();
			},
			TIMEOUT
		);
	});
});
