import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { openStore, type Store } from './store';

/** Every folder and file under `dir` (not following links) with its permission bits. */
function modes(dir: string): Array<{ path: string; kind: 'dir' | 'file' | 'other'; mode: number }> {
	const out: Array<{ path: string; kind: 'dir' | 'file' | 'other'; mode: number }> = [];
	const walk = (path: string) => {
		const st = lstatSync(path);
		out.push({ path, kind: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other', mode: st.mode & 0o777 });
		if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
	};
	walk(dir);
	return out;
}

describe('the embedded store on disk', () => {
	let parent: string | null = null;
	let store: Store | null = null;

	afterEach(async () => {
		await store?.close();
		store = null;
		if (parent) rmSync(parent, { recursive: true, force: true });
		parent = null;
	});

	it('makes the data folder 0700 and every file in it 0600, whatever was there before', async () => {
		parent = mkdtempSync(join(tmpdir(), 'hiroba-store-'));
		const dataDir = join(parent, 'data');
		mkdirSync(dataDir);
		chmodSync(dataDir, 0o755);
		writeFileSync(join(dataDir, 'notes.txt'), 'left here by someone');
		chmodSync(join(dataDir, 'notes.txt'), 0o644);
		mkdirSync(join(dataDir, 'old'));
		chmodSync(join(dataDir, 'old'), 0o755);
		// A link inside the folder is not followed: what it points at keeps its mode.
		const outside = join(parent, 'outside.txt');
		writeFileSync(outside, 'not ours');
		chmodSync(outside, 0o644);
		symlinkSync(outside, join(dataDir, 'link'));

		store = await openStore({ kind: 'pglite', dataDir });
		await migrate(store);
		await store.exec(`create table private_check (x text); insert into private_check select repeat('x', 1000) from generate_series(1, 2000)`);
		await store.exec('checkpoint');

		const open = modes(dataDir);
		expect(open.length).toBeGreaterThan(100);
		const wrong = (list: ReturnType<typeof modes>) =>
			list.filter((e) => (e.kind === 'dir' && e.mode !== 0o700) || (e.kind === 'file' && e.mode !== 0o600)).map((e) => `${e.mode.toString(8)} ${e.path}`);
		expect(wrong(open)).toEqual([]);
		expect(statSync(outside).mode & 0o777).toBe(0o644);

		// What PGlite writes while it runs and when it closes is private too.
		await store.close();
		store = null;
		expect(wrong(modes(dataDir))).toEqual([]);
	});
});
