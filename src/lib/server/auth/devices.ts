/**
 * Device enrollment and authentication. A coordinator (or the operator's command line) makes a
 * single-use code valid for 15 minutes; a tablet trades it for a device id and a bearer token. The
 * centre keeps only hashes of both.
 */
import { randomInt } from 'node:crypto';
import { CARD_ALPHABET } from '$lib/domain/card-code';
import { uuidv7 } from '$lib/domain/ids';
import { ApiError } from '$lib/sync/errors';
import type { EnrollResponse } from '$lib/sync/protocol';
import type { Queryable, Store } from '../db/store';
import { hitRateLimit } from './rate-limit';
import { makeToken, sha256Hex } from './tokens';

export const ENROLLMENT_CODE_MINUTES = 15;
/** Enrollment attempts allowed per client address per window. */
export const ENROLL_RATE = { limit: 20, windowSeconds: 15 * 60 };
/** How long a retired tablet may still deliver what it recorded before it was retired. */
export const RETIRED_PUSH_DAYS = 7;

export interface Device {
	id: string;
	name: string;
	siteIds: string[];
	state: 'active' | 'retired' | 'revoked';
	enrolledAt: string;
	lastSeenAt: string | null;
	/** When the device was retired or revoked; null while active. */
	stateChangedAt: string | null;
	pushedCount: number;
	/** How many changes the tablet last said wait in its outbox (X-Hiroba-Pending); null until it says. */
	pendingCount: number | null;
	pendingReportedAt: string | null;
	/** When the tablet last finished a pull (caught up with the centre); null before its first. */
	lastSyncAt: string | null;
	/** Whether the centre has refused stamps of this device as ahead of its clock (push.ts keeps refusing them). */
	hasRefusedStamps: boolean;
}

const DEVICE_COLUMNS = `id::text, name, site_ids::text[] as "siteIds", state, enrolled_at as "enrolledAt", last_seen_at as "lastSeenAt", state_changed_at as "stateChangedAt", pushed_count::int as "pushedCount",
	pending_count as "pendingCount", pending_reported_at as "pendingReportedAt", last_sync_at as "lastSyncAt",
	exists (select 1 from refused_stamps r where r.device_id = devices.id) as "hasRefusedStamps"`;

function toDevice(row: Record<string, unknown>): Device {
	const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));
	return {
		id: String(row.id),
		name: String(row.name),
		siteIds: row.siteIds as string[],
		state: row.state as Device['state'],
		enrolledAt: iso(row.enrolledAt)!,
		lastSeenAt: iso(row.lastSeenAt),
		stateChangedAt: iso(row.stateChangedAt),
		pushedCount: Number(row.pushedCount),
		pendingCount: row.pendingCount == null ? null : Number(row.pendingCount),
		pendingReportedAt: iso(row.pendingReportedAt),
		lastSyncAt: iso(row.lastSyncAt),
		hasRefusedStamps: row.hasRefusedStamps === true
	};
}

/** Ten symbols of the card alphabet (50 bits), shown as `ABCDE-FGHJK`. */
export function normaliseEnrollmentCode(input: string): string {
	return input.normalize('NFKC').toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

export function formatEnrollmentCode(code: string): string {
	return `${code.slice(0, 5)}-${code.slice(5)}`;
}

export async function createEnrollmentCode(
	db: Queryable,
	siteIds: string[],
	createdBy: string
): Promise<{ code: string; expiresAt: string; siteIds: string[] }> {
	if (siteIds.length === 0) throw new ApiError('invalid_body', 'an enrollment code needs at least one site');
	const known = await db.query<{ id: string }>('select id::text from sites where id = any($1::uuid[]) and not deleted', [siteIds]);
	const missing = siteIds.filter((id) => !known.rows.some((r) => r.id === id));
	if (missing.length > 0) throw new ApiError('not_found', `unknown site: ${missing.join(', ')}`);
	let code = '';
	for (let i = 0; i < 10; i++) code += CARD_ALPHABET[randomInt(32)];
	const r = await db.query<{ expires_at: Date | string }>(
		`insert into enrollment_codes (code_hash, site_ids, created_by, expires_at)
		 values ($1, $2::uuid[], $3, now() + make_interval(mins => $4)) returning expires_at`,
		[sha256Hex(code), siteIds, createdBy, ENROLLMENT_CODE_MINUTES]
	);
	const exp = r.rows[0]!.expires_at;
	await audit(db, createdBy, 'enrollment_code.create', null, { siteIds });
	return { code: formatEnrollmentCode(code), expiresAt: exp instanceof Date ? exp.toISOString() : new Date(exp).toISOString(), siteIds };
}

export async function enrollDevice(store: Store, input: { code: string; name: string }, clientAddress: string): Promise<EnrollResponse> {
	// Counted outside the enrollment's transaction: a failed attempt must still count.
	await hitRateLimit(store, `enroll:${clientAddress}`, ENROLL_RATE.limit, ENROLL_RATE.windowSeconds);
	return store.transaction((tx) => enrollInTx(tx, input));
}

async function enrollInTx(tx: Queryable, input: { code: string; name: string }): Promise<EnrollResponse> {
	const codeHash = sha256Hex(normaliseEnrollmentCode(input.code));
	const found = await tx.query<{ site_ids: string[]; used: boolean; expired: boolean }>(
		`select site_ids::text[] as site_ids, used_at is not null as used, expires_at <= now() as expired
		 from enrollment_codes where code_hash = $1 for update`,
		[codeHash]
	);
	const row = found.rows[0];
	if (!row) throw new ApiError('enrollment_code_invalid', 'this enrollment code is not valid');
	if (row.used) throw new ApiError('enrollment_code_used', 'this enrollment code has already been used; make a new one');
	if (row.expired) throw new ApiError('enrollment_code_expired', 'this enrollment code has expired; make a new one');
	const deviceId = uuidv7();
	const token = makeToken();
	await tx.query(`insert into devices (id, name, site_ids, token_hash) values ($1, $2, $3::uuid[], $4)`, [
		deviceId,
		input.name,
		row.site_ids,
		sha256Hex(token)
	]);
	await tx.query(`update enrollment_codes set used_at = now(), used_by_device = $2 where code_hash = $1`, [codeHash, deviceId]);
	await audit(tx, `device:${deviceId}`, 'device.enroll', deviceId, { name: input.name, siteIds: row.site_ids });
	const sites = await tx.query<{ id: string; nameJa: string; programId: string }>(
		`select id::text, data->>'nameJa' as "nameJa", data->>'programId' as "programId" from sites where id = any($1::uuid[]) order by data->>'nameJa'`,
		[row.site_ids]
	);
	return { deviceId, token, name: input.name, sites: sites.rows };
}

/**
 * The device behind an `Authorization: Bearer` header. A revoked device is told so (it then wipes
 * its data). A retired one may push what it recorded before it was retired, for RETIRED_PUSH_DAYS
 * (push.ts refuses anything stamped later); it may not pull or look anything up, and after those
 * days it is answered as revoked, so that a tablet nobody brought back wipes itself on contact.
 *
 * `pending` is the tablet's own count of changes waiting in its outbox (protocol.ts PENDING_HEADER),
 * kept for the devices page; null (no header, or an unreadable one) leaves the last count as it was.
 * A refused device's contact is written here; an accepted one's by the request (noteContact).
 */
export async function authenticateDevice(
	db: Queryable,
	authorization: string | null,
	purpose: 'push' | 'pull' | 'lookup',
	now: number = Date.now(),
	pending: number | null = null
): Promise<Device> {
	const m = authorization?.match(/^Bearer\s+(\S+)$/i);
	if (!m) throw new ApiError('unauthorized', 'send the device token as Authorization: Bearer <token>');
	// Read only: what the request tells about the tablet is written with its own work (noteContact),
	// and only when it changes something the devices page shows. A write of its own would cost every
	// sync request a commit of its own.
	const r = await db.query(`select ${DEVICE_COLUMNS} from devices where token_hash = $1`, [sha256Hex(m[1]!)]);
	const row = r.rows[0];
	if (!row) throw new ApiError('invalid_token', 'this device token is not known');
	const device = toDevice(row);
	const refuse = async (e: ApiError) => {
		// A refused contact is still a contact: the devices page says when a stopped tablet last called.
		await noteContact(db, device, { pending }, now);
		return e;
	};
	if (device.state === 'revoked') throw await refuse(new ApiError('device_revoked', 'this device has been revoked; its local data must be wiped'));
	if (device.state === 'retired') {
		const since = device.stateChangedAt ? Date.parse(device.stateChangedAt) : 0;
		if (now - since > RETIRED_PUSH_DAYS * 86_400_000) {
			throw await refuse(new ApiError('device_revoked', `this device was retired more than ${RETIRED_PUSH_DAYS} days ago; its local data must be wiped`));
		}
		if (purpose !== 'push') throw await refuse(new ApiError('device_retired', 'this device has been retired; push what remains, then wipe'));
	}
	return device;
}

/**
 * How stale a device's last contact (and last caught-up pull) may get before a request writes it
 * again. The devices page shows them to the minute at best, and warns after a day.
 */
export const CONTACT_WRITE_MS = 60_000;

/**
 * What a request told about the tablet, written to its row: the contact itself, the tablet's count
 * of changes waiting (`pending`, null if it did not say), what a push applied, and whether a pull
 * caught up with the centre. Called inside the request's own transaction where there is one, so
 * that a sync request commits once. Writes nothing when nothing shown would change: an idle tablet
 * syncing every minute writes once a minute, not at every request.
 */
export async function noteContact(
	db: Queryable,
	device: Device,
	contact: { pending: number | null; pushed?: number; caughtUp?: boolean },
	now: number = Date.now()
): Promise<void> {
	const stale = (at: string | null) => at === null || now - Date.parse(at) >= CONTACT_WRITE_MS;
	const pushed = contact.pushed ?? 0;
	const pendingMoved = contact.pending !== null && contact.pending !== device.pendingCount;
	const caughtUp = contact.caughtUp === true && stale(device.lastSyncAt);
	if (pushed === 0 && !pendingMoved && !caughtUp && !stale(device.lastSeenAt)) return;
	await db.query(
		`update devices set last_seen_at = now(),
		   pushed_count = pushed_count + $2,
		   pending_count = coalesce($3::int, pending_count),
		   pending_reported_at = case when $3::int is null then pending_reported_at else now() end,
		   last_sync_at = case when $4 then now() else last_sync_at end
		 where id = $1::uuid`,
		[device.id, pushed, contact.pending, contact.caughtUp === true]
	);
}

export async function listDevices(db: Queryable): Promise<Device[]> {
	const r = await db.query(`select ${DEVICE_COLUMNS} from devices order by enrolled_at`);
	return r.rows.map(toDevice);
}

export async function setDeviceState(db: Queryable, deviceId: string, state: 'retired' | 'revoked', actor: string): Promise<Device> {
	const r = await db.query(`update devices set state = $2, state_changed_at = now() where id = $1::uuid and state <> 'revoked' returning ${DEVICE_COLUMNS}`, [
		deviceId,
		state
	]);
	const row = r.rows[0];
	if (!row) {
		const exists = await db.query('select state from devices where id = $1::uuid', [deviceId]);
		if (exists.rows.length === 0) throw new ApiError('not_found', `no device ${deviceId}`);
		throw new ApiError('bad_request', `device ${deviceId} is already revoked`);
	}
	await audit(db, actor, `device.${state === 'revoked' ? 'revoke' : 'retire'}`, deviceId, null);
	return toDevice(row);
}

export async function audit(db: Queryable, actor: string, action: string, subject: string | null, detail: unknown): Promise<void> {
	await db.query('insert into audit_log (actor, action, subject, detail) values ($1, $2, $3, $4::jsonb)', [
		actor,
		action,
		subject,
		detail == null ? null : JSON.stringify(detail)
	]);
}
