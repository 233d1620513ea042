/**
 * The hostile-network sync property (tests/chaos.ts) against two built server processes sharing one
 * PostgreSQL database, the way the centre scales out: every request of every tablet goes to one
 * process or the other in turn, so a push lands on one while a pull of the same rows runs on the
 * other. Needs TEST_DATABASE_URL (CI sets it when a server answers).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import type { Store } from '../src/lib/server/db/store';
import { runScenario, scenarioArb } from './chaos';
import { BASE_URL } from './in-process';
import { makePlace, startServer, type Place, type RunningServer } from './server-process';

const RUNS = Number(process.env.HIROBA_PROCESS_PROPERTY_RUNS ?? 15);

describe.skipIf(!process.env.TEST_DATABASE_URL)('sync under a hostile network, two server processes on one PostgreSQL database', () => {
	let place: Place;
	let second: Place;
	let servers: RunningServer[] = [];
	let store: Store;

	beforeAll(async () => {
		place = await makePlace('postgres');
		// A data folder of its own for the second process (its own admin socket), the same database.
		second = await makePlace('pglite', { from: 'migrated' });
		const env = { ...place.env, HIROBA_NO_DEMO: '1' };
		servers = [await startServer({ dataDir: place.dataDir, env }), await startServer({ dataDir: second.dataDir, env })];
		store = await place.open();
	});

	afterAll(async () => {
		await store?.close();
		for (const s of servers) await s.stop();
		await second?.dispose();
		await place?.dispose();
	});

	it(`converges to exactly what reached the centre, and a replay changes nothing (${RUNS} runs)`, async () => {
		let turn = 0;
		const viaProcesses: typeof fetch = (input, init) => {
			const url = String(input instanceof Request ? input.url : input);
			const server = servers[turn++ % servers.length]!;
			return fetch(url.replace(BASE_URL, server.url), init);
		};
		await fc.assert(
			fc.asyncProperty(scenarioArb, (sc) => runScenario({ store, fetchFor: () => viaProcesses }, sc)),
			{ numRuns: RUNS, endOnFailure: true, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) }
		);
	}, 900_000);
});
