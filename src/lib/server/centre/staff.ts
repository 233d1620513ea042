/**
 * The staff roster as the centre manages it (`/centre/staff`): who works where, in which role,
 * whether they can unlock a tablet (a PIN) and sign in at the centre (a login and password).
 *
 * The roster row (name, role, sites, PIN hash, active) is a synced record, written through
 * writeCentreRecords so that tablets receive the change at their next pull: a member deactivated
 * here can no longer unlock any tablet after that tablet's next sync (staff-lock filters `active`),
 * and a member taken off a site is evicted from that site's tablets (pull.ts). The login name and
 * password hash are centre-only columns, never in `data`, never sent to a tablet.
 *
 * Who may do what: an admin manages everyone; a coordinator manages consultants and coordinators
 * but cannot touch an admin nor grant the admin role. Nobody may deactivate themselves or drop
 * their own admin role, so the centre cannot be locked out by a slip of the mouse.
 *
 * A PIN is shown once, to the coordinator who issued it, and kept only as its slow hash; neither
 * a PIN nor a password ever reaches the audit log, which names only the fields that changed.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { hashPin, isGuessablePin, PIN_MAX_DIGITS, PIN_MIN_DIGITS, PIN_RE } from '$lib/domain/pin';
import { UUID_RE } from '$lib/domain/ids';
import { STAFF_ROLES, type StaffData } from '$lib/domain/schemas';
import { cleanText } from '$lib/server/clean-text';
import { audit } from '../auth/devices';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/passwords';
import type { StaffRole, StaffUser } from '../auth/staff-sessions';
import { sha256Hex } from '../auth/tokens';
import type { Queryable, Store } from '../db/store';
import { takeWriteLock, writeCentreRecords } from '../sync/records';

export const MAX_STAFF_SITES = 50;
/** Digits of a PIN the centre issues. */
export const ISSUED_PIN_DIGITS = 6;

export interface StaffMember {
	id: string;
	displayName: string;
	role: StaffRole;
	siteIds: string[];
	active: boolean;
	hasPin: boolean;
	loginName: string | null;
	/** Can sign in at the centre: a login name and a password. */
	hasLogin: boolean;
	/** The row's stamp: an edit form carries it, so an edit made meanwhile is not overwritten. */
	version: string;
}

export interface StaffSiteOption {
	id: string;
	nameJa: string;
	programName: string;
	active: boolean;
}

export type StaffOutcome<T> =
	| { status: 'ok'; value: T }
	| { status: 'invalid'; errors: Record<string, string> }
	| { status: 'forbidden'; message: string }
	| { status: 'not_found' }
	| { status: 'stale' };

export const FORBIDDEN_ADMIN = '管理者の職員を変更できるのは管理者だけです';
export const FORBIDDEN_GRANT_ADMIN = '管理者の役割を付与できるのは管理者だけです';
export const STALE_MESSAGE = 'ほかの人がこの職員を先に更新しました。画面を読み込み直してから、もう一度変更してください。';

/** The roles a user may give (and whose holders they may manage). */
export function assignableRoles(actor: Pick<StaffUser, 'role'>): StaffRole[] {
	if (actor.role === 'admin') return [...STAFF_ROLES];
	if (actor.role === 'coordinator') return ['consultant', 'coordinator'];
	return [];
}

export function mayManage(actor: Pick<StaffUser, 'role'>, target: { role: StaffRole }): boolean {
	return assignableRoles(actor).includes(target.role);
}

// ---- forms -------------------------------------------------------------------------------------

const displayName = z
	.string({ error: '名前を入力してください' })
	.pipe(cleanText({ message: '名前に使えない文字が含まれています' }).trim().min(1, '名前を入力してください').max(40, '名前は40文字までにしてください'));
const role = z.enum(STAFF_ROLES, { error: '役割を選んでください' });

export const staffForm = z.object({ displayName, role });
export const staffEditForm = staffForm.extend({ version: z.string({ error: '画面を読み込み直してください' }).max(100) });

/** The sites ticked in a form (every `siteId` value): ids only, checked against the store later. */
export function parseSiteIds(form: FormData): { ok: true; siteIds: string[] } | { ok: false; error: string } {
	const raw = form.getAll('siteId');
	if (raw.length > MAX_STAFF_SITES) return { ok: false, error: `会場は${MAX_STAFF_SITES}か所までしか選べません` };
	if (!raw.every((v): v is string => typeof v === 'string' && UUID_RE.test(v))) return { ok: false, error: '会場の指定が正しくありません' };
	return { ok: true, siteIds: [...new Set(raw)] };
}

/** `issue`: the centre makes a random PIN; `typed`: the coordinator types one (twice). */
export const pinForm = z
	.object({
		mode: z.enum(['issue', 'typed'], { error: 'PINの設定方法を選んでください' }),
		pin: z
			.string()
			.trim()
			.regex(PIN_RE, `PINは${PIN_MIN_DIGITS}〜${PIN_MAX_DIGITS}桁の数字で入力してください`)
			.refine((p) => !isGuessablePin(p), '推測されやすいPIN（同じ数字の繰り返しや連番）は使えません')
			.optional(),
		pinConfirm: z.string().trim().optional()
	})
	.check((ctx) => {
		const f = ctx.value;
		if (f.mode !== 'typed') return;
		if (f.pin === undefined) ctx.issues.push({ code: 'custom', input: f, path: ['pin'], message: 'PINを入力してください' });
		else if (f.pin !== f.pinConfirm) ctx.issues.push({ code: 'custom', input: f, path: ['pinConfirm'], message: '確認のPINが一致しません' });
	});

export const passwordForm = z
	.object({
		loginName: z
			.string({ error: 'ログインIDを入力してください' })
			.trim()
			.toLowerCase()
			.regex(/^[a-z0-9][a-z0-9._-]{2,39}$/, 'ログインIDは3〜40文字の半角英数字と . _ - で、英数字から始めてください'),
		password: z
			.string({ error: 'パスワードを入力してください' })
			.min(MIN_PASSWORD_LENGTH, `パスワードは${MIN_PASSWORD_LENGTH}文字以上にしてください`)
			.max(200, 'パスワードは200文字までにしてください'),
		passwordConfirm: z.string({ error: '確認のパスワードを入力してください' })
	})
	.refine((f) => f.password === f.passwordConfirm, { message: '確認のパスワードが一致しません', path: ['passwordConfirm'] });

// ---- reading -----------------------------------------------------------------------------------

const ROLE_ORDER: Record<StaffRole, number> = { admin: 0, coordinator: 1, consultant: 2 };

function toMember(row: { id: string; hlc: string; data: StaffData; login_name: string | null; has_password: boolean }): StaffMember {
	return {
		id: row.id,
		displayName: row.data.displayName,
		role: row.data.role,
		siteIds: row.data.siteIds,
		active: row.data.active,
		hasPin: row.data.pinHash !== null,
		loginName: row.login_name,
		hasLogin: row.login_name !== null && row.has_password,
		version: row.hlc
	};
}

const MEMBER_SELECT = `select id::text as id, hlc, data, login_name, password_hash is not null as has_password from staff`;

/** Everyone on the roster (not the tombstones): the active first, then by role and name. */
export async function listStaff(db: Queryable): Promise<StaffMember[]> {
	const r = await db.query<Parameters<typeof toMember>[0]>(`${MEMBER_SELECT} where not deleted`);
	return r.rows
		.map(toMember)
		.sort((a, b) => Number(b.active) - Number(a.active) || ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.displayName.localeCompare(b.displayName, 'ja'));
}

export async function getStaff(db: Queryable, id: string): Promise<StaffMember | null> {
	if (!UUID_RE.test(id)) return null;
	const r = await db.query<Parameters<typeof toMember>[0]>(`${MEMBER_SELECT} where id = $1::uuid and not deleted`, [id]);
	return r.rows[0] ? toMember(r.rows[0]) : null;
}

/** Every site a member can be given, inactive ones too (a member may still be assigned to one). */
export async function staffSiteOptions(db: Queryable): Promise<StaffSiteOption[]> {
	const r = await db.query<StaffSiteOption>(
		`select st.id::text as id, st.data->>'nameJa' as "nameJa", coalesce(p.data->>'nameJa', '（事業なし）') as "programName", (st.data->>'active')::boolean as active
		 from sites st left join programs p on p.id = st.program_id and not p.deleted
		 where not st.deleted
		 order by (p.data->>'sort')::int nulls last, st.data->>'nameJa', st.id`
	);
	return r.rows;
}

// ---- writing -----------------------------------------------------------------------------------

/** The row as stored, locked for this transaction's change (the sync write lock is held first). */
async function lockedRow(tx: Queryable, id: string): Promise<{ member: StaffMember; data: StaffData } | null> {
	if (!UUID_RE.test(id)) return null;
	await takeWriteLock(tx);
	const r = await tx.query<Parameters<typeof toMember>[0]>(`${MEMBER_SELECT} where id = $1::uuid and not deleted for update`, [id]);
	const row = r.rows[0];
	return row ? { member: toMember(row), data: row.data } : null;
}

async function unknownSites(tx: Queryable, siteIds: string[], keep: string[] = []): Promise<boolean> {
	const wanted = siteIds.filter((id) => !keep.includes(id));
	if (wanted.length === 0) return false;
	const r = await tx.query<{ id: string }>('select id::text as id from sites where id = any($1::uuid[]) and not deleted', [wanted]);
	return r.rows.length !== wanted.length;
}

const UNKNOWN_SITE = '選んだ会場が見つかりません。画面を読み込み直してください。';

/** Ends every centre session of a member, but the one given (the user's own, when they act on themselves). */
async function endSessions(tx: Queryable, staffId: string, keepToken?: string): Promise<number> {
	const r = await tx.query('delete from staff_sessions where staff_id = $1::uuid and token_hash is distinct from $2 returning 1', [
		staffId,
		keepToken ? sha256Hex(keepToken) : null
	]);
	return r.rows.length;
}

function refusal(actor: StaffUser, target: StaffMember): StaffOutcome<never> | null {
	return mayManage(actor, target) ? null : { status: 'forbidden', message: FORBIDDEN_ADMIN };
}

export async function createStaff(
	store: Store,
	actor: StaffUser,
	input: { displayName: string; role: StaffRole; siteIds: string[] }
): Promise<StaffOutcome<{ id: string }>> {
	if (!assignableRoles(actor).includes(input.role)) return { status: 'forbidden', message: FORBIDDEN_GRANT_ADMIN };
	return store.transaction(async (tx) => {
		if (await unknownSites(tx, input.siteIds)) return { status: 'invalid', errors: { siteId: UNKNOWN_SITE } };
		const data: StaffData = { displayName: input.displayName, role: input.role, pinHash: null, siteIds: input.siteIds, active: true };
		const [id] = await writeCentreRecords(tx, 'staff', [{ data }]);
		await audit(tx, `staff:${actor.id}`, 'staff.create', id!, { role: input.role, siteIds: input.siteIds });
		return { status: 'ok', value: { id: id! } };
	});
}

export async function updateStaff(
	store: Store,
	actor: StaffUser,
	id: string,
	input: { displayName: string; role: StaffRole; siteIds: string[]; version: string }
): Promise<StaffOutcome<{ fields: string[] }>> {
	return store.transaction(async (tx) => {
		const found = await lockedRow(tx, id);
		if (!found) return { status: 'not_found' };
		const { member, data } = found;
		const refused = refusal(actor, member);
		if (refused) return refused;
		if (!assignableRoles(actor).includes(input.role)) return { status: 'forbidden', message: FORBIDDEN_GRANT_ADMIN };
		if (member.version !== input.version) return { status: 'stale' };
		if (member.id === actor.id && member.role === 'admin' && input.role !== 'admin') {
			return { status: 'invalid', errors: { role: '自分の管理者の役割は外せません。ほかの管理者に依頼してください。' } };
		}
		// A site no longer offered (deleted) may stay where it already was; a new one must exist.
		if (await unknownSites(tx, input.siteIds, member.siteIds)) return { status: 'invalid', errors: { siteId: UNKNOWN_SITE } };
		const sameSites = input.siteIds.length === member.siteIds.length && input.siteIds.every((s) => member.siteIds.includes(s));
		const fields = [
			...(input.displayName !== member.displayName ? ['displayName'] : []),
			...(input.role !== member.role ? ['role'] : []),
			...(sameSites ? [] : ['siteIds'])
		];
		if (fields.length === 0) return { status: 'invalid', errors: { form: '変更された項目がありません' } };
		await writeCentreRecords(tx, 'staff', [{ id, data: { ...data, displayName: input.displayName, role: input.role, siteIds: input.siteIds } }]);
		await audit(tx, `staff:${actor.id}`, 'staff.update', id, {
			fields,
			...(input.role !== member.role ? { role: { from: member.role, to: input.role } } : {}),
			...(sameSites
				? {}
				: { sitesAdded: input.siteIds.filter((s) => !member.siteIds.includes(s)), sitesRemoved: member.siteIds.filter((s) => !input.siteIds.includes(s)) })
		});
		return { status: 'ok', value: { fields } };
	});
}

/**
 * Deactivate or reactivate. A deactivated member's centre sessions end at once (signing in again
 * is refused by staff-sessions.ts); tablets learn of it at their next pull.
 */
export async function setStaffActive(store: Store, actor: StaffUser, id: string, active: boolean): Promise<StaffOutcome<{ displayName: string }>> {
	return store.transaction(async (tx) => {
		const found = await lockedRow(tx, id);
		if (!found) return { status: 'not_found' };
		const { member, data } = found;
		const refused = refusal(actor, member);
		if (refused) return refused;
		if (!active && member.id === actor.id) return { status: 'invalid', errors: { form: '自分自身を無効にすることはできません' } };
		if (member.active === active) return { status: 'invalid', errors: { form: active ? 'この職員はすでに有効です' : 'この職員はすでに無効になっています' } };
		await writeCentreRecords(tx, 'staff', [{ id, data: { ...data, active } }]);
		const ended = active ? 0 : await endSessions(tx, id);
		await audit(tx, `staff:${actor.id}`, active ? 'staff.reactivate' : 'staff.deactivate', id, active ? null : { sessionsEnded: ended });
		return { status: 'ok', value: { displayName: member.displayName } };
	});
}

/** A random PIN of ISSUED_PIN_DIGITS digits that isGuessablePin would not refuse. */
export function issuePin(): string {
	for (;;) {
		const pin = String(randomInt(0, 10 ** ISSUED_PIN_DIGITS)).padStart(ISSUED_PIN_DIGITS, '0');
		if (!isGuessablePin(pin)) return pin;
	}
}

/**
 * Set a member's tablet PIN: the one typed, or a new random one, which is returned to be shown
 * once. Only its hash is stored; the audit row says only whether it was issued or typed.
 */
export async function resetPin(store: Store, actor: StaffUser, id: string, typed?: string): Promise<StaffOutcome<{ displayName: string; pin: string | null }>> {
	const current = await getStaff(store, id);
	if (!current) return { status: 'not_found' };
	const refused = refusal(actor, current);
	if (refused) return refused;
	const pin = typed ?? issuePin();
	// The slow hash runs before the transaction, so the sync write lock is held only briefly.
	const pinHash = await hashPin(pin);
	return store.transaction(async (tx) => {
		const found = await lockedRow(tx, id);
		if (!found) return { status: 'not_found' };
		const again = refusal(actor, found.member);
		if (again) return again;
		await writeCentreRecords(tx, 'staff', [{ id, data: { ...found.data, pinHash } }]);
		await audit(tx, `staff:${actor.id}`, 'staff.pin_reset', id, { issued: typed === undefined });
		return { status: 'ok', value: { displayName: found.member.displayName, pin: typed === undefined ? pin : null } };
	});
}

/**
 * Give a member a centre login, or a new password (and possibly a new login name). Their other
 * centre sessions end: a reset password is often a lost or shared one. `currentSession` is the
 * cookie of the user acting, kept when they change their own.
 */
export async function setPassword(
	store: Store,
	actor: StaffUser,
	id: string,
	input: { loginName: string; password: string },
	currentSession?: string
): Promise<StaffOutcome<{ displayName: string; loginName: string }>> {
	const current = await getStaff(store, id);
	if (!current) return { status: 'not_found' };
	const refused = refusal(actor, current);
	if (refused) return refused;
	const passwordHash = await hashPassword(input.password);
	return store.transaction(async (tx) => {
		const found = await lockedRow(tx, id);
		if (!found) return { status: 'not_found' };
		const again = refusal(actor, found.member);
		if (again) return again;
		// Sign-in matches names without regard to case, so uniqueness is checked the same way.
		const taken = await tx.query('select 1 from staff where lower(login_name) = lower($1) and id <> $2::uuid', [input.loginName, id]);
		if (taken.rows.length > 0) return { status: 'invalid', errors: { loginName: 'このログインIDはすでに使われています' } };
		await tx.query('update staff set login_name = $2, password_hash = $3 where id = $1::uuid', [id, input.loginName, passwordHash]);
		const sessionsEnded = await endSessions(tx, id, id === actor.id ? currentSession : undefined);
		await audit(tx, `staff:${actor.id}`, 'staff.password_set', id, {
			loginNameChanged: found.member.loginName !== input.loginName,
			hadLogin: found.member.hasLogin,
			sessionsEnded
		});
		return { status: 'ok', value: { displayName: found.member.displayName, loginName: input.loginName } };
	});
}
