/**
 * `npm run admin` against the built server: with the server running (the command goes through its
 * admin socket) and with it stopped (the command hosts the app itself), on PGlite, and on
 * PostgreSQL as well when TEST_DATABASE_URL is set (there with the server running; both modes
 * under `npm run soak`).
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokyoDate } from '../src/lib/domain/dates';
import { migrate } from '../src/lib/server/db/migrate';
import { writeCentreRecords } from '../src/lib/server/sync/records';
import type { Change, EnrollResponse } from '../src/lib/sync/protocol';
import type { Device } from '../src/lib/server/auth/devices';
import * as f from './factories';
import { enroll, pull, pullAll, push, Tablet } from './device-api';
import { makePlace, runAdmin, startServer, type Place, type RunningServer } from './server-process';

// Both modes on PGlite; on PostgreSQL the commands go through the running server's socket (the
// path a ward with a database server uses: its server runs as a service). With the server stopped,
// a command hosts the same app code on the store it opens, which PGlite covers; `npm run soak`
// (HIROBA_SOAK=1) runs that on PostgreSQL too. Dropped from `npm test` for time: about 16 s here.
const variants = [
	{ store: 'pglite', mode: 'running' },
	{ store: 'pglite', mode: 'stopped' },
	...(process.env.TEST_DATABASE_URL
		? [{ store: 'postgres', mode: 'running' }, ...(process.env.HIROBA_SOAK ? [{ store: 'postgres', mode: 'stopped' }] : [])]
		: [])
] as Array<{ store: 'pglite' | 'postgres'; mode: 'running' | 'stopped' }>;

/** A program and a site, written straight into a store that no process holds yet. */
async function seedSite(place: Place): Promise<{ siteId: string; siteName: string }> {
	const store = await place.open();
	try {
		await migrate(store);
		return await store.transaction(async (tx) => {
			const [programId] = await writeCentreRecords(tx, 'programs', [{ data: f.program() }]);
			const site = f.site(programId!, { nameJa: 'テスト児童館' });
			const [siteId] = await writeCentreRecords(tx, 'sites', [{ data: site }]);
			return { siteId: siteId!, siteName: site.nameJa };
		});
	} finally {
		await store.close();
	}
}

describe.each(variants)('admin commands with the server $mode ($store)', ({ store, mode }) => {
	let place: Place;
	let server: RunningServer | null = null;
	let siteId: string;
	const codes: string[] = [];
	let a: EnrollResponse;
	let b: EnrollResponse;
	const tabletA = new Tablet('tablet-a');
	let household1: Change<'households'>;
	let visit1: Change<'visits'>;
	let cursorBeforeRestore = '0';
	let backupFile: string;

	const admin = (...args: string[]) => runAdmin(args, { dataDir: place.dataDir, env: place.env });
	// With the server stopped, each command hosts the app itself (about 2.5 s on PGlite, the store's
	// start) and runs the same command code as through the socket. So what that code alone decides
	// (a table's layout, a refusal after the store is read) is checked with the server running; the
	// stopped variant checks every command's work and an error's exit code and JSON.
	const running = mode === 'running';

	/** Run `fn` against a server: the one that runs throughout, or one started just for it. */
	async function online<T>(fn: (url: string) => Promise<T>): Promise<T> {
		if (server) return fn(server.url);
		const s = await startServer({ dataDir: place.dataDir, env: { ...place.env, HIROBA_NO_DEMO: '1' } });
		try {
			return await fn(s.url);
		} finally {
			expect(await s.stop()).toBe(0);
		}
	}

	beforeAll(async () => {
		place = await makePlace(store, { from: 'migrated' });
		({ siteId } = await seedSite(place));
		backupFile = join(place.dataDir, 'backup.json.gz');
		if (mode === 'running') server = await startServer({ dataDir: place.dataDir, env: { ...place.env, HIROBA_NO_DEMO: '1' } });
	});

	afterAll(async () => {
		if (server) expect(await server.stop()).toBe(0);
		await place?.dispose();
	});

	it('lists the sites, as JSON and as a table', async () => {
		const r = await admin('sites', '--json');
		expect(r.code).toBe(0);
		const body = r.json<{ sites: Array<{ id: string; nameJa: string; program: string }> }>();
		expect(body.sites).toEqual([expect.objectContaining({ id: siteId, nameJa: 'テスト児童館', program: 'nikoniko' })]);

		if (!running) return;
		const table = await admin('sites');
		expect(table.code).toBe(0);
		expect(table.stdout).toContain(siteId);
		expect(table.stdout).toContain('テスト児童館');
	});

	it('makes enrollment codes that a tablet enrolls with exactly once', async () => {
		for (let i = 0; i < 2; i++) {
			const r = await admin('enroll-code', siteId, '--json');
			expect(r.code).toBe(0);
			const body = r.json<{ code: string; expiresAt: string; siteIds: string[] }>();
			expect(body.code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
			expect(body.siteIds).toEqual([siteId]);
			expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
			codes.push(body.code);
		}

		await online(async (url) => {
			const first = await enroll(url, codes[0]!, 'tablet A');
			expect(first.status).toBe(201);
			a = first.body;
			tabletA.as(a.deviceId);
			expect(a.sites.map((s) => s.id)).toEqual([siteId]);

			const again = await enroll(url, codes[0]!, 'tablet A again');
			expect(again.status).toBe(410);
			expect(again.body.error.code).toBe('enrollment_code_used');

			const second = await enroll(url, codes[1]!, 'tablet B');
			expect(second.status).toBe(201);
			b = second.body;

			// Tablet A records a session, a family and its visit; tablet B sees them.
			const session = tabletA.change('sessions', f.session(siteId, { date: tokyoDate(), status: 'open' }));
			household1 = tabletA.change('households', f.household({ registeredSiteId: siteId }));
			visit1 = tabletA.change('visits', f.visit(session.id, { householdId: household1.id, cardCode: household1.data.cardCode }));
			const pushed = await push(url, a.token, [session, household1, visit1]);
			expect(pushed.status).toBe(200);
			expect(pushed.body.results.map((x) => x.status)).toEqual(['applied', 'applied', 'applied']);

			const seen = await pullAll(url, b.token);
			expect(seen.changes.map((c) => c.id)).toEqual(expect.arrayContaining([session.id, household1.id, visit1.id]));
		});
	});

	it('lists the enrolled devices', async () => {
		const r = await admin('devices', '--json');
		expect(r.code).toBe(0);
		const { devices } = r.json<{ devices: Device[] }>();
		expect(devices.map((d) => [d.id, d.name, d.state])).toEqual([
			[a.deviceId, 'tablet A', 'active'],
			[b.deviceId, 'tablet B', 'active']
		]);
		expect(devices[0]!.pushedCount).toBe(3);

		if (!running) return;
		const table = await admin('devices');
		expect(table.stdout).toContain(a.deviceId);
		expect(table.stdout).toContain('tablet B');
	});

	it('backs up, and restores: later changes are gone, earlier data intact, cursors never go back', async () => {
		const made = await admin('backup', backupFile, '--json');
		expect(made.code).toBe(0);
		const summary = made.json<{ file: string; tables: Record<string, number>; sequence: number }>();
		expect(summary.file).toBe(backupFile);
		expect(summary.tables).toMatchObject({ programs: 1, sites: 1, sessions: 1, households: 1, visits: 1, devices: 2 });
		expect(statSync(backupFile).mode & 0o777).toBe(0o600);
		const doc = JSON.parse(gunzipSync(readFileSync(backupFile)).toString('utf8'));
		expect(doc).toMatchObject({ format: 'hiroba-backup', version: 1, sequence: summary.sequence });
		expect(doc.tables.schema_migrations).toBeUndefined();
		// Every admin command so far left an audit row.
		const actions = (doc.tables.audit_log as Array<{ action: string; actor: string }>).filter((r) => r.actor === 'admin-cli').map((r) => r.action);
		expect(actions).toEqual(expect.arrayContaining(['admin.sites', 'admin.enroll-code', 'admin.devices']));

		// After the backup: a new family, and a change to the first visit.
		const household2 = tabletA.change('households', f.household({ registeredSiteId: siteId }));
		const visitEdit = tabletA.change('visits', { ...visit1.data, adults: 2 }, visit1.id);
		await online(async (url) => {
			const pushed = await push(url, a.token, [household2, visitEdit]);
			expect(pushed.body.results.map((x) => x.status)).toEqual(['applied', 'applied']);
			const seen = await pullAll(url, b.token);
			expect(seen.changes.map((c) => c.id)).toContain(household2.id);
			cursorBeforeRestore = seen.cursor;
		});

		const restored = await admin('restore', backupFile, '--json');
		expect(restored.code).toBe(0);
		const after = restored.json<{ sequence: number; tables: Record<string, number> }>();
		expect(BigInt(after.sequence)).toBeGreaterThanOrEqual(BigInt(cursorBeforeRestore));
		expect(after.tables).toMatchObject({ households: 1, visits: 1 });

		await online(async (url) => {
			const all = await pullAll(url, b.token);
			const ids = all.changes.map((c) => c.id);
			expect(ids).toContain(household1.id);
			expect(ids).not.toContain(household2.id);
			const visit = all.changes.find((c) => c.id === visit1.id);
			expect(visit?.data).toMatchObject({ adults: 1 });
			// The sequence did not move back: B's cursor from before the restore is still ahead of nothing.
			expect(BigInt(all.cursor)).toBeGreaterThanOrEqual(BigInt(cursorBeforeRestore));
			const nothingNew = await pull(url, b.token, cursorBeforeRestore);
			expect(nothingNew.body.changes).toEqual([]);

			// A change after the restore is numbered past every cursor handed out before it.
			const household3 = tabletA.change('households', f.household({ registeredSiteId: siteId }));
			expect((await push(url, a.token, [household3])).body.results[0]!.status).toBe('applied');
			const fresh = await pull(url, b.token, cursorBeforeRestore);
			expect(fresh.body.changes.map((c) => c.id)).toEqual([household3.id]);
		});
	});

	it('revokes a device: it is then refused with device_revoked', async () => {
		const r = await admin('revoke', a.deviceId, '--json');
		expect(r.code).toBe(0);
		expect(r.json<{ device: Device }>().device).toMatchObject({ id: a.deviceId, state: 'revoked' });

		await online(async (url) => {
			const refused = await pull(url, a.token);
			expect(refused.status).toBe(401);
			expect(refused.body.error.code).toBe('device_revoked');
			const stillFine = await pull(url, b.token);
			expect(stillFine.status).toBe(200);
		});

		if (running) {
			const again = await admin('revoke', a.deviceId);
			expect(again.code).not.toBe(0);
			expect(again.stderr).toMatch(/already revoked/);
		}
		const unknown = await admin('revoke', '01900000-0000-7000-8000-000000000000', '--json');
		expect(unknown.code).not.toBe(0);
		expect(unknown.json<{ error: { code: string } }>().error.code).toBe('not_found');
	});

	it('adds staff, and refuses bad input with a clear message', async () => {
		const bad = await admin('staff', 'add', '--name', '相談員 テスト', '--role', 'boss', '--pin', '482193');
		expect(bad.code).not.toBe(0);
		expect(bad.stderr).toMatch(/role must be one of: consultant, coordinator, admin/);
		expect(bad.stdout).toBe('');

		const badJson = await admin('staff', 'add', '--name', '相談員 テスト', '--role', 'consultant', '--pin', '4821', '--json');
		expect(badJson.code).not.toBe(0);
		expect(badJson.json<{ error: { code: string; message: string } }>().error).toMatchObject({
			code: 'invalid_body',
			message: expect.stringMatching(/PIN is 6 to 8 digits/)
		});

		const usage = await admin('staff', 'add', '--role', 'consultant');
		expect(usage.code).toBe(2);
		expect(usage.stderr).toMatch(/needs --name/);

		const ok = await admin(
			'staff',
			'add',
			'--name',
			'相談員 テスト',
			'--role',
			'coordinator',
			'--pin',
			'246813',
			'--login',
			'Tester1',
			'--password',
			'correct horse battery',
			'--site',
			siteId,
			'--json'
		);
		expect(ok.code).toBe(0);
		const staff = ok.json<{ id: string; role: string; loginName: string; hasPin: boolean }>();
		expect(staff).toMatchObject({ role: 'coordinator', loginName: 'tester1', hasPin: true });

		if (running) {
			const taken = await admin('staff', 'add', '--name', '別の人', '--role', 'admin', '--login', 'tester1', '--password', 'another long one');
			expect(taken.code).not.toBe(0);
			expect(taken.stderr).toMatch(/already taken/);
		}

		// The roster reaches the tablets of the member's sites with the PIN's hash, never the password's.
		await online(async (url) => {
			const all = await pullAll(url, b.token);
			const row = all.changes.find((c) => c.id === staff.id);
			expect(row?.data).toMatchObject({ displayName: '相談員 テスト', role: 'coordinator', pinHash: expect.stringMatching(/^pbkdf2-sha256\$/) });
			expect(JSON.stringify(row)).not.toMatch(/scrypt/);
		});
	});

	it('says what is wrong with an unknown command, and prints help', async () => {
		const r = await admin('frobnicate', '--json');
		expect(r.code).toBe(2);
		expect(r.json<{ error: { code: string } }>().error.code).toBe('usage');
		const help = await admin('help');
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/enroll-code/);
	});
});
