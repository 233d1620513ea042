import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorCodeOf, testStores, truncateAll } from '../../../../tests/stores';
import * as f from '../../../../tests/factories';
import type { Store } from '../db/store';
import { audit } from '../auth/devices';
import { writeCentreRecords } from '../sync/records';
import { backupTo, restoreFrom } from './backup';

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
});
