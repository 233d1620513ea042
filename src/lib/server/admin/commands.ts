/**
 * The operator's commands (`npm run admin`, and the server's own start-up), run inside the server
 * process that holds the store. They arrive only through the local admin channel (see
 * routes/internal/admin and scripts/lib/host.js). Each command's arguments pass a zod schema first,
 * and each run — done or failed — leaves a row in the audit log.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { hashPin, PIN_MAX_DIGITS, PIN_MIN_DIGITS, PIN_RE } from '$lib/domain/pin';
import { STAFF_ROLES, uuid, type StaffData } from '$lib/domain/schemas';
import { cleanText } from '$lib/server/clean-text';
import { ApiError } from '$lib/sync/errors';
import { audit, createEnrollmentCode, listDevices, setDeviceState } from '../auth/devices';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/passwords';
import { storeConfigFromEnv, type Queryable, type Store } from '../db/store';
import { DemoStoreNotEmptyError, isStoreEmpty, seedDemo, type DemoSummary } from '../seed/demo';
import { writeCentreRecords } from '../sync/records';
import { keyDirFromEnv, rotateKey, useKeyDir } from '../crypto/keyring';
import { keyReport } from '../crypto/key-usage';
import { backupTo, restoreFrom } from './backup';

/** Who the audit log names for commands from the command line. */
export const ADMIN_ACTOR = 'admin-cli';
/** …and for the server's own start-up. */
export const STARTUP_ACTOR = 'server-start';

export interface AdminContext {
	env: Record<string, string | undefined>;
}

export interface SiteSummary {
	id: string;
	nameJa: string;
	place: string;
	active: boolean;
	program: string | null;
	programNameJa: string | null;
}

export interface EnrollmentSummary {
	code: string;
	expiresAt: string;
	siteIds: string[];
	sites: Array<{ id: string; nameJa: string }>;
}

export interface StartupSummary {
	store: { kind: 'pglite' | 'postgres'; description: string };
	demo: DemoSummary | null;
	enrollment: EnrollmentSummary | null;
}

const none = z.strictObject({});
const absolutePath = z.string().min(1).max(4096).refine(isAbsolute, 'must be an absolute path');

const staffAdd = z
	.strictObject({
		displayName: cleanText().trim().min(1, 'a name is required').max(40),
		role: z.enum(STAFF_ROLES, { error: `role must be one of: ${STAFF_ROLES.join(', ')}` }),
		pin: z.string().regex(PIN_RE, `a PIN is ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS} digits`).optional(),
		loginName: z
			.string()
			.trim()
			.toLowerCase()
			.regex(/^[a-z0-9][a-z0-9._-]{2,39}$/, 'a login name is 3 to 40 letters, digits, dots, dashes or underscores')
			.optional(),
		password: z.string().min(MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`).max(200).optional(),
		siteIds: z.array(uuid).max(50).default([])
	})
	.refine((s) => (s.loginName === undefined) === (s.password === undefined), {
		message: 'a centre login needs both a login name and a password',
		path: ['password']
	})
	.refine((s) => s.pin !== undefined || s.loginName !== undefined, {
		message: 'give a PIN (for tablets), a login and password (for the centre), or both',
		path: ['pin']
	});

function noDemo(env: AdminContext['env']): boolean {
	const v = (env.HIROBA_NO_DEMO ?? '').trim().toLowerCase();
	return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}

/** Where the store is, for people: the folder, or the server without its password. */
export function describeStore(env: AdminContext['env']): StartupSummary['store'] {
	const config = storeConfigFromEnv(env);
	if (config.kind === 'pglite') return { kind: 'pglite', description: `PGlite (embedded) in ${join(config.dataDir, 'pglite')}` };
	try {
		const url = new URL(config.url);
		if (url.password) url.password = '***';
		const path = url.searchParams.get('options')?.match(/search_path\s*=\s*([^\s]+)/)?.[1];
		url.search = '';
		return { kind: 'postgres', description: `PostgreSQL at ${url.toString()}${path ? ` (schema ${path})` : ''}` };
	} catch {
		return { kind: 'postgres', description: 'PostgreSQL (DATABASE_URL)' };
	}
}

async function siteNames(db: Queryable, ids: string[]): Promise<Array<{ id: string; nameJa: string }>> {
	const r = await db.query<{ id: string; nameJa: string }>(`select id::text as id, data->>'nameJa' as "nameJa" from sites where id = any($1::uuid[])`, [ids]);
	return ids.map((id) => ({ id, nameJa: r.rows.find((x) => x.id === id)?.nameJa ?? id }));
}

async function makeEnrollment(db: Queryable, siteIds: string[], actor: string): Promise<EnrollmentSummary> {
	const made = await createEnrollmentCode(db, siteIds, actor);
	return { ...made, sites: await siteNames(db, made.siteIds) };
}

async function listSites(db: Queryable): Promise<SiteSummary[]> {
	const r = await db.query<SiteSummary>(
		`select s.id::text as id, s.data->>'nameJa' as "nameJa", s.data->>'place' as place, (s.data->>'active')::boolean as active,
		        p.data->>'code' as program, p.data->>'nameJa' as "programNameJa"
		 from sites s left join programs p on p.id = s.program_id and not p.deleted
		 where not s.deleted
		 order by (p.data->>'sort')::int nulls last, s.data->>'nameJa', s.id`
	);
	return r.rows;
}

async function lastStartupSites(db: Queryable): Promise<string[]> {
	const r = await db.query<{ ids: string[] }>(`select site_ids::text[] as ids from enrollment_codes where created_by = $1 order by created_at desc limit 1`, [
		STARTUP_ACTOR
	]);
	const ids = r.rows[0]?.ids ?? [];
	if (ids.length === 0) return [];
	const active = await db.query<{ id: string }>(`select id::text as id from sites where id = any($1::uuid[]) and not deleted and (data->>'active')::boolean`, [
		ids
	]);
	return ids.filter((id) => active.rows.some((x) => x.id === id));
}

async function startup(store: Store, ctx: AdminContext): Promise<StartupSummary> {
	let demo: DemoSummary | null = null;
	if (!noDemo(ctx.env) && (await isStoreEmpty(store))) {
		try {
			demo = await seedDemo(store);
			// Fresh statistics for the planner now that the tables are no longer empty.
			await store.exec('analyze');
		} catch (e) {
			// Another server process on the same PostgreSQL store seeded it first: nothing to do.
			if (!(e instanceof DemoStoreNotEmptyError)) throw e;
		}
	}
	let siteIds = demo?.firstSiteIds ?? [];
	// On a later start, the same sites as the last start's code (the demo's featured site), if still active.
	if (siteIds.length === 0) siteIds = await lastStartupSites(store);
	if (siteIds.length === 0)
		siteIds = (await listSites(store))
			.filter((s) => s.active)
			.slice(0, 1)
			.map((s) => s.id);
	const enrollment = siteIds.length > 0 ? await makeEnrollment(store, siteIds, STARTUP_ACTOR) : null;
	return { store: describeStore(ctx.env), demo, enrollment };
}

async function addStaff(store: Store, args: z.infer<typeof staffAdd>) {
	// The slow hashes run before the transaction, so it holds the sync lock only briefly.
	const pinHash = args.pin === undefined ? null : await hashPin(args.pin);
	const passwordHash = args.password === undefined ? null : await hashPassword(args.password);
	return store.transaction(async (tx) => {
		if (args.siteIds.length > 0) {
			const known = await tx.query<{ id: string }>('select id::text as id from sites where id = any($1::uuid[]) and not deleted', [args.siteIds]);
			const missing = args.siteIds.filter((id) => !known.rows.some((r) => r.id === id));
			if (missing.length > 0) throw new ApiError('not_found', `unknown site: ${missing.join(', ')}`);
		}
		if (args.loginName !== undefined) {
			const taken = await tx.query('select 1 from staff where login_name = $1', [args.loginName]);
			if (taken.rows.length > 0) throw new ApiError('bad_request', `the login name ${args.loginName} is already taken`);
		}
		const data: StaffData = { displayName: args.displayName, role: args.role, pinHash, siteIds: args.siteIds, active: true };
		const [id] = await writeCentreRecords(tx, 'staff', [{ data }]);
		// Centre-only columns: never part of `data`, so never sent to a tablet.
		if (args.loginName !== undefined) {
			await tx.query('update staff set login_name = $2, password_hash = $3 where id = $1::uuid', [id, args.loginName, passwordHash]);
		}
		return { id: id!, displayName: data.displayName, role: data.role, siteIds: data.siteIds, hasPin: pinHash !== null, loginName: args.loginName ?? null };
	});
}

interface CommandDef<S extends z.ZodType> {
	args: S;
	actor?: string;
	run(store: Store, args: z.infer<S>, ctx: AdminContext): Promise<unknown>;
	/** The audit row's subject, from the result. */
	subject?(result: unknown, args: z.infer<S>): string | null;
}

function command<S extends z.ZodType>(def: CommandDef<S>): CommandDef<z.ZodType> {
	return def as unknown as CommandDef<z.ZodType>;
}

export const ADMIN_COMMANDS: Record<string, CommandDef<z.ZodType>> = {
	startup: command({ args: none, actor: STARTUP_ACTOR, run: (store, _args, ctx) => startup(store, ctx) }),
	sites: command({ args: none, run: async (store) => ({ sites: await listSites(store) }) }),
	'enroll-code': command({
		args: z.strictObject({ siteIds: z.array(uuid).min(1, 'name at least one site').max(50) }),
		run: (store, args) => store.transaction((tx) => makeEnrollment(tx, args.siteIds, ADMIN_ACTOR))
	}),
	'staff-add': command({
		args: staffAdd,
		run: (store, args) => addStaff(store, args),
		subject: (result) => (result as { id: string }).id
	}),
	devices: command({ args: none, run: async (store) => ({ devices: await listDevices(store) }) }),
	revoke: command({
		args: z.strictObject({ deviceId: uuid }),
		run: async (store, args) => ({ device: await store.transaction((tx) => setDeviceState(tx, args.deviceId, 'revoked', ADMIN_ACTOR)) }),
		subject: (_result, args) => args.deviceId
	}),
	// A backup holds notes sealed to the centre's keys and never the keys: the operator is told where
	// they are, and that the backup opens no note without them.
	backup: command({
		args: z.strictObject({ file: absolutePath }),
		run: async (store, args) => ({ ...(await backupTo(store, args.file)), keys: await keyReport(store) }),
		subject: (_r, args) => args.file
	}),
	restore: command({
		args: z.strictObject({ file: absolutePath }),
		run: async (store, args) => ({ ...(await restoreFrom(store, args.file)), keys: await keyReport(store) }),
		subject: (_r, args) => args.file
	}),
	keys: command({ args: none, run: (store) => keyReport(store) }),
	'rotate-key': command({
		args: none,
		run: async (store) => {
			const { kid } = await rotateKey(keyDirFromEnv());
			useKeyDir(keyDirFromEnv());
			return { rotated: kid, ...(await keyReport(store)) };
		},
		subject: (r) => (r as { rotated: string }).rotated
	})
};

/** What the audit log keeps of a command's arguments: never a PIN or a password. */
function auditDetail(args: unknown): unknown {
	if (typeof args !== 'object' || args === null) return null;
	const { pin, password, ...rest } = args as Record<string, unknown>;
	return { ...rest, ...(pin !== undefined ? { pin: '(set)' } : {}), ...(password !== undefined ? { password: '(set)' } : {}) };
}

export async function runAdminCommand(store: Store, name: string, rawArgs: unknown, ctx: AdminContext): Promise<unknown> {
	const def = Object.hasOwn(ADMIN_COMMANDS, name) ? ADMIN_COMMANDS[name] : undefined;
	if (!def) throw new ApiError('not_found', `no admin command ${JSON.stringify(name)}; the commands are: ${Object.keys(ADMIN_COMMANDS).join(', ')}`);
	const actor = def.actor ?? ADMIN_ACTOR;
	const action = `admin.${name}`;
	try {
		const parsed = def.args.safeParse(rawArgs ?? {});
		if (!parsed.success) throw new ApiError('invalid_body', z.prettifyError(parsed.error));
		const result = await def.run(store, parsed.data, ctx);
		await audit(store, actor, action, def.subject?.(result, parsed.data) ?? null, auditDetail(parsed.data));
		return result;
	} catch (e) {
		const code = e instanceof ApiError ? e.code : 'internal';
		await audit(store, actor, `${action}.failed`, null, { args: auditDetail(rawArgs), code, message: e instanceof Error ? e.message : String(e) }).catch(
			() => {}
		);
		throw e;
	}
}
