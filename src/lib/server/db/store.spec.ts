import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { jsonbParam, openStore, type Store } from './store';
import { openForSuite, testStores } from '../../../../tests/stores';

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

describe.each(testStores())('a jsonb parameter in binary (jsonbParam) on $name', (ts) => {
	let store: Store;
	openForSuite(ts, (s) => (store = s));

	it('arrives as the same JSON as text would, characters outside ASCII included', async () => {
		const value = [
			{ id: 1, name: '佐藤ゆい🌸', note: 'a "quoted" \\ back\nslash', none: null, n: 1.5 },
			{ id: 2, name: 'Nguyễn Thị', list: [true, false] }
		];
		const r = await store.query<{ same: boolean; name: string }>(`select $1::jsonb = $2::jsonb as same, $1::jsonb -> 0 ->> 'name' as name`, [
			jsonbParam(value),
			JSON.stringify(value)
		]);
		expect(r.rows).toEqual([{ same: true, name: '佐藤ゆい🌸' }]);
	});

	it('leaves jsonb given as text, as before, to the driver', async () => {
		const r = await store.query<{ v: unknown }>(`select $1::jsonb as v`, [JSON.stringify({ a: 'ü' })]);
		expect(r.rows[0]?.v).toEqual({ a: 'ü' });
	});
});
