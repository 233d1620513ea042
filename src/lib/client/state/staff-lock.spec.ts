import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { hashPin } from '$lib/domain/pin';
import { uuidv7 } from '$lib/domain/ids';
import { HirobaDB } from '../db/db';
import { IDLE_MS, lockoutMs, StaffLock } from './staff-lock.svelte';
import * as f from '../../../../tests/factories';

let db: HirobaDB;
let now = 1_000_000;
const siteId = uuidv7();
let yamada: string;

beforeEach(async () => {
	db = new HirobaDB(`lock-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
	yamada = uuidv7();
	const put = async (id: string, o: Parameters<typeof f.staffMember>[0]) =>
		db.staff.put({ ...f.staffMember(o), id, hlc: '000000000000001:00000:centre', deleted: false });
	await put(yamada, { displayName: '相談員 山田', pinHash: await hashPin('1234', 1000), siteIds: [siteId] });
	await put(uuidv7(), { displayName: 'コーディネーター 高橋', role: 'coordinator', pinHash: await hashPin('7890', 1000), siteIds: [] });
	await put(uuidv7(), { displayName: '別会場 相談員', pinHash: await hashPin('1111', 1000), siteIds: [uuidv7()] });
	await put(uuidv7(), { displayName: '退職 相談員', pinHash: await hashPin('2222', 1000), siteIds: [siteId], active: false });
});
afterEach(() => db.close());

describe('StaffLock', () => {
	it('offers the staff of this tablet’s sites and the ward-wide coordinators, nobody else', async () => {
		const lock = new StaffLock(db);
		expect((await lock.roster([siteId])).map((s) => s.displayName)).toEqual(['コーディネーター 高橋', '相談員 山田']);
	});

	it('unlocks with the right PIN and not with a wrong one', async () => {
		const lock = new StaffLock(db, { now: () => now });
		expect(await lock.unlock(yamada, '9999')).toBe('wrong');
		expect(lock.staff).toBeNull();
		expect(await lock.unlock(yamada, '1234')).toBe('ok');
		expect(lock.staff).toMatchObject({ id: yamada, displayName: '相談員 山田', role: 'consultant' });
		expect(lock.failures).toBe(0);
	});

	it('makes failures wait longer and longer, and remembers that across a reload', async () => {
		expect([1, 4, 5, 6, 7, 20].map(lockoutMs)).toEqual([0, 0, 30_000, 60_000, 120_000, 900_000]);
		const lock = new StaffLock(db, { now: () => now });
		for (let i = 0; i < 5; i++) expect(await lock.unlock(yamada, '0000')).toBe('wrong');
		expect(await lock.unlock(yamada, '1234')).toBe('locked');
		const reloaded = new StaffLock(db, { now: () => now });
		await reloaded.load();
		expect(await reloaded.unlock(yamada, '1234')).toBe('locked');
		now += 30_001;
		expect(await reloaded.unlock(yamada, '1234')).toBe('ok');
	});

	it('locks itself after the idle period (5 minutes on tablets), and activity keeps it open', async () => {
		expect(IDLE_MS).toBe(5 * 60_000);
		const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
		const lock = new StaffLock(db, { idleMs: 300 });
		await lock.unlock(yamada, '1234');
		await sleep(200);
		lock.touch();
		await sleep(200);
		expect(lock.staff).not.toBeNull();
		await sleep(250);
		expect(lock.staff).toBeNull();
	});
});
