import type { HirobaDB } from './db';

/** Remove every record and credential from the tablet (revoked or retired device). */
export async function wipeLocalData(db: HirobaDB): Promise<void> {
	await db.transaction('rw', db.tables, async () => {
		await Promise.all(db.tables.map((t) => t.clear()));
	});
}
