/**
 * The hostile-network sync property (tests/chaos.ts says what it checks), against the real device
 * API handlers in-process, on PGlite and on PostgreSQL. tests/chaos-processes.spec.ts runs the same
 * property against two server processes sharing one PostgreSQL database.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { Store } from '$lib/server/db/store';
import { openForSuite, testStores } from '../../../../tests/stores';
import { inProcessFetch } from '../../../../tests/in-process';
import { runScenario, scenarioArb } from '../../../../tests/chaos';

const RUNS = Number(process.env.HIROBA_PROPERTY_RUNS ?? 60);

describe.each(testStores())('sync under a hostile network on $name', (ts) => {
	let store: Store;

	openForSuite(ts, (s) => (store = s), { serve: true });

	it(`converges to exactly what reached the centre, and a replay changes nothing (${RUNS} runs)`, async () => {
		const centre = { store, fetchFor: () => inProcessFetch() };
		await fc.assert(
			fc.asyncProperty(scenarioArb, (sc) => runScenario(centre, sc)),
			{ numRuns: RUNS, endOnFailure: true, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) }
		);
	}, 900_000);
});
