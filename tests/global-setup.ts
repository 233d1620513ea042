/**
 * Once per test run and project: the data-folder templates of tests/templates.ts. The unit and
 * integration projects get the migrated one (made once for all runs, see migratedTemplate); the end-to-end project also gets one a server has
 * started on with demo data (the build exists by then: `npm test` builds before integration).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { openStore } from '../src/lib/server/db/store';
import { migrate } from '../src/lib/server/db/migrate';
import { startServer } from './server-process';
import { copyDataDir, removeDataDir } from './templates';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The migrated template depends only on the migrations and PGlite: made once and kept in
 * node_modules/.cache under a hash of both, so that `npm test`'s later vitest runs (and later
 * `npm test`s) do not make a new PGlite cluster again (about 6 s each). Tests only copy it.
 */
async function migratedTemplate(): Promise<string> {
	const migrations = join(ROOT, 'src/lib/server/db/migrations');
	const hash = createHash('sha256');
	for (const file of [join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), join(ROOT, 'src/lib/server/db/migrate.ts')])
		hash.update(readFileSync(file));
	for (const name of readdirSync(migrations).sort()) hash.update(name).update(readFileSync(join(migrations, name)));
	const cache = join(ROOT, 'node_modules/.cache/hiroba-tests');
	const dir = join(cache, `migrated-${hash.digest('hex').slice(0, 16)}`);
	// Renamed into place only once made: if it is there, it is whole.
	if (existsSync(dir)) return dir;
	mkdirSync(cache, { recursive: true });
	const fresh = mkdtempSync(join(cache, 'making-'));
	const store = await openStore({ kind: 'pglite', dataDir: fresh });
	try {
		await migrate(store);
	} finally {
		await store.close();
	}
	try {
		renameSync(fresh, dir);
	} catch {
		// Another run made it meanwhile: theirs is the same.
		removeDataDir(fresh);
	}
	return dir;
}

export default async function setup(project: TestProject): Promise<() => void> {
	const made: string[] = [];
	const migrated = await migratedTemplate();
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
