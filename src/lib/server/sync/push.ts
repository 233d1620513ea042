/**
 * Applying a tablet's push: every change gets its own verdict (applied, duplicate, stale,
 * rejected), and all of them are decided and written in one transaction. A change that fails its
 * schema or its permission check is rejected with a reason and stored nowhere; the tablet keeps it
 * visible for staff. Retrying a whole push is always safe: what was applied comes back duplicate.
 */
import { z } from 'zod';
import { ApiError } from '$lib/sync/errors';
import {
	changeEnvelope,
	isPushable,
	MAX_PUSH_CHANGES,
	PROTOCOL_VERSION,
	PUSHABLE_TABLES,
	pushRequest,
	TABLE_SCHEMAS,
	type ChangeEnvelope,
	type PushResult,
	type PushableTable
} from '$lib/sync/protocol';
import type { Store, Queryable } from '../db/store';
import type { Device } from '../auth/devices';
import { storedVersions, takeWriteLock, upsertRows, type RowVersion } from './records';

/** Validate the envelope: any fault here refuses the whole push and applies nothing. */
export function parsePushBody(body: unknown): ChangeEnvelope[] {
	const env = pushRequest.safeParse(body);
	if (!env.success) throw new ApiError('invalid_body', `push body: ${z.prettifyError(env.error)}`);
	if (env.data.protocol !== PROTOCOL_VERSION) {
		throw new ApiError('unsupported_protocol', `protocol ${env.data.protocol} is not supported; this centre speaks ${PROTOCOL_VERSION}`);
	}
	if (env.data.changes.length > MAX_PUSH_CHANGES) {
		throw new ApiError('too_many_changes', `at most ${MAX_PUSH_CHANGES} changes per push, got ${env.data.changes.length}`);
	}
	return env.data.changes.map((raw, i) => {
		const c = changeEnvelope.safeParse(raw);
		if (c.success) return c.data;
		const tableIssue = c.error.issues.find((iss) => iss.path[0] === 'table');
		if (tableIssue && typeof (raw as { table?: unknown })?.table === 'string') {
			throw new ApiError('unknown_table', `changes[${i}]: unknown table ${JSON.stringify((raw as { table: string }).table)}`);
		}
		throw new ApiError('invalid_body', `changes[${i}]: ${z.prettifyError(c.error)}`);
	});
}

type Verdict = PushResult;

export async function applyPush(store: Store, device: Device, changes: ChangeEnvelope[]): Promise<PushResult[]> {
	return store.transaction(async (tx) => {
		// See records.ts: on PostgreSQL the lock orders sequence numbers by commit; PGlite runs one
		// transaction at a time anyway.
		if (store.kind === 'postgres') await takeWriteLock(tx);
		const verdicts = new Map<number, Verdict>();
		const reject = (i: number, code: string, message: string) => verdicts.set(i, { id: changes[i]!.id, status: 'rejected', error: { code, message } });

		// Group valid changes by table, remembering each one's position in the push.
		const byTable = new Map<PushableTable, Array<{ i: number; change: ChangeEnvelope; data: unknown }>>();
		changes.forEach((change, i) => {
			if (!isPushable(change.table)) return reject(i, 'read_only_table', `${change.table} is reference data and only flows from the centre`);
			const parsed = TABLE_SCHEMAS[change.table].safeParse(change.data);
			if (!parsed.success) return reject(i, 'invalid_data', z.prettifyError(parsed.error));
			const list = byTable.get(change.table) ?? [];
			list.push({ i, change, data: parsed.data });
			byTable.set(change.table, list);
		});

		// Parents before children, so a visit may name a session opened earlier in the same push.
		for (const table of PUSHABLE_TABLES) {
			const items = byTable.get(table);
			if (!items) continue;
			await applyTable(tx, device, table, items, verdicts, reject);
		}

		const results = changes.map((c, i) => verdicts.get(i) ?? { id: c.id, status: 'rejected' as const, error: { code: 'internal', message: 'no verdict' } });
		const applied = results.filter((r) => r.status === 'applied').length;
		if (applied > 0) await tx.query('update devices set pushed_count = pushed_count + $2 where id = $1', [device.id, applied]);
		return results;
	});
}

async function applyTable(
	tx: Queryable,
	device: Device,
	table: PushableTable,
	items: Array<{ i: number; change: ChangeEnvelope; data: unknown }>,
	verdicts: Map<number, Verdict>,
	reject: (i: number, code: string, message: string) => void
): Promise<void> {
	const sites = new Set(device.siteIds);
	const stored = await storedVersions(
		tx,
		table,
		items.map((x) => x.change.id)
	);

	// Permission: sessions, visits and consultations belong to a site, which must be the device's.
	if (table === 'sessions') {
		for (const { i, change, data } of items) {
			const siteId = (data as { siteId: string }).siteId;
			const prevSite = (stored.get(change.id)?.data as { siteId?: string } | undefined)?.siteId;
			if (!sites.has(siteId) || (prevSite && !sites.has(prevSite))) reject(i, 'forbidden_site', 'this device is not enrolled at the session’s site');
		}
	} else if (table === 'visits' || table === 'consultations') {
		const sessionIds = [...new Set(items.map((x) => (x.data as { sessionId: string }).sessionId))];
		const r = await tx.query<{ id: string; site_id: string }>('select id::text, site_id::text from sessions where id = any($1::uuid[])', [sessionIds]);
		const siteOf = new Map(r.rows.map((row) => [row.id, row.site_id]));
		for (const { i, data } of items) {
			const site = siteOf.get((data as { sessionId: string }).sessionId);
			if (site === undefined) reject(i, 'unknown_session', 'the session is not known at the centre');
			else if (!sites.has(site)) reject(i, 'forbidden_site', 'this device is not enrolled at the session’s site');
		}
	}

	// A card code belongs to one household only.
	if (table === 'households') {
		const codes = items.filter((x) => !verdicts.has(x.i)).map((x) => (x.data as { cardCode: string }).cardCode);
		const r = await tx.query<{ id: string; card_code: string }>('select id::text, card_code from households where card_code = any($1::text[])', [codes]);
		const owner = new Map(r.rows.map((row) => [row.card_code, row.id]));
		for (const { i, change, data } of items) {
			if (verdicts.has(i)) continue;
			const code = (data as { cardCode: string }).cardCode;
			const o = owner.get(code);
			if (o !== undefined && o !== change.id) reject(i, 'card_code_taken', 'another household already has this card code');
			else owner.set(code, change.id);
		}
	}

	// Among several versions of one record in this push, the greatest stamp is the candidate.
	const best = new Map<string, { i: number; change: ChangeEnvelope; data: unknown }>();
	for (const item of items) {
		if (verdicts.has(item.i)) continue;
		const cur = best.get(item.change.id);
		if (!cur || item.change.hlc > cur.change.hlc) best.set(item.change.id, item);
	}

	const rows: RowVersion[] = [];
	const candidates: Array<{ i: number; id: string }> = [];
	for (const item of items) {
		if (verdicts.has(item.i)) continue;
		const { i, change } = item;
		const top = best.get(change.id)!;
		const prev = stored.get(change.id)?.hlc;
		if (top !== item) {
			verdicts.set(i, { id: change.id, status: change.hlc === top.change.hlc || change.hlc === prev ? 'duplicate' : 'stale' });
		} else if (prev === change.hlc) {
			verdicts.set(i, { id: change.id, status: 'duplicate' });
		} else if (prev !== undefined && prev > change.hlc) {
			verdicts.set(i, { id: change.id, status: 'stale' });
		} else {
			rows.push({ id: change.id, hlc: change.hlc, deleted: change.deleted, data: item.data });
			candidates.push({ i, id: change.id });
		}
	}
	const written = await upsertRows(tx, table, rows, device.id);
	for (const { i, id } of candidates) {
		verdicts.set(i, { id, status: written.has(id) ? 'applied' : 'stale' });
	}
}
