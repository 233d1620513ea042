/**
 * The staff pages through their real handlers: who may reach each page and action, the role rules
 * (a coordinator never touches an admin; nobody locks themselves out), what each action changes and
 * leaves in the audit log, refusals in Japanese that change nothing, a PIN shown once and kept only
 * as its hash, and a deactivated member refused at the centre and, after a real pull, on a tablet.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { verifyPin } from '$lib/domain/pin';
import type { StaffData } from '$lib/domain/schemas';
import type { Store } from '$lib/server/db/store';
import { hashPassword } from '$lib/server/auth/passwords';
import { sessionUser, signIn } from '$lib/server/auth/staff-sessions';
import { writeCentreRecords } from '$lib/server/sync/records';
import { ApiError } from '$lib/sync/errors';
import { StaffLock } from '$lib/client/state/staff-lock.svelte';
import * as list from './(app)/staff/+page.server';
import * as add from './(app)/staff/new/+page.server';
import * as detail from './(app)/staff/[id]/+page.server';
import { openForSuite, testStores, truncateAll } from '../../../tests/stores';
import { centreEvent, outcome, signedIn, type Outcome } from '../../../tests/consultation-log';
import { enrollmentCode, seedCentre, type CentreFixture } from '../../../tests/centre';
import { Tablet } from '../../../tests/tablet';
import * as f from '../../../tests/factories';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated handler types want their own event types */
const call = (fn: unknown, event: RequestEvent) => outcome(() => (fn as (e: any) => unknown)(event));

const PASSWORD = 'correct horse battery';

let passwordHash: Promise<string> | undefined;

describe.each(testStores())('staff pages at the centre on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	/** fx.staffId is 相談員 テスト at 若葉 (fx.siteId). */
	let ids: { admin: string; coordinator: string; coordinator2: string; consultant: string };
	let tokens: { admin: string; coordinator: string; consultant: string };

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		const [admin, coordinator, coordinator2, consultant] = await store.transaction((tx) =>
			writeCentreRecords(tx, 'staff', [
				{ data: f.staffMember({ displayName: '管理者 松本', role: 'admin' }) },
				{ data: f.staffMember({ displayName: 'コーディネーター 高橋', role: 'coordinator' }) },
				{ data: f.staffMember({ displayName: 'コーディネーター 石井', role: 'coordinator' }) },
				{ data: f.staffMember({ displayName: '相談員 山田', siteIds: [fx.siteId] }) }
			])
		);
		ids = { admin: admin!, coordinator: coordinator!, coordinator2: coordinator2!, consultant: consultant! };
		// One scrypt hash for the whole file: a fresh salt per test proves nothing more.
		const hash = await (passwordHash ??= hashPassword(PASSWORD));
		for (const [id, login] of [
			[ids.admin, 'admin1'],
			[ids.coordinator, 'coordinator1'],
			[ids.consultant, 'consultant1']
		] as const) {
			await store.query('update staff set login_name = $2, password_hash = $3 where id = $1', [id, login, hash]);
		}
		tokens = {
			admin: await signedIn(store, ids.admin),
			coordinator: await signedIn(store, ids.coordinator),
			consultant: await signedIn(store, ids.consultant)
		};
	});

	const staffRow = async (id: string) =>
		(
			await store.query<{ data: StaffData; hlc: string; login_name: string | null; password_hash: string | null }>(
				'select data, hlc, login_name, password_hash from staff where id = $1',
				[id]
			)
		).rows[0]!;
	/** Everything a refused action must leave as it was. */
	const snapshot = async () => ({
		staff: (await store.query('select id::text, hlc, data, login_name, password_hash from staff order by id')).rows,
		sessions: (await store.query('select token_hash from staff_sessions order by token_hash')).rows,
		audit: (await store.query(`select count(*)::int as n from audit_log where action like 'staff.%'`)).rows
	});
	const auditRows = async (action: string) =>
		(
			await store.query<{ actor: string; subject: string | null; detail: any }>('select actor, subject, detail from audit_log where action = $1 order by id', [
				action
			])
		).rows;

	const detailEvent = (id: string, token: string | undefined, action?: string, form?: Record<string, string> | Array<[string, string]>) =>
		centreEvent(`/centre/staff/${id}${action ? `?/${action}` : ''}`, { token, params: { id }, form });
	const act = (action: keyof typeof detail.actions, id: string, token: string | undefined, form: Record<string, string> | Array<[string, string]> = {}) =>
		call(detail.actions[action], detailEvent(id, token, action, form));
	const editForm = async (id: string, o: { displayName?: string; role?: string; siteIds?: string[] } = {}): Promise<Array<[string, string]>> => {
		const row = await staffRow(id);
		return [
			['version', row.hlc],
			['displayName', o.displayName ?? row.data.displayName],
			['role', o.role ?? row.data.role],
			...(o.siteIds ?? row.data.siteIds).map((s): [string, string] => ['siteId', s])
		];
	};
	const addForm = (o: { displayName?: string; role?: string; siteIds?: string[] }): Array<[string, string]> => [
		['displayName', o.displayName ?? '相談員 新井'],
		['role', o.role ?? 'consultant'],
		...(o.siteIds ?? []).map((s): [string, string] => ['siteId', s])
	];
	const failOf = (o: Outcome) => {
		expect(o.kind).toBe('fail');
		return o as Extract<Outcome, { kind: 'fail' }>;
	};

	/** Every page and action, as the holder of `token` would call it, on the consultant 山田. */
	function everyHandler(token: string | undefined) {
		const target = () => ids.consultant;
		return [
			['list', () => call(list.load, centreEvent('/centre/staff', { token }))],
			['new', () => call(add.load, centreEvent('/centre/staff/new', { token }))],
			['add', () => call(add.actions.default, centreEvent('/centre/staff/new', { token, form: addForm({}) }))],
			['detail', () => call(detail.load, detailEvent(target(), token))],
			['update', async () => act('update', target(), token, await editForm(target(), { displayName: '相談員 山田花子' }))],
			['pin', () => act('pin', target(), token, { mode: 'issue' })],
			['password', () => act('password', target(), token, { loginName: 'yamada', password: PASSWORD, passwordConfirm: PASSWORD })],
			['deactivate', () => act('deactivate', target(), token)],
			['reactivate', () => act('reactivate', target(), token)]
		] as const;
	}

	describe('who may reach them', () => {
		it('sends a signed-out visitor to the sign-in page from every page and action, changing nothing', async () => {
			const before = await snapshot();
			for (const [name, run] of everyHandler(undefined)) {
				const o = await run();
				expect(o.kind, name).toBe('redirect');
				expect((o as { location: string }).location, name).toMatch(/^\/centre\/login\?next=%2Fcentre%2Fstaff/);
			}
			expect(await snapshot()).toEqual(before);
		});

		it('refuses a consultant everywhere with 403, changing nothing', async () => {
			const before = await snapshot();
			for (const [name, run] of everyHandler(tokens.consultant)) expect(await run(), name).toMatchObject({ kind: 'error', status: 403 });
			expect(await snapshot()).toEqual(before);
		});

		it('lists everyone for a coordinator: role, sites, active, PIN and login', async () => {
			const o = await call(list.load, centreEvent('/centre/staff', { token: tokens.coordinator }));
			expect(o.kind).toBe('ok');
			const { staff, siteNames } = (o as { value: { staff: any[]; siteNames: Record<string, string> } }).value;
			expect(staff.map((m) => m.role)).toEqual(['admin', 'coordinator', 'coordinator', 'consultant', 'consultant']);
			const yamada = staff.find((m) => m.id === ids.consultant);
			expect(yamada).toMatchObject({ role: 'consultant', siteIds: [fx.siteId], active: true, hasPin: false, hasLogin: true, loginName: 'consultant1' });
			expect(siteNames[fx.siteId]).toBe('若葉児童館');
			// Only whether a PIN or password exists reaches the page, never a hash.
			expect(JSON.stringify(o)).not.toMatch(/pbkdf2|scrypt/);
			expect(staff.find((m) => m.id === ids.admin)).toMatchObject({ manageable: false });
			expect(staff.find((m) => m.id === ids.coordinator)).toMatchObject({ manageable: true, self: true });
		});
	});

	describe('role rules', () => {
		it('lets a coordinator give only the consultant and coordinator roles', async () => {
			const o = await call(add.load, centreEvent('/centre/staff/new', { token: tokens.coordinator }));
			expect((o as { value: { roles: string[] } }).value.roles).toEqual(['consultant', 'coordinator']);
			const a = await call(add.load, centreEvent('/centre/staff/new', { token: tokens.admin }));
			expect((a as { value: { roles: string[] } }).value.roles).toEqual(['consultant', 'coordinator', 'admin']);
		});

		it('refuses a coordinator who creates an admin, grants the admin role or changes an admin, changing nothing', async () => {
			const before = await snapshot();
			const refusals = [
				await call(add.actions.default, centreEvent('/centre/staff/new', { token: tokens.coordinator, form: addForm({ role: 'admin' }) })),
				await act('update', ids.consultant, tokens.coordinator, await editForm(ids.consultant, { role: 'admin' })),
				await act('update', ids.admin, tokens.coordinator, await editForm(ids.admin, { displayName: '管理者 まつもと' })),
				await act('pin', ids.admin, tokens.coordinator, { mode: 'issue' }),
				await act('password', ids.admin, tokens.coordinator, { loginName: 'admin1', password: PASSWORD, passwordConfirm: PASSWORD }),
				await act('deactivate', ids.admin, tokens.coordinator)
			];
			for (const o of refusals) expect(o).toMatchObject({ kind: 'error', status: 403 });
			expect((refusals[0] as { message: string }).message).toBe('管理者の役割を付与できるのは管理者だけです');
			expect((refusals[2] as { message: string }).message).toBe('管理者の職員を変更できるのは管理者だけです');
			expect(await snapshot()).toEqual(before);
		});

		it('lets a coordinator manage another coordinator, and an admin grant the admin role', async () => {
			expect(await act('deactivate', ids.coordinator2, tokens.coordinator)).toMatchObject({ kind: 'ok' });
			expect((await staffRow(ids.coordinator2)).data.active).toBe(false);
			expect(await act('update', ids.coordinator, tokens.admin, await editForm(ids.coordinator, { role: 'admin' }))).toMatchObject({ kind: 'ok' });
			expect((await staffRow(ids.coordinator)).data.role).toBe('admin');
			expect((await auditRows('staff.update'))[0]).toEqual({
				actor: `staff:${ids.admin}`,
				subject: ids.coordinator,
				detail: { fields: ['role'], role: { from: 'coordinator', to: 'admin' } }
			});
		});

		it('refuses to let anyone deactivate themselves or drop their own admin role', async () => {
			const before = await snapshot();
			const selfOff = failOf(await act('deactivate', ids.coordinator, tokens.coordinator));
			expect(selfOff.status).toBe(400);
			expect(selfOff.data.errors).toEqual({ form: '自分自身を無効にすることはできません' });
			expect(failOf(await act('deactivate', ids.admin, tokens.admin)).data.errors).toEqual({ form: '自分自身を無効にすることはできません' });
			const demote = failOf(await act('update', ids.admin, tokens.admin, await editForm(ids.admin, { role: 'coordinator' })));
			expect(demote.data.errors).toEqual({ role: '自分の管理者の役割は外せません。ほかの管理者に依頼してください。' });
			expect(await snapshot()).toEqual(before);
			// The detail page tells the same before anyone tries.
			const page = await call(detail.load, detailEvent(ids.coordinator, tokens.coordinator));
			expect(page).toMatchObject({ kind: 'ok', value: { self: true, manageable: true } });
		});
	});

	describe('adding and editing', () => {
		it('adds a consultant at two sites, flowing to tablets as a roster record, and audits it', async () => {
			const o = await call(
				add.actions.default,
				centreEvent('/centre/staff/new', { token: tokens.coordinator, form: addForm({ displayName: '  相談員 新井  ', siteIds: [fx.siteId, fx.otherSiteId] }) })
			);
			expect(o.kind).toBe('redirect');
			const id = (o as { location: string }).location.match(/^\/centre\/staff\/([0-9a-f-]{36})\?added=1$/)![1]!;
			const row = await staffRow(id);
			expect(row.data).toEqual({ displayName: '相談員 新井', role: 'consultant', pinHash: null, siteIds: [fx.siteId, fx.otherSiteId], active: true });
			expect(row.hlc).toMatch(/:centre$/);
			expect(await auditRows('staff.create')).toEqual([
				{ actor: `staff:${ids.coordinator}`, subject: id, detail: { role: 'consultant', siteIds: [fx.siteId, fx.otherSiteId] } }
			]);
			const page = await call(detail.load, detailEvent(id, tokens.coordinator));
			expect(page).toMatchObject({ kind: 'ok', value: { added: false, member: { displayName: '相談員 新井', hasPin: false, hasLogin: false } } });
		});

		it('refuses a form with a missing name, an unknown role or site, in Japanese at the field, adding nobody', async () => {
			const before = await snapshot();
			const cases: Array<[Array<[string, string]>, Record<string, string>]> = [
				[addForm({ displayName: '   ' }), { displayName: '名前を入力してください' }],
				[addForm({ displayName: 'あ'.repeat(41) }), { displayName: '名前は40文字までにしてください' }],
				[addForm({ displayName: 'タブ\tあり' }), { displayName: '名前に使えない文字が含まれています' }],
				[addForm({ role: 'director' }), { role: '役割を選んでください' }],
				[addForm({ siteIds: ['not-a-site'] }), { siteId: '会場の指定が正しくありません' }],
				[addForm({ siteIds: [f.id()] }), { siteId: '選んだ会場が見つかりません。画面を読み込み直してください。' }]
			];
			for (const [form, errors] of cases) {
				const o = failOf(await call(add.actions.default, centreEvent('/centre/staff/new', { token: tokens.coordinator, form })));
				expect(o.status).toBe(400);
				expect(o.data.errors).toEqual(errors);
			}
			expect(await snapshot()).toEqual(before);
		});

		it('edits name, role and sites, naming only the fields changed in the audit log', async () => {
			const o = await act(
				'update',
				ids.consultant,
				tokens.coordinator,
				await editForm(ids.consultant, { displayName: '相談員 山田花子', role: 'coordinator', siteIds: [fx.otherSiteId] })
			);
			expect(o).toEqual({ kind: 'ok', value: { updated: true } });
			expect((await staffRow(ids.consultant)).data).toMatchObject({ displayName: '相談員 山田花子', role: 'coordinator', siteIds: [fx.otherSiteId] });
			expect(await auditRows('staff.update')).toEqual([
				{
					actor: `staff:${ids.coordinator}`,
					subject: ids.consultant,
					detail: {
						fields: ['displayName', 'role', 'siteIds'],
						role: { from: 'consultant', to: 'coordinator' },
						sitesAdded: [fx.otherSiteId],
						sitesRemoved: [fx.siteId]
					}
				}
			]);
		});

		it('refuses an edit with nothing changed, or made on a version someone else has since changed', async () => {
			const stale = await editForm(ids.consultant, { displayName: '相談員 山田花子' });
			const before = await snapshot();
			expect(failOf(await act('update', ids.consultant, tokens.coordinator, await editForm(ids.consultant))).data.errors).toEqual({
				form: '変更された項目がありません'
			});
			expect(await snapshot()).toEqual(before);
			expect(await act('update', ids.consultant, tokens.admin, await editForm(ids.consultant, { displayName: '相談員 山田太郎' }))).toMatchObject({
				kind: 'ok'
			});
			const late = failOf(await act('update', ids.consultant, tokens.coordinator, stale));
			expect(late.status).toBe(409);
			expect(late.data.errors).toEqual({ form: expect.stringContaining('ほかの人がこの職員を先に更新しました') });
			expect((await staffRow(ids.consultant)).data.displayName).toBe('相談員 山田太郎');
		});

		it('answers 404 for a member that does not exist', async () => {
			const nobody = f.id();
			expect(await call(detail.load, detailEvent(nobody, tokens.coordinator))).toMatchObject({ kind: 'error', status: 404 });
			expect(await act('pin', nobody, tokens.coordinator, { mode: 'issue' })).toMatchObject({ kind: 'error', status: 404 });
			expect(await call(detail.load, detailEvent('not-a-uuid', tokens.coordinator))).toMatchObject({ kind: 'error', status: 404 });
		});
	});

	describe('tablet PIN', () => {
		it('issues a random 6-digit PIN shown once: only its hash is stored, the audit log and the page never hold it', async () => {
			const o = await act('pin', ids.consultant, tokens.coordinator, { mode: 'issue' });
			expect(o.kind).toBe('ok');
			const { pin, displayName } = (o as { value: { pinIssued: { pin: string; displayName: string } } }).value.pinIssued;
			expect(pin).toMatch(/^\d{6}$/);
			expect(displayName).toBe('相談員 山田');
			const stored = (await staffRow(ids.consultant)).data.pinHash!;
			expect(stored).toMatch(/^pbkdf2-sha256\$2000000\$/);
			expect(await verifyPin(pin, stored)).toBe(true);
			const everything = JSON.stringify((await store.query('select * from staff')).rows) + JSON.stringify((await store.query('select * from audit_log')).rows);
			expect(everything).not.toContain(`"${pin}"`);
			expect(everything).not.toMatch(new RegExp(`[^0-9A-Za-z_-]${pin}[^0-9A-Za-z_-]`));
			expect(await auditRows('staff.pin_reset')).toEqual([{ actor: `staff:${ids.coordinator}`, subject: ids.consultant, detail: { issued: true } }]);
			// Coming back to the page shows that a PIN is set, never which.
			const page = await call(detail.load, detailEvent(ids.consultant, tokens.coordinator));
			expect(page).toMatchObject({ kind: 'ok', value: { member: { hasPin: true } } });
			expect(JSON.stringify(page)).not.toContain(pin);
			expect(JSON.stringify(page)).not.toContain('pbkdf2');
			// A new PIN replaces the old one.
			const again = (await act('pin', ids.consultant, tokens.coordinator, { mode: 'issue' })) as { value: { pinIssued: { pin: string } } };
			const newHash = (await staffRow(ids.consultant)).data.pinHash!;
			expect(newHash).not.toBe(stored);
			expect(await verifyPin(again.value.pinIssued.pin, newHash)).toBe(true);
		});

		it('sets a typed PIN without echoing it, and refuses a short, guessable or mistyped one in Japanese', async () => {
			const before = await snapshot();
			const cases: Array<[Record<string, string>, Record<string, string>]> = [
				[{ mode: 'typed', pin: '12345', pinConfirm: '12345' }, { pin: 'PINは6〜8桁の数字で入力してください' }],
				[{ mode: 'typed', pin: '12345a', pinConfirm: '12345a' }, { pin: 'PINは6〜8桁の数字で入力してください' }],
				[{ mode: 'typed', pin: '000000', pinConfirm: '000000' }, { pin: '推測されやすいPIN（同じ数字の繰り返しや連番）は使えません' }],
				[{ mode: 'typed', pin: '123456', pinConfirm: '123456' }, { pin: '推測されやすいPIN（同じ数字の繰り返しや連番）は使えません' }],
				[{ mode: 'typed', pin: '583920', pinConfirm: '583921' }, { pinConfirm: '確認のPINが一致しません' }],
				[{ mode: 'typed', pinConfirm: '583920' }, { pin: 'PINを入力してください' }],
				[{ mode: 'guess' }, { mode: 'PINの設定方法を選んでください' }]
			];
			for (const [form, errors] of cases) {
				const o = failOf(await act('pin', ids.consultant, tokens.coordinator, form));
				expect(o.status).toBe(400);
				expect(o.data.errors).toEqual(errors);
				expect(JSON.stringify(o.data)).not.toContain(form.pin ?? '@@');
			}
			expect(await snapshot()).toEqual(before);
			const ok = await act('pin', ids.consultant, tokens.coordinator, { mode: 'typed', pin: '58392017', pinConfirm: '58392017' });
			expect(ok).toEqual({ kind: 'ok', value: { pinSet: true } });
			expect(await verifyPin('58392017', (await staffRow(ids.consultant)).data.pinHash!)).toBe(true);
			expect(await auditRows('staff.pin_reset')).toEqual([{ actor: `staff:${ids.coordinator}`, subject: ids.consultant, detail: { issued: false } }]);
		});
	});

	describe('centre login', () => {
		it('gives a member a login and password (hashed), which then signs in; the audit log holds no secret', async () => {
			const o = await act('password', fx.staffId, tokens.coordinator, { loginName: ' Tesuto.Aoki ', password: PASSWORD, passwordConfirm: PASSWORD });
			expect(o).toEqual({ kind: 'ok', value: { passwordSet: { loginName: 'tesuto.aoki' } } });
			const row = await staffRow(fx.staffId);
			expect(row.login_name).toBe('tesuto.aoki');
			expect(row.password_hash).toMatch(/^scrypt\$/);
			expect(row.password_hash).not.toContain(PASSWORD);
			const { user } = await signIn(store, { loginName: 'TESUTO.AOKI', password: PASSWORD }, '127.0.0.1', null);
			expect(user.id).toBe(fx.staffId);
			const audit = await auditRows('staff.password_set');
			expect(audit).toEqual([
				{ actor: `staff:${ids.coordinator}`, subject: fx.staffId, detail: { loginNameChanged: true, hadLogin: false, sessionsEnded: 0 } }
			]);
			expect(JSON.stringify(audit)).not.toContain(PASSWORD);
		});

		it('refuses a taken login name, a short password or a mistyped confirmation in Japanese, changing nothing', async () => {
			const before = await snapshot();
			const cases: Array<[Record<string, string>, Record<string, string>]> = [
				[{ loginName: 'Coordinator1', password: PASSWORD, passwordConfirm: PASSWORD }, { loginName: 'このログインIDはすでに使われています' }],
				[
					{ loginName: 'ab', password: PASSWORD, passwordConfirm: PASSWORD },
					{ loginName: 'ログインIDは3〜40文字の半角英数字と . _ - で、英数字から始めてください' }
				],
				[{ loginName: 'tesuto', password: 'short', passwordConfirm: 'short' }, { password: 'パスワードは10文字以上にしてください' }],
				[{ loginName: 'tesuto', password: PASSWORD, passwordConfirm: PASSWORD + '!' }, { passwordConfirm: '確認のパスワードが一致しません' }],
				[{ loginName: 'tesuto', passwordConfirm: PASSWORD }, { password: 'パスワードを入力してください' }]
			];
			for (const [form, errors] of cases) {
				const o = failOf(await act('password', fx.staffId, tokens.coordinator, form));
				expect(o.status).toBe(400);
				expect(o.data.errors).toEqual(errors);
				// Only the login name comes back to the form.
				expect(Object.keys(o.data.values as object)).toEqual(['loginName']);
			}
			expect(await snapshot()).toEqual(before);
		});

		it('ends the member’s open centre sessions when someone resets their password, but keeps yours when you change your own', async () => {
			expect(await sessionUser(store, tokens.consultant)).not.toBeNull();
			await act('password', ids.consultant, tokens.coordinator, { loginName: 'consultant1', password: PASSWORD + '2', passwordConfirm: PASSWORD + '2' });
			expect(await sessionUser(store, tokens.consultant)).toBeNull();
			const other = await signedIn(store, ids.coordinator);
			await act('password', ids.coordinator, tokens.coordinator, { loginName: 'coordinator1', password: PASSWORD + '3', passwordConfirm: PASSWORD + '3' });
			expect(await sessionUser(store, tokens.coordinator)).not.toBeNull();
			expect(await sessionUser(store, other)).toBeNull();
		});
	});

	describe('deactivating', () => {
		it('ends a deactivated member’s centre sessions and refuses their sign-in until reactivated; both audited', async () => {
			const second = await signedIn(store, ids.consultant);
			const o = await act('deactivate', ids.consultant, tokens.coordinator);
			expect(o).toEqual({ kind: 'ok', value: { activeChanged: { active: false, displayName: '相談員 山田' } } });
			expect((await staffRow(ids.consultant)).data.active).toBe(false);
			expect((await store.query('select 1 from staff_sessions where staff_id = $1', [ids.consultant])).rows).toEqual([]);
			expect(await sessionUser(store, tokens.consultant)).toBeNull();
			expect(await sessionUser(store, second)).toBeNull();
			await expect(signIn(store, { loginName: 'consultant1', password: PASSWORD }, '127.0.0.1', null)).rejects.toBeInstanceOf(ApiError);
			expect(await auditRows('staff.deactivate')).toEqual([{ actor: `staff:${ids.coordinator}`, subject: ids.consultant, detail: { sessionsEnded: 2 } }]);
			// Twice is refused, and changes nothing.
			expect(failOf(await act('deactivate', ids.consultant, tokens.coordinator)).data.errors).toEqual({ form: 'この職員はすでに無効になっています' });

			expect(await act('reactivate', ids.consultant, tokens.coordinator)).toMatchObject({ kind: 'ok' });
			expect(await auditRows('staff.reactivate')).toEqual([{ actor: `staff:${ids.coordinator}`, subject: ids.consultant, detail: null }]);
			const { user } = await signIn(store, { loginName: 'consultant1', password: PASSWORD }, '127.0.0.1', null);
			expect(user.id).toBe(ids.consultant);
		});
	});

	describe('on the tablets, after a real pull', () => {
		it('a deactivated member can no longer unlock the tablet once it has synced', async () => {
			const tablet = new Tablet('若葉');
			const lock = new StaffLock(tablet.db);
			try {
				const issued = (await act('pin', ids.consultant, tokens.coordinator, { mode: 'issue' })) as { value: { pinIssued: { pin: string } } };
				const pin = issued.value.pinIssued.pin;
				await tablet.enroll(await enrollmentCode(store, [fx.siteId]));
				await tablet.sync();
				expect((await lock.roster([fx.siteId])).map((s) => s.displayName)).toEqual(['相談員 山田']);
				expect(await lock.unlock(ids.consultant, pin)).toBe('ok');
				lock.lock();

				await act('deactivate', ids.consultant, tokens.coordinator);
				// Until it syncs, the tablet cannot know (it works offline).
				await tablet.sync();
				expect(tablet.engine.status.state).toBe('idle');
				expect(await lock.roster([fx.siteId])).toEqual([]);
				expect(await lock.unlock(ids.consultant, pin)).toBe('wrong');
				expect(lock.staff).toBeNull();
			} finally {
				lock.dispose();
				tablet.close();
			}
		});

		it('a member taken off a site leaves that site’s tablets and reaches the new site’s', async () => {
			const here = new Tablet('若葉');
			const there = new Tablet('桜台');
			try {
				await here.enroll(await enrollmentCode(store, [fx.siteId]));
				await there.enroll(await enrollmentCode(store, [fx.otherSiteId]));
				await Promise.all([here.sync(), there.sync()]);
				expect(await here.ids('staff')).toContain(ids.consultant);
				expect(await there.ids('staff')).not.toContain(ids.consultant);

				await act('update', ids.consultant, tokens.coordinator, await editForm(ids.consultant, { siteIds: [fx.otherSiteId] }));
				await Promise.all([here.sync(), there.sync()]);
				expect(await here.db.staff.get(ids.consultant)).toBeUndefined();
				expect(await there.ids('staff')).toContain(ids.consultant);
			} finally {
				here.close();
				there.close();
			}
		});
	});
});
