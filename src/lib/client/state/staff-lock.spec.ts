import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { hashPin } from '$lib/domain/pin';
import { uuidv7 } from '$lib/domain/ids';
import { HirobaDB, META } from '../db/db';
import { IDLE_MS, lockoutMs, rosterOrder, StaffLock, type StoredLockouts } from './staff-lock.svelte';
import * as f from '../../../../tests/factories';

const FAST = 1000;
const DAY = 24 * 60 * 60_000;

let db: HirobaDB;
/** The monotonic clock the locks run on: tests move it by hand. */
let mono = 0;
const siteId = uuidv7();
let yamada: string;
let kawamura: string;
let locks: StaffLock[] = [];

/** A page's lock; each new one is a reload (a fresh page on the same database). */
function page(opts: { persistEveryMs?: number; idleMs?: number } = {}): StaffLock {
	const lock = new StaffLock(db, { clock: () => mono, ...opts });
	locks.push(lock);
	return lock;
}

async function reload(opts: { persistEveryMs?: number } = {}): Promise<StaffLock> {
	const lock = page(opts);
	await lock.load();
	return lock;
}

const stored = async () => db.getMeta<StoredLockouts>(META.pinLockout);

async function failTimes(lock: StaffLock, id: string, n: number): Promise<void> {
	for (let i = 0; i < n; i++) expect(await lock.unlock(id, '000000')).toBe('wrong');
}

beforeEach(async () => {
	db = new HirobaDB(`lock-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
	mono = 1_000;
	yamada = uuidv7();
	kawamura = uuidv7();
	const put = async (id: string, o: Parameters<typeof f.staffMember>[0]) =>
		db.staff.put({ ...f.staffMember(o), id, hlc: '000000000000001:00000:centre', deleted: false });
	await put(yamada, { displayName: '相談員 山田', pinHash: await hashPin('482193', FAST), siteIds: [siteId] });
	await put(kawamura, { displayName: '相談員 川村', pinHash: await hashPin('730516', FAST), siteIds: [siteId] });
	await put(uuidv7(), { displayName: 'コーディネーター 高橋', role: 'coordinator', pinHash: await hashPin('615840', FAST), siteIds: [] });
	await put(uuidv7(), { displayName: '別会場 相談員', pinHash: await hashPin('290374', FAST), siteIds: [uuidv7()] });
	await put(uuidv7(), { displayName: '退職 相談員', pinHash: await hashPin('857102', FAST), siteIds: [siteId], active: false });
});
afterEach(() => {
	for (const lock of locks) lock.dispose();
	locks = [];
	vi.useRealTimers();
	vi.restoreAllMocks();
	db.close();
});

describe('StaffLock', () => {
	it('offers the staff of this tablet’s sites and the ward-wide coordinators, nobody else, consultants first', async () => {
		expect((await page().roster([siteId])).map((s) => s.displayName)).toEqual(['相談員 山田', '相談員 川村', 'コーディネーター 高橋']);
	});

	it('orders the picker: consultants before coordinators and admins, each by name', () => {
		const names = [
			{ displayName: '管理者 松本', role: 'admin' as const },
			{ displayName: 'コーディネーター 石井', role: 'coordinator' as const },
			{ displayName: '相談員 森下', role: 'consultant' as const },
			{ displayName: 'コーディネーター 高橋', role: 'coordinator' as const },
			{ displayName: 'あおき', role: 'consultant' as const }
		];
		expect(names.sort(rosterOrder).map((s) => s.displayName)).toEqual([
			'あおき',
			'相談員 森下',
			'コーディネーター 高橋',
			'コーディネーター 石井',
			'管理者 松本'
		]);
	});

	it('unlocks with the right PIN and not with a wrong one', async () => {
		const lock = page();
		expect(await lock.unlock(yamada, '999999')).toBe('wrong');
		expect(lock.staff).toBeNull();
		expect(lock.failuresOf(yamada)).toBe(1);
		expect(await lock.unlock(yamada, '482193')).toBe('ok');
		expect(lock.staff).toMatchObject({ id: yamada, displayName: '相談員 山田', role: 'consultant' });
		expect(lock.failuresOf(yamada)).toBe(0);
	});

	it('makes a member’s failures wait longer and longer, on the monotonic clock', async () => {
		expect([1, 4, 5, 6, 7, 20].map(lockoutMs)).toEqual([0, 0, 30_000, 60_000, 120_000, 900_000]);
		const lock = page();
		await failTimes(lock, yamada, 5);
		expect(lock.waitMs(yamada)).toBe(30_000);
		expect(await lock.unlock(yamada, '482193')).toBe('locked');
		mono += 29_999;
		expect(await lock.unlock(yamada, '482193')).toBe('locked');
		mono += 2;
		expect(await lock.unlock(yamada, '000000')).toBe('wrong'); // the 6th failure: a minute
		expect(lock.waitMs(yamada)).toBe(60_000);
		mono += 60_001;
		expect(await lock.unlock(yamada, '482193')).toBe('ok');
	});

	it('counts failures per member: a stranger failing on 山田’s PIN does not lock 川村 out', async () => {
		const lock = page();
		await failTimes(lock, yamada, 5);
		expect(await lock.unlock(yamada, '482193')).toBe('locked');
		expect(lock.failuresOf(kawamura)).toBe(0);
		expect(lock.waitMs(kawamura)).toBe(0);
		expect(await lock.unlock(kawamura, '730516')).toBe('ok');
		expect(await lock.unlock(yamada, '482193')).toBe('locked');
	});

	it('a success resets only that member’s count', async () => {
		const lock = page();
		await failTimes(lock, yamada, 3);
		await failTimes(lock, kawamura, 3);
		expect(await lock.unlock(yamada, '482193')).toBe('ok');
		expect(lock.failuresOf(yamada)).toBe(0);
		expect(lock.failuresOf(kawamura)).toBe(3);
		expect((await stored())?.members).toEqual({ [kawamura]: { failures: 3, remainingMs: 0 } });
		// 山田 has four free attempts again; 川村 has one left.
		await failTimes(lock, yamada, 4);
		expect(lock.waitMs(yamada)).toBe(0);
		await failTimes(lock, kawamura, 2);
		expect(await lock.unlock(kawamura, '730516')).toBe('locked');
	});

	it('keeps a lockout across a reload, resuming the remaining wait (time with the page closed is not credited)', async () => {
		const first = page();
		await failTimes(first, yamada, 5);
		mono += 10_000;
		await first.persist(); // as on pagehide: 20 s remain
		first.dispose();

		mono = 0; // a new page: its monotonic clock starts again
		const second = await reload();
		expect(second.failuresOf(yamada)).toBe(5);
		expect(second.waitMs(yamada)).toBe(20_000);
		expect(await second.unlock(yamada, '482193')).toBe('locked');
		mono += 19_999;
		expect(await second.unlock(yamada, '482193')).toBe('locked');

		// Reloading again before the remainder was written anew: the wait errs long, never short.
		const third = await reload();
		expect(third.waitMs(yamada)).toBe(20_000);
		mono += 20_001;
		expect(await third.unlock(yamada, '482193')).toBe('ok');
		expect((await stored())?.members).toEqual({});
	});

	it('does not unlock when the wall clock moves a day forward or back; the monotonic clock does', async () => {
		vi.useFakeTimers({ toFake: ['Date'] });
		vi.setSystemTime(new Date('2026-05-11T10:00:00+09:00'));
		const lock = page();
		await failTimes(lock, yamada, 5);
		vi.setSystemTime(Date.now() + DAY);
		expect(await lock.unlock(yamada, '482193')).toBe('locked');
		expect(await (await reload()).unlock(yamada, '482193')).toBe('locked');
		vi.setSystemTime(Date.now() - 2 * DAY);
		expect(await lock.unlock(yamada, '482193')).toBe('locked');
		mono += 30_001;
		expect(await lock.unlock(yamada, '482193')).toBe('ok');
	});

	it('writes the remaining wait every few seconds while someone waits', async () => {
		const lock = page({ persistEveryMs: 10 });
		await failTimes(lock, yamada, 5);
		expect((await stored())?.members[yamada]).toEqual({ failures: 5, remainingMs: 30_000 });
		mono += 12_000;
		await vi.waitFor(async () => expect((await stored())?.members[yamada]?.remainingMs).toBe(18_000));
		mono += 18_000;
		await vi.waitFor(async () => expect((await stored())?.members[yamada]).toEqual({ failures: 5, remainingMs: 0 }));
	});

	it('counts a failure before the PIN is checked, so reloading during the check does not make a guess free', async () => {
		const lock = page();
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		const get = db.staff.get.bind(db.staff);
		// The member's row is read after the failure is kept, and held back here until we have looked.
		const held = (async (key: string) => {
			await gate;
			return get(key);
		}) as unknown as typeof db.staff.get;
		vi.spyOn(db.staff, 'get').mockImplementation(held);
		const attempt = lock.unlock(yamada, '000000');
		await vi.waitFor(async () => expect((await stored())?.members[yamada]?.failures).toBe(1));
		release();
		expect(await attempt).toBe('wrong');
	});

	it('sees failures another window counted for the same member', async () => {
		const a = page();
		const b = await reload();
		await failTimes(a, yamada, 5);
		expect(await b.unlock(yamada, '482193')).toBe('locked');
		expect(b.waitMs(yamada)).toBe(30_000);
		// …and a write by one window leaves the other window's members alone.
		await failTimes(b, kawamura, 1);
		expect(Object.keys((await stored())!.members).sort()).toEqual([yamada, kawamura].sort());
	});

	it('drops the old tablet-wide lockout and entries of staff no longer on the tablet', async () => {
		await db.setMeta(META.pinLockout, { failures: 9, until: Date.now() + DAY });
		let lock = await reload();
		expect(lock.waitMs(yamada)).toBe(0);
		expect(await lock.unlock(yamada, '482193')).toBe('ok');
		expect(await stored()).toEqual({ v: 2, members: {} });

		const gone = uuidv7();
		await db.setMeta(META.pinLockout, {
			v: 2,
			members: { [gone]: { failures: 6, remainingMs: 60_000 }, [kawamura]: { failures: 5, remainingMs: 99 * DAY } }
		} satisfies StoredLockouts);
		lock = await reload();
		// An absurd remainder is cut to the longest wait.
		expect(lock.waitMs(kawamura)).toBe(15 * 60_000);
		expect(await stored()).toEqual({ v: 2, members: { [kawamura]: { failures: 5, remainingMs: 15 * 60_000 } } });
	});

	it('locks itself after the idle period (5 minutes on tablets), and activity keeps it open', async () => {
		expect(IDLE_MS).toBe(5 * 60_000);
		const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
		const lock = page({ idleMs: 300 });
		await lock.unlock(yamada, '482193');
		await sleep(200);
		lock.touch();
		await sleep(200);
		expect(lock.staff).not.toBeNull();
		await sleep(250);
		expect(lock.staff).toBeNull();
	});
});
