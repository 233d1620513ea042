/**
 * The longer runs that `npm test` keeps short (README "Other scripts"): the hostile-network sync
 * property and the attendance-facts property with many more runs, the sync property against two
 * server processes on PostgreSQL (when TEST_DATABASE_URL is set), the admin commands on PostgreSQL
 * with the server stopped too, and the reliability journeys at a larger size (HIROBA_SOAK=1: 20,000
 * visits, five fault seeds). Stops at the first failure.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib/build.js';

const env = {
	...process.env,
	HIROBA_SOAK: '1',
	HIROBA_PROPERTY_RUNS: process.env.HIROBA_PROPERTY_RUNS ?? '300',
	HIROBA_PROCESS_PROPERTY_RUNS: process.env.HIROBA_PROCESS_PROPERTY_RUNS ?? '60',
	FACTS_RUNS: process.env.FACTS_RUNS ?? '100'
};
/** @type {Array<[string, string[]]>} */
const steps = [
	['node', ['scripts/ensure-chromium.js']],
	['node', ['scripts/ensure-build.js']],
	['npx', ['vitest', 'run', '--project', 'unit', 'src/lib/client/sync/chaos.spec.ts', 'src/lib/server/reports/facts.spec.ts']],
	['npx', ['vitest', 'run', '--project', 'integration', 'tests/chaos-processes.spec.ts', 'tests/admin.spec.ts']],
	['npx', ['vitest', 'run', '--project', 'e2e', 'tests/e2e/reliability-kill.e2e.ts', 'tests/e2e/reliability-proxy.e2e.ts']]
];
for (const [cmd, args] of steps) {
	console.log(`\n$ ${cmd} ${args.join(' ')}`);
	const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: 'inherit' });
	if (r.status !== 0) process.exit(r.status ?? 1);
}
