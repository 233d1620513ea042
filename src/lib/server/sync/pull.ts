/**
 * Building pull pages. A device sees the least its sites need (DESIGN.md "Data minimisation"):
 * all programs, topics and the ward's towns; its own sites and their sessions; the roster of staff who work at its
 * sites; the households and children of families registered at or seen at its sites in the last
 * 13 months (holdings.ts); and the visits of its sites' sessions within a day of today made by
 * other tablets (so two tablets at one site share today's list). Every device also gets every
 * retired card code (card_retirements: few, and nothing personal), so an old card is refused at any
 * site, whether or not the device holds its family. Rows the device itself wrote last
 * are not sent back to it. Consultations never flow down. Every page carries the centre's public
 * sealing key (seal.ts).
 *
 * A page also tells the device what to evict: a family whose holding at its sites expired, and a
 * staff member who no longer works there. (A first pull, from cursor 0, has nothing to evict.)
 */
import { addDays, tokyoDate } from '$lib/domain/dates';
import type { Change, EvictableTable, PullResponse } from '$lib/sync/protocol';
import type { Store } from '../db/store';
import { noteContact, type Device } from '../auth/devices';
import { getKeyring } from '../crypto/keyring';
import { takeReadLock } from './records';

const COLS = `id::text as id, hlc, deleted, data, seq`;
/** How many days around today a site's visits are shared between its tablets. */
export const SHARED_VISIT_DAYS = 1;

/**
 * One page of a device's pull from `since`. `pending` is what the tablet said waits in its outbox;
 * it is written with the page (noteContact), and so is the end of a pull that caught up.
 */
export async function buildPull(
	store: Store,
	device: Device,
	since: string,
	limit: number,
	now: number = Date.now(),
	pending: number | null = null
): Promise<PullResponse> {
	// Every page names the key tablets seal notes to, so a rotation reaches them at their next sync.
	const sealKey = (await getKeyring()).current;
	const page = await store.transaction(async (tx): Promise<Omit<PullResponse, 'sealKey'>> => {
		// Waits for pushes in flight: after it, every sequence number taken so far is committed or
		// rolled back, so the page's upper bound cannot skip a row that is about to appear. PGlite
		// has one connection and runs one transaction at a time, so there it is already so.
		if (store.kind === 'postgres') await takeReadLock(tx);
		const hi = await tx.query<{ hi: string }>(`select (case when is_called then last_value else 0 end)::text as hi from sync_seq`);
		const high = hi.rows[0]!.hi;
		if (BigInt(since) >= BigInt(high)) {
			// Up to date: no row can lie in (since, high], so the union below would find nothing. It
			// is the most frequent pull (every sync of an idle tablet), and planning and running that
			// nine-branch query is most of its cost.
			await noteContact(tx, device, { pending, caughtUp: true }, now);
			return { changes: [], evict: [], cursor: since, more: false, devicePushed: device.pushedCount };
		}
		const today = tokyoDate(now);
		const params = [since, high, device.siteIds, device.id, addDays(today, -SHARED_VISIT_DAYS), addDays(today, SHARED_VISIT_DAYS), limit + 1, device.siteIds];
		const window = `seq > $1::bigint and seq <= $2::bigint`;
		const notMine = `origin_device is distinct from $4::uuid`;
		const held = (household: string) =>
			`exists (select 1 from household_sites hs where hs.household_id = ${household} and hs.live and hs.site_id = any($3::uuid[]))`;
		const worksHere = `(data->'siteIds') ?| $8::text[]`;
		// Evictions: nothing to evict on a first pull.
		const evictions =
			since === '0'
				? ''
				: `union all select 'evict:households', hs.household_id::text, null, true, null, hs.seq from household_sites hs
				     where hs.seq > $1::bigint and hs.seq <= $2::bigint and not hs.live and hs.site_id = any($3::uuid[])
				       and not ${held('hs.household_id')}
				   union all select 'evict:staff', id::text, null, true, null, seq from staff where ${window} and not ${worksHere}`;
		const r = await tx.query<{ t: Change['table'] | `evict:${EvictableTable}`; id: string; hlc: string; deleted: boolean; data: unknown; seq: string }>(
			`select t, id, hlc, deleted, data, seq::text as seq from (
			   select 'programs' as t, ${COLS} from programs where ${window}
			   union all select 'sites', ${COLS} from sites where ${window} and id = any($3::uuid[])
			   union all select 'sessions', ${COLS} from sessions where ${window} and site_id = any($3::uuid[]) and ${notMine}
			   union all select 'topics', ${COLS} from topics where ${window}
			   union all select 'towns', ${COLS} from towns where ${window}
			   union all select 'card_retirements', ${COLS} from card_retirements where ${window}
			   union all select 'staff', ${COLS} from staff where ${window} and ${worksHere}
			   union all select 'households', ${COLS} from households h where ${window} and ${notMine} and ${held('h.id')}
			   union all select 'children', ${COLS} from children c where ${window} and ${notMine} and ${held('c.household_id')}
			   union all select 'visits', v.id::text, v.hlc, v.deleted, v.data, v.seq from visits v
			     join sessions s on s.id = v.session_id
			     where v.seq > $1::bigint and v.seq <= $2::bigint and v.origin_device is distinct from $4::uuid
			       and s.site_id = any($3::uuid[]) and s.session_date between $5 and $6
			   ${evictions}
			 ) page order by page.seq limit $7`,
			params
		);
		const more = r.rows.length > limit;
		// The last page of a pull: the tablet now holds everything the centre had for it.
		await noteContact(tx, device, { pending, caughtUp: !more }, now);
		const rows = more ? r.rows.slice(0, limit) : r.rows;
		const cursor = more ? rows[rows.length - 1]!.seq : high;
		const changes: Change[] = [];
		const evict: PullResponse['evict'] = [];
		for (const row of rows) {
			if (row.t.startsWith('evict:')) evict.push({ table: row.t.slice('evict:'.length) as EvictableTable, id: row.id });
			else changes.push({ table: row.t, id: row.id, hlc: row.hlc, deleted: row.deleted, data: row.data } as Change);
		}
		return {
			changes,
			evict,
			cursor: BigInt(cursor) < BigInt(since) ? since : cursor,
			more,
			devicePushed: device.pushedCount
		};
	});
	return { ...page, sealKey };
}
