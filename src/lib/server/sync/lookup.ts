/**
 * One card, looked up while the centre is reachable: a family registered elsewhere is not on this
 * tablet (it holds only its sites' share), so a card from elsewhere checks in as an unknown card and
 * the tablet may then ask for that one household and its children, to greet the family and count
 * its children at once instead of after the next sync. The answer is exactly one family; the lookup
 * is rate-limited per device and every one is written to the audit log.
 */
import { ApiError } from '$lib/sync/errors';
import type { Change, LookupResponse } from '$lib/sync/protocol';
import type { Store } from '../db/store';
import { audit, type Device } from '../auth/devices';
import { hitRateLimit } from '../auth/rate-limit';

/** Lookups allowed per device per hour: a busy morning at a new site, not a crawl of the ward. */
export const LOOKUP_RATE = { limit: 120, windowSeconds: 3600 };

const COLS = `id::text as id, hlc, deleted, data`;

export async function lookupCard(store: Store, device: Device, cardCode: string): Promise<LookupResponse> {
	// Counted outside the lookup's transaction: a miss counts as much as a hit.
	await hitRateLimit(store, `lookup:${device.id}`, LOOKUP_RATE.limit, LOOKUP_RATE.windowSeconds);
	const found = await store.transaction(async (tx) => {
		const h = await tx.query<Change<'households'>>(`select 'households' as "table", ${COLS} from households where card_code = $1 and not deleted`, [cardCode]);
		const household = h.rows[0];
		// A miss is audited too (committed with this transaction, before the 404 is answered).
		await audit(tx, `device:${device.id}`, 'household.lookup', household?.id ?? null, { found: household !== undefined });
		if (!household) return null;
		const c = await tx.query<Change<'children'>>(`select 'children' as "table", ${COLS} from children where household_id = $1 order by id`, [household.id]);
		return { household, children: c.rows };
	});
	if (!found) throw new ApiError('not_found', 'no family has this card');
	return found;
}
