/**
 * Which families a tablet may hold (DESIGN.md "Data minimisation"). A tablet holds the households
 * and children of families registered at or seen at one of its sites in the last 13 months; a card
 * from elsewhere still checks in offline and the family arrives after the visit has synced.
 *
 * The table `household_sites` keeps one "holding" per household and site (migration 0003). Every
 * write of a household or a visit notes where the family was seen; a holding that becomes live
 * takes a new sync sequence number, and so do the family's records, so they flow down to that
 * site's tablets at their next pull. The maintenance job turns holdings not seen for 13 months off,
 * again with a new number, and the next pull tells those tablets to evict the family.
 *
 * Every function here runs inside a transaction that holds the sync write lock (records.ts).
 */
import { addMonths, tokyoDate, type IsoDate } from '$lib/domain/dates';
import type { Queryable } from '../db/store';

/** How long a family stays on a site's tablets after it was last registered or seen there. */
export const HOLD_MONTHS = 13;

/** The earliest last-seen date that still counts, on the Tokyo calendar. */
export function holdCutoff(now: number): IsoDate {
	return addMonths(tokyoDate(now), -HOLD_MONTHS);
}

export interface Sighting {
	householdId: string;
	siteId: string;
	date: IsoDate;
}

/**
 * Upsert holdings from a source of sightings (a CTE named `sight` with columns h, s, d: household,
 * site, date; one row per household and site), writing only where something changes: a family seen
 * again the same day writes nothing. `$1` is the cutoff date; the source's parameters follow.
 * Returns the households that became live at a site where they were not (new, or seen again after
 * their holding expired).
 */
async function upsertSightings(tx: Queryable, source: string, params: unknown[], now: number): Promise<Set<string>> {
	const r = await tx.query<{ h: string; live: boolean; was_live: boolean | null }>(
		`with ${source},
		 prev as (
		   select hs.household_id, hs.site_id, hs.live from household_sites hs join sight on hs.household_id = sight.h and hs.site_id = sight.s
		 )
		 insert into household_sites as hs (household_id, site_id, last_seen, live, seq)
		 select sight.h, sight.s, sight.d, sight.d >= $1, case when sight.d >= $1 then nextval('sync_seq') else 0 end from sight
		 order by sight.h, sight.s
		 on conflict (household_id, site_id) do update set
		   last_seen = greatest(hs.last_seen, excluded.last_seen),
		   live = hs.live or excluded.live,
		   seq = case when not hs.live and excluded.live then excluded.seq else hs.seq end
		 where hs.last_seen < excluded.last_seen or (not hs.live and excluded.live)
		 returning hs.household_id::text as h, hs.live,
		   (select p.live from prev p where p.household_id = hs.household_id and p.site_id = hs.site_id) as was_live`,
		[holdCutoff(now), ...params]
	);
	return new Set(r.rows.filter((row) => row.live && row.was_live !== true).map((row) => row.h));
}

/** Record that families were seen at sites on dates (see upsertSightings). */
export async function noteSightings(tx: Queryable, sightings: Sighting[], now: number): Promise<Set<string>> {
	if (sightings.length === 0) return new Set();
	return upsertSightings(
		tx,
		`sight as (select h, s, max(d) as d from unnest($2::uuid[], $3::uuid[], $4::text[]) as x(h, s, d) group by h, s)`,
		[sightings.map((x) => x.householdId), sightings.map((x) => x.siteId), sightings.map((x) => x.date)],
		now
	);
}

/**
 * Give a family's records new sequence numbers, so that they flow to the tablets of a site where
 * the family has just become live. `origin_device` is cleared: every tablet that may hold them
 * receives them, the one whose visit brought them included (it had only the card).
 */
export async function resendFamilies(tx: Queryable, householdIds: Iterable<string>, opts: { households: boolean }): Promise<void> {
	const ids = [...householdIds];
	if (ids.length === 0) return;
	if (opts.households) {
		await tx.query(`update households set seq = nextval('sync_seq'), origin_device = null where id = any($1::uuid[])`, [ids]);
	}
	await tx.query(`update children set seq = nextval('sync_seq'), origin_device = null where household_id = any($1::uuid[])`, [ids]);
}

/** Where households just written were registered, and where visits already at the centre saw them. */
export async function noteHouseholdWrites(
	tx: Queryable,
	rows: Array<{ id: string; deleted: boolean; data: { registeredSiteId: string | null; consentDate: string; cardCode: string } }>,
	now: number
): Promise<void> {
	const live = rows.filter((r) => !r.deleted);
	if (live.length === 0) return;
	const sightings: Sighting[] = live.flatMap((r) =>
		r.data.registeredSiteId ? [{ householdId: r.id, siteId: r.data.registeredSiteId, date: r.data.consentDate }] : []
	);
	// Visits made with the card before the household reached the centre (registered on another
	// tablet that was offline): the family was seen there too.
	const byCard = new Map(live.map((r) => [r.data.cardCode, r.id]));
	const seen = await tx.query<{ card_code: string; site_id: string; date: string }>(
		`select v.card_code, s.site_id::text, max(s.session_date) as date
		 from visits v join sessions s on s.id = v.session_id
		 where v.card_code = any($1::text[]) and not v.deleted
		 group by v.card_code, s.site_id`,
		[[...byCard.keys()]]
	);
	for (const row of seen.rows) sightings.push({ householdId: byCard.get(row.card_code)!, siteId: row.site_id, date: row.date });
	const arrived = await noteSightings(tx, sightings, now);
	// The households themselves were just written (new numbers already); their children were not.
	await resendFamilies(tx, arrived, { households: false });
}

/** Where visits just written saw their families: the visit's session's site, on its date. */
export async function noteVisitWrites(
	tx: Queryable,
	rows: Array<{ deleted: boolean; data: { sessionId: string; householdId: string | null; cardCode: string | null } }>,
	now: number
): Promise<void> {
	// One per session and family (or card): a push of 500 check-ins names a few dozen.
	const seen = new Map<string, { s: string; h: string | null; c: string | null }>();
	for (const r of rows) {
		if (r.deleted || (r.data.householdId === null && r.data.cardCode === null)) continue;
		const x = { s: r.data.sessionId, h: r.data.householdId, c: r.data.householdId === null ? r.data.cardCode : null };
		seen.set(`${x.s}|${x.h ?? ''}|${x.c ?? ''}`, x);
	}
	if (seen.size === 0) return;
	const list = [...seen.values()];
	// A card alone names the family that holds it, if the centre has it yet (not one merged into
	// another: the card of a merged household is retired, and a tablet that shows it learns nothing).
	const arrived = await upsertSightings(
		tx,
		`x as (select * from unnest($2::uuid[], $3::uuid[], $4::text[]) as x(s, h, c)),
		 sight as (
		   select coalesce(x.h, h.id) as h, s.site_id as s, max(s.session_date) as d
		   from x join sessions s on s.id = x.s
		   left join households h on x.h is null and h.card_code = x.c and not h.deleted
		   where coalesce(x.h, h.id) is not null
		   group by 1, 2
		 )`,
		[list.map((x) => x.s), list.map((x) => x.h), list.map((x) => x.c)],
		now
	);
	await resendFamilies(tx, arrived, { households: true });
}

/**
 * The families among `householdIds` that the centre has: each one's card code, whether a device
 * at `siteIds` may hold it now, and whether it is a tombstone (merged into another family). A family missing from the answer is not known at the centre.
 */
export async function families(
	tx: Queryable,
	siteIds: string[],
	householdIds: string[]
): Promise<Map<string, { cardCode: string; held: boolean; deleted: boolean }>> {
	if (householdIds.length === 0) return new Map();
	const r = await tx.query<{ id: string; card_code: string; held: boolean; deleted: boolean }>(
		`select h.id::text, h.card_code, h.deleted,
		   exists (select 1 from household_sites hs where hs.household_id = h.id and hs.site_id = any($2::uuid[]) and hs.live) as held
		 from households h where h.id = any($1::uuid[])`,
		[householdIds, siteIds]
	);
	return new Map(r.rows.map((row) => [row.id, { cardCode: row.card_code, held: row.held, deleted: row.deleted }]));
}

/**
 * Turn off holdings not seen for 13 months, each with a new sequence number, so that the next pull
 * of each site's tablets evicts those families. Returns how many holdings expired.
 */
export async function expireHoldings(tx: Queryable, now: number): Promise<number> {
	const r = await tx.query(`update household_sites set live = false, seq = nextval('sync_seq') where live and last_seen < $1`, [holdCutoff(now)]);
	// And forget stamps refused as ahead once their time is a day past: no replay is that late.
	await tx.query(`delete from refused_stamps where left(hlc, 15)::bigint < $1`, [now - 86_400_000]);
	return r.rowCount;
}
