/**
 * The sealing keys as an operator meets them: the server makes the first key in its own folder at
 * its first start (not in the database), a tablet seals to it, a backup says it opens no note
 * without that folder, a restore on another machine opens the notes only with it, and a rotation
 * moves tablets to a new key while old notes still open.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokyoDate } from '../src/lib/domain/dates';
import { importSealRecipient, openConsultationText, sealConsultationText } from '../src/lib/domain/seal';
import { migrate } from '../src/lib/server/db/migrate';
import { loadKeyring } from '../src/lib/server/crypto/keyring';
import { writeCentreRecords } from '../src/lib/server/sync/records';
import { createEnrollmentCode } from '../src/lib/server/auth/devices';
import * as f from './factories';
import { enroll, pull, push, Tablet } from './device-api';
import { makePlace, runAdmin, startServer, type Place } from './server-process';

const stores = (process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']) as Array<'pglite' | 'postgres'>;

describe.each(stores)('sealing keys, backups and rotation (%s)', (kind) => {
	let place: Place;
	let other: Place;
	const keysOf = (p: Place) => `${p.dataDir}-keys`;
	let consultationId: string;
	let firstKid: string;
	let backupFile: string;
	const NOTE = 'ねんねの時間が毎晩バラバラ。来週また様子を聞く。';

	beforeAll(async () => {
		place = await makePlace(kind, { from: 'migrated' });
		other = await makePlace(kind, { from: 'migrated' });
		backupFile = join(mkdtempSync(join(tmpdir(), 'hiroba-keys-backup-')), 'backup.json.gz');
	});
	afterAll(async () => {
		await place?.dispose();
		await other?.dispose();
		rmSync(join(backupFile, '..'), { recursive: true, force: true });
	});

	it('makes the first key at the first start, in a private folder of its own; a tablet seals a note to it', async () => {
		const store = await place.open();
		let code: string;
		let sessionId: string;
		let staffId: string;
		let siteId: string;
		try {
			await migrate(store);
			({ code, sessionId, staffId, siteId } = await store.transaction(async (tx) => {
				const [programId] = await writeCentreRecords(tx, 'programs', [{ data: f.program() }]);
				const [siteId] = await writeCentreRecords(tx, 'sites', [{ data: f.site(programId!) }]);
				const [sessionId] = await writeCentreRecords(tx, 'sessions', [{ data: f.session(siteId!, { date: tokyoDate() }) }]);
				const [staffId] = await writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ siteIds: [siteId!] }) }]);
				return { code: '', sessionId: sessionId!, staffId: staffId!, siteId: siteId! };
			}));
			code = (await createEnrollmentCode(store, [siteId], 'test')).code;
		} finally {
			await store.close();
		}
		const server = await startServer({ dataDir: place.dataDir, env: { ...place.env, HIROBA_NO_DEMO: '1' } });
		try {
			const dir = keysOf(place);
			expect(statSync(dir).mode & 0o777).toBe(0o700);
			const files = readdirSync(dir).filter((n) => n.endsWith('.jwk'));
			expect(files).toHaveLength(1);
			expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
			// Nothing of the key is in the data folder.
			expect(readdirSync(place.dataDir).some((n) => n.includes('key'))).toBe(false);

			const device = (await enroll(server.url, code, 'tablet')).body;
			const page = (await pull(server.url, device.token)).body;
			firstKid = page.sealKey.kid;
			expect(files[0]).toBe(`${firstKid}.jwk`);
			const tablet = new Tablet('t').as(device.deviceId);
			const change = tablet.change('consultations', f.consultation(sessionId, staffId));
			consultationId = change.id;
			change.data.sealed = await sealConsultationText(await importSealRecipient(page.sealKey), change.id, { note: NOTE, followUpNote: null });
			expect((await push(server.url, device.token, [change])).body.results[0]!.status).toBe('applied');

			// A note sealed to a key this centre never had is refused, not stored unreadable.
			const stranger = await loadKeyring(mkdtempSync(join(tmpdir(), 'hiroba-stranger-')), { create: true });
			const bad = tablet.change('consultations', f.consultation(sessionId, staffId));
			bad.data.sealed = await sealConsultationText(stranger.recipient, bad.id, { note: 'x', followUpNote: null });
			const refused = (await push(server.url, device.token, [bad])).body.results[0]!;
			expect(refused).toMatchObject({ status: 'rejected', error: { code: 'unknown_seal_key' } });
			rmSync(stranger.dir, { recursive: true, force: true });
		} finally {
			expect(await server.stop()).toBe(0);
		}
	});

	it('a backup says where the key is and that without it no note opens', async () => {
		const r = await runAdmin(['backup', backupFile], { dataDir: place.dataDir, env: place.env });
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(`sealing keys 暗号鍵: ${keysOf(place)}`);
		expect(r.stdout).toContain('all 1 sealed notes open with these keys');
		expect(r.stdout).toContain('without the key folder above it opens no');
		expect(r.stdout).toContain('このバックアップだけでは相談メモは開けません');
	});

	it('restored on another machine, the notes open only with the original key folder', async () => {
		// Another machine with keys of its own: the restore warns, naming the missing key.
		await runAdmin(['keys'], { dataDir: other.dataDir, env: { ...other.env, HIROBA_NO_DEMO: '1' } });
		const lost = await runAdmin(['restore', backupFile, '--json'], { dataDir: other.dataDir, env: other.env });
		expect(lost.code).toBe(0);
		expect(lost.json<{ keys: { missing: string[] } }>().keys.missing).toEqual([firstKid]);
		const human = await runAdmin(['keys'], { dataDir: other.dataDir, env: other.env });
		expect(human.stdout).toContain(`WARNING: 1 notes sealed to ${firstKid} cannot be opened`);

		// With a copy of the original key folder, everything opens again.
		const copied = mkdtempSync(join(tmpdir(), 'hiroba-keys-copy-'));
		cpSync(keysOf(place), copied, { recursive: true });
		const ok = await runAdmin(['keys', '--json'], { dataDir: other.dataDir, env: { ...other.env, HIROBA_KEY_DIR: copied } });
		expect(ok.json<{ missing: string[]; sealedByKey: Record<string, number> }>()).toMatchObject({ missing: [], sealedByKey: { [firstKid]: 1 } });
		const store = await other.open();
		try {
			const sealed = (await store.query<{ s: string }>(`select data->>'sealed' as s from consultations where id = $1`, [consultationId])).rows[0]!.s;
			const ring = await loadKeyring(copied);
			expect((await openConsultationText(sealed, ring.privateKeyFor, consultationId)).note).toBe(NOTE);
			await expect(openConsultationText(sealed, (await loadKeyring(keysOf(other))).privateKeyFor, consultationId)).rejects.toMatchObject({
				code: 'unknown_key'
			});
		} finally {
			await store.close();
			rmSync(copied, { recursive: true, force: true });
		}
	});

	it('rotates: tablets get the new key at their next pull, and notes sealed to the old one still open', async () => {
		const server = await startServer({ dataDir: place.dataDir, env: { ...place.env, HIROBA_NO_DEMO: '1' } });
		try {
			const rotated = await runAdmin(['rotate-key', '--json'], { dataDir: place.dataDir, env: place.env });
			expect(rotated.code).toBe(0);
			const body = rotated.json<{ rotated: string; current: string; held: string[]; missing: string[] }>();
			expect(body.rotated).not.toBe(firstKid);
			expect(body.current).toBe(body.rotated);
			expect(body.held.sort()).toEqual([firstKid, body.rotated].sort());
			expect(body.missing).toEqual([]);
			// The running server notices within a few seconds.
			const store = await place.open().catch(() => null);
			await store?.close();
			const code = await runAdmin(['enroll-code', ...(await siteIds())], { dataDir: place.dataDir, env: place.env });
			expect(code.code).toBe(0);
			const device = (await enroll(server.url, code.stdout.match(/[0-9A-Z]{5}-[0-9A-Z]{5}/)![0], 'tablet 2')).body;
			await expect.poll(async () => (await pull(server.url, device.token)).body.sealKey.kid, { timeout: 10_000, interval: 500 }).toBe(body.rotated);
			const ring = await loadKeyring(keysOf(place));
			expect(ring.privateKeyFor(firstKid)).toBeDefined();
		} finally {
			expect(await server.stop()).toBe(0);
		}
	});

	async function siteIds(): Promise<string[]> {
		const r = await runAdmin(['sites', '--json'], { dataDir: place.dataDir, env: place.env });
		return r.json<{ sites: Array<{ id: string }> }>().sites.map((s) => s.id);
	}
});
