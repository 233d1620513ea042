import {
	chmodSync,
	fstatSync,
	linkSync,
	lstatSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorCodeOf, testStores, truncateAll } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import type { Store } from '../db/store';
import { audit } from '../auth/devices';
import { writeCentreRecords } from '../sync/records';
import { backupTo, restoreFrom } from './backup';
import { attendance } from '../reports/attendance';
import { addDays, addMonths } from '$lib/domain/dates';

describe.each(testStores())('backup and restore on $name', (ts) => {
	let store: Store;
	let dir: string;

	beforeAll(async () => {
		store = await ts.open();
		dir = mkdtempSync(join(tmpdir(), 'hiroba-backup-'));
	});
	afterAll(async () => {
		await store.close();
		await ts.dispose();
		rmSync(dir, { recursive: true, force: true });
	});
	beforeEach(async () => {
		await truncateAll(store);
	});

	async function seed() {
		return store.transaction(async (tx) => {
			const [programId] = await writeCentreRecords(tx, 'programs', [{ data: f.program() }]);
			const [siteId] = await writeCentreRecords(tx, 'sites', [{ data: f.site(programId!) }]);
			const [sessionId] = await writeCentreRecords(tx, 'sessions', [{ data: f.session(siteId!) }]);
			const [staffId] = await writeCentreRecords(tx, 'staff', [{ data: f.staffMember() }]);
			await tx.query(`update staff set login_name = 'tester' where id = $1`, [staffId]);
			// A row that points at another table (staff_sessions → staff): restored parents first.
			await tx.query(`insert into staff_sessions (token_hash, staff_id, expires_at) values ('h1', $1, now() + interval '1 hour')`, [staffId]);
			await tx.query(`insert into devices (id, name, site_ids, token_hash) values ($1, 'tablet', $2::uuid[], 'th')`, [f.id(), [siteId]]);
			await audit(tx, 'test', 'seeded', null, { n: 1 });
			return { siteId: siteId!, sessionId: sessionId!, staffId: staffId! };
		});
	}

	const snapshot = async () => {
		const out: Record<string, unknown[]> = {};
		for (const t of ['programs', 'sites', 'sessions', 'staff', 'staff_sessions', 'devices', 'audit_log']) {
			out[t] = (await store.query(`select to_jsonb(x) as r from ${t} x order by 1`)).rows.map((r) => JSON.stringify(r.r)).sort();
		}
		return out;
	};

	it('restores exactly what was backed up, with the sequences moving only forward', async () => {
		const { siteId } = await seed();
		const before = await snapshot();
		const file = join(dir, `${ts.name}-1.json.gz`);
		const made = await backupTo(store, file);
		expect(made.tables).toMatchObject({ programs: 1, sites: 1, sessions: 1, staff: 1, staff_sessions: 1, devices: 1, audit_log: 1 });
		expect(statSync(file).mode & 0o777).toBe(0o600);
		const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
		expect(doc.format).toBe('hiroba-backup');
		expect(doc.tables.staff[0].login_name).toBe('tester');

		// Changes after the backup: a new session, a new audit row.
		await store.transaction((tx) => writeCentreRecords(tx, 'sessions', [{ data: f.session(siteId, { date: '2026-05-01' }) }]));
		await audit(store, 'test', 'after', null, null);
		const seqAfter = Number((await store.query<{ v: string }>(`select last_value::text as v from sync_seq`)).rows[0]!.v);
		const auditIdAfter = Number((await store.query<{ v: string }>(`select max(id)::text as v from audit_log`)).rows[0]!.v);

		const restored = await restoreFrom(store, file);
		expect(restored.sequence).toBe(seqAfter);
		expect(await snapshot()).toEqual(before);

		// New rows are numbered after everything handed out before the restore.
		const [newId] = await store.transaction((tx) => writeCentreRecords(tx, 'sessions', [{ data: f.session(siteId, { date: '2026-06-01' }) }]));
		const seq = await store.query<{ seq: string }>(`select seq::text as seq from sessions where id = $1`, [newId]);
		expect(Number(seq.rows[0]!.seq)).toBeGreaterThan(seqAfter);
		await audit(store, 'test', 'after restore', null, null);
		const auditId = await store.query<{ v: string }>(`select max(id)::text as v from audit_log`);
		expect(Number(auditId.rows[0]!.v)).toBeGreaterThan(auditIdAfter);
		// Generated columns were computed again from the restored rows.
		const gen = await store.query<{ site_id: string }>(`select site_id::text from sessions where id <> $1`, [newId]);
		expect(gen.rows.map((r) => r.site_id)).toEqual([siteId]);
	});

	it('leaves the report facts out and counts them again from what it restored', async () => {
		const { sessionId } = await seed();
		const family = await store.transaction(async (tx) => {
			const [householdId] = await writeCentreRecords(tx, 'households', [{ data: f.household() }]);
			await writeCentreRecords(tx, 'visits', [{ data: f.visit(sessionId, { householdId: householdId!, cardCode: null }) }]);
			return householdId!;
		});
		// The month of today's session: counted from the facts.
		const today = f.session(f.id()).date;
		const from = `${today.slice(0, 7)}-01`;
		const day = { from, to: addDays(addMonths(from, 1), -1) };
		const before = await attendance(store, { siteIds: null }, day, today);
		expect(before.visits.families).toBe(1);
		const file = join(dir, `${ts.name}-facts.json.gz`);
		const made = await backupTo(store, file);
		expect(Object.keys(made.tables).filter((t) => t.startsWith('report_'))).toEqual([]);

		// A second visit after the backup, counted; the restore takes it away again.
		await store.transaction((tx) => writeCentreRecords(tx, 'visits', [{ data: f.visit(sessionId, { householdId: family, cardCode: null }) }]));
		expect((await attendance(store, { siteIds: null }, day, today)).visits.families).toBe(2);
		await restoreFrom(store, file);
		expect(await attendance(store, { siteIds: null }, day, today)).toEqual(before);
	});

	it('refuses what is not a backup of this schema, and touches nothing', async () => {
		await seed();
		const before = await snapshot();
		const notGzip = join(dir, 'plain.txt');
		writeFileSync(notGzip, 'hello');
		expect(await errorCodeOf(restoreFrom(store, notGzip))).toBe('bad_request');
		const other = join(dir, 'other.json.gz');
		writeFileSync(other, gzipSync(JSON.stringify({ format: 'something-else' })));
		expect(await errorCodeOf(restoreFrom(store, other))).toBe('bad_request');
		const file = join(dir, `${ts.name}-2.json.gz`);
		await backupTo(store, file);
		const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
		const future = join(dir, 'future.json.gz');
		writeFileSync(future, gzipSync(JSON.stringify({ ...doc, schemaVersion: '9999' })));
		await expect(restoreFrom(store, future)).rejects.toThrow(/schema version 9999/);
		const extra = join(dir, 'extra.json.gz');
		writeFileSync(extra, gzipSync(JSON.stringify({ ...doc, tables: { ...doc.tables, nonsense: [] } })));
		await expect(restoreFrom(store, extra)).rejects.toThrow(/unknown: nonsense/);
		expect(await errorCodeOf(restoreFrom(store, join(dir, 'missing.json.gz')))).toBe('not_found');
		expect(await errorCodeOf(backupTo(store, join(dir, 'no-such-folder', 'b.json.gz')))).toBe('not_found');
		expect(await snapshot()).toEqual(before);
	});
	/** A file with given content and mode, whatever the process umask. */
	function plant(path: string, content: string, mode = 0o644) {
		writeFileSync(path, content);
		chmodSync(path, mode);
	}
	const isBackup = (path: string) => JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')).format === 'hiroba-backup';
	const partials = (folder: string) => readdirSync(folder).filter((name) => name.includes('partial'));

	it('never writes through a link planted at the target or at the old temporary name', async () => {
		await seed();
		const folder = mkdtempSync(join(dir, 'links-'));
		const file = join(folder, 'backup.json.gz');
		const victimOfPartial = join(dir, `${ts.name}-victim-partial.txt`);
		const victimOfTarget = join(dir, `${ts.name}-victim-target.txt`);
		plant(victimOfPartial, 'victim of the partial link');
		plant(victimOfTarget, 'victim of the target link');
		// The name the old code wrote to, predictable from the pid.
		symlinkSync(victimOfPartial, `${file}.${process.pid}.partial`);
		symlinkSync(victimOfTarget, file);

		await backupTo(store, file);

		expect(readFileSync(victimOfPartial, 'utf8')).toBe('victim of the partial link');
		expect(readFileSync(victimOfTarget, 'utf8')).toBe('victim of the target link');
		expect(statSync(victimOfPartial).mode & 0o777).toBe(0o644);
		expect(statSync(victimOfTarget).mode & 0o777).toBe(0o644);
		expect(readlinkSync(`${file}.${process.pid}.partial`)).toBe(victimOfPartial);
		// The link at the target was replaced by the backup itself, a file of our own.
		const st = lstatSync(file);
		expect(st.isFile()).toBe(true);
		expect(st.mode & 0o777).toBe(0o600);
		expect(isBackup(file)).toBe(true);
		expect(partials(folder)).toEqual([`backup.json.gz.${process.pid}.partial`]);
	});

	it('makes the result 0600 whatever readable file sat at the target or the old temporary name', async () => {
		await seed();
		const folder = mkdtempSync(join(dir, 'mode-'));
		const file = join(folder, 'backup.json.gz');
		plant(file, 'an old, readable backup');
		const otherLink = join(folder, 'hard-link');
		linkSync(file, otherLink);
		// A readable file planted at the old temporary name would have kept its mode when written to.
		const planted = `${file}.${process.pid}.partial`;
		plant(planted, 'planted');

		await backupTo(store, file);

		expect(statSync(file).mode & 0o777).toBe(0o600);
		expect(isBackup(file)).toBe(true);
		expect(readFileSync(otherLink, 'utf8')).toBe('an old, readable backup');
		expect(readFileSync(planted, 'utf8')).toBe('planted');
		expect(partials(folder)).toEqual([basename(planted)]);
	});

	it('leaves no temporary file behind when the backup fails', async () => {
		await seed();
		const folder = mkdtempSync(join(dir, 'fail-'));
		// While the store is read: the temporary file exists by then.
		const failing: Store = { ...store, transaction: () => Promise.reject(new Error('the store went away')) };
		await expect(backupTo(failing, join(folder, 'a.json.gz'))).rejects.toThrow('the store went away');
		expect(readdirSync(folder)).toEqual([]);
		// At the rename, after the whole backup was written: a folder sits at the target.
		mkdirSync(join(folder, 'b.json.gz'));
		expect(await errorCodeOf(backupTo(store, join(folder, 'b.json.gz')))).toBe('bad_request');
		expect(readdirSync(folder)).toEqual(['b.json.gz']);
		expect(readdirSync(join(folder, 'b.json.gz'))).toEqual([]);
	});

	it('closes its temporary file once when the backup fails, never a descriptor it no longer holds', async () => {
		await seed();
		const folder = mkdtempSync(join(dir, 'once-'));
		// Every close of a descriptor that is not open is a second close: in the server, where other
		// files (the store's, sockets) open meanwhile, its number could by then be one of theirs.
		const binding = (process as unknown as { binding(name: 'fs'): { close(fd: number, ...rest: unknown[]): unknown } }).binding('fs');
		const close = binding.close;
		const notOpen: number[] = [];
		binding.close = function (this: unknown, fd: number, ...rest: unknown[]) {
			try {
				fstatSync(fd);
			} catch {
				notOpen.push(fd);
			}
			return close.call(this, fd, ...rest);
		};
		try {
			const failing: Store = { ...store, transaction: () => Promise.reject(new Error('the store went away')) };
			await expect(backupTo(failing, join(folder, 'a.json.gz'))).rejects.toThrow('the store went away');
			mkdirSync(join(folder, 'b.json.gz'));
			expect(await errorCodeOf(backupTo(store, join(folder, 'b.json.gz')))).toBe('bad_request');
			await backupTo(store, join(folder, 'c.json.gz'));
		} finally {
			binding.close = close;
		}
		expect(notOpen).toEqual([]);
		expect(readdirSync(folder).sort()).toEqual(['b.json.gz', 'c.json.gz']);
	});
});
