/**
 * Storing rows that come from the centre (a pull page, a card lookup) on the tablet: the merge rule
 * decides, row by row, so a pulled version never replaces a newer local one (an edit made while
 * the page was on its way). Runs inside the caller's Dexie transaction.
 */
import type { HlcClock } from '$lib/domain/hlc';
import { wins, type Change, type EvictableTable, type SyncTable } from '$lib/sync/protocol';
import type { HirobaDB, Row } from '../db/db';

export async function mergeChanges(db: HirobaDB, changes: Change[], clock: HlcClock | null): Promise<void> {
	const tables = [...new Set(changes.map((c) => c.table))] as SyncTable[];
	for (const table of tables) {
		const mine = changes.filter((c) => c.table === table);
		const t = db.syncTable(table);
		const existing = await t.bulkGet(mine.map((c) => c.id));
		const winners = new Map<string, Row<SyncTable>>();
		mine.forEach((c, i) => {
			const local = winners.get(c.id) ?? existing[i];
			if (wins(c.hlc, local?.hlc)) winners.set(c.id, { ...(c.data as object), id: c.id, hlc: c.hlc, deleted: c.deleted } as Row<SyncTable>);
		});
		await t.bulkPut([...winners.values()]);
		for (const c of mine) clock?.receive(c.hlc);
	}
}

/**
 * Remove what the tablet may no longer hold: a family no longer registered or seen at its sites
 * (with its children), a staff member who no longer works there. These are not deletions at the
 * centre; the family comes back by pull if it is seen at the site again. The outbox is left alone:
 * a change still waiting is pushed, and the centre judges it.
 */
export async function applyEvictions(db: HirobaDB, evict: Array<{ table: EvictableTable; id: string }>): Promise<void> {
	const households = evict.filter((e) => e.table === 'households').map((e) => e.id);
	const staff = evict.filter((e) => e.table === 'staff').map((e) => e.id);
	if (households.length > 0) {
		await db.children.where('householdId').anyOf(households).delete();
		await db.households.bulkDelete(households);
	}
	if (staff.length > 0) await db.staff.bulkDelete(staff);
}
