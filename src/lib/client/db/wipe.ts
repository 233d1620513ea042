import type { HirobaDB } from './db';

/** How long the wipe waits for other tabs to let the database go before it settles for cleared tables. */
const DELETE_WAIT_MS = 5_000;

/**
 * Remove every record and credential from the tablet (revoked or retired device): every table is
 * cleared in one transaction, then the database itself is deleted. The database opens again,
 * empty, when the page next uses it. (Another tab holding the database open is asked to let it go;
 * if it does not within DELETE_WAIT_MS, the cleared tables stand.)
 *
 * A cleared or deleted database's records can linger in IndexedDB's files on disk until the
 * browser compacts them; for a revoked tablet the centre's answer also tells the browser to delete
 * the origin's storage outright (Clear-Site-Data, server/http.ts), which may already have closed
 * and emptied the database by the time this runs: that is no failure.
 */
export async function wipeLocalData(db: HirobaDB): Promise<void> {
	try {
		await db.transaction('rw', db.tables, async () => {
			await Promise.all(db.tables.map((t) => t.clear()));
		});
	} catch {
		// Closed under us (the browser deleting the origin's storage): the deletion below still runs.
	}
	let timer: ReturnType<typeof setTimeout> | undefined;
	await Promise.race([
		db.delete({ disableAutoOpen: false }).catch(() => undefined),
		new Promise<void>((resolve) => (timer = setTimeout(resolve, DELETE_WAIT_MS)))
	]);
	clearTimeout(timer);
}
