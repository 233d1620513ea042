/**
 * Once per test run and project: the data-folder templates of tests/templates.ts. The unit and
 * integration projects get the migrated one; the end-to-end project also gets one a server has
 * started on with demo data (the build exists by then: `npm test` builds before integration).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openStore } from '../src/lib/server/db/store';
import { migrate } from '../src/lib/server/db/migrate';
import { startServer } from './server-process';
import { copyDataDir, removeDataDir } from './templates';

export default async function setup(project: TestProject): Promise<() => void> {
	const made: string[] = [];
	const migrated = mkdtempSync(join(tmpdir(), 'hiroba-template-'));
	made.push(migrated);
	const store = await openStore({ kind: 'pglite', dataDir: migrated });
	try {
		await migrate(store);
	} finally {
		await store.close();
	}
	project.provide('migratedTemplate', migrated);

	if (project.name === 'e2e') {
		const demo = mkdtempSync(join(tmpdir(), 'hiroba-template-demo-'));
		made.push(demo);
		copyDataDir(migrated, demo);
		const server = await startServer({ dataDir: demo });
		if (!/Demo data loaded/.test(server.banner)) throw new Error(`the demo template did not seed:\n${server.output()}`);
		const code = await server.stop();
		if (code !== 0) throw new Error(`the demo template's server exited with ${code}:\n${server.output()}`);
		project.provide('demoTemplate', demo);
	} else {
		project.provide('demoTemplate', undefined);
	}
	return () => {
		for (const dir of made) removeDataDir(dir);
	};
}
