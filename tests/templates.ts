/**
 * Data folders made once per test run and copied for each test, instead of each test paying for
 * them again (measured on 2 cores: a new PGlite cluster 5.7 s, a first start with the demo seed
 * 11.8 s, a copy well under a second):
 * - `migrated`: an empty PGlite store, every migration applied: what any first start makes before
 *   it loads anything;
 * - `demo`: a folder (and its key folder) after one `npm start` on it: the demo data, the
 *   enrollment code's site; a server started on a copy is the same ward started a second time.
 *
 * Tests about the first start itself (an empty folder, the first key, the demo banner) still start
 * from nothing (`makePlace(kind)` without `from`).
 */
import { cpSync, existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
	export interface ProvidedContext {
		/** A data folder holding a migrated, empty PGlite store. */
		migratedTemplate: string | undefined;
		/** A data folder (with `<folder>-keys`) that a server has started on once, with demo data. */
		demoTemplate: string | undefined;
	}
}

/** Copy a template data folder: regular files and folders only (no lock file, no admin socket). */
export function copyDataDir(from: string, to: string): void {
	cpSync(from, to, {
		recursive: true,
		filter: (src) => {
			const st = lstatSync(src);
			return (st.isDirectory() || st.isFile()) && !src.endsWith('/hiroba.lock');
		}
	});
}

/** The provided template of that name; a test run without the global set-up has none. */
export function template(name: 'migrated' | 'demo'): string {
	const dir = inject(name === 'migrated' ? 'migratedTemplate' : 'demoTemplate');
	if (!dir || !existsSync(dir)) throw new Error(`no ${name} template: tests/global-setup.ts makes it for this project`);
	return dir;
}

/** A new temporary folder that holds a copy of the migrated template's store. */
export function migratedCopy(into?: string): string {
	const dir = into ?? mkdtempSync(join(tmpdir(), 'hiroba-test-'));
	copyDataDir(template('migrated'), dir);
	return dir;
}

export function removeDataDir(dir: string): void {
	rmSync(dir, { recursive: true, force: true });
	rmSync(`${dir}-keys`, { recursive: true, force: true });
}
