/**
 * A first pull cut halfway resumes where it stopped (DESIGN.md "Performance budgets": a new
 * tablet's first pull … and a pull cut halfway resumes where it stopped; "Sync protocol": the pull
 * cursor advances only in the same local transaction that stores the pulled rows).
 *
 * A new tablet pulls its share in small pages through a network that drops the connection after a
 * few pages: the centre builds the next page, the tablet never receives it. The pages it did
 * receive stay stored, with their cursor; the next sync asks from that cursor, never from 0, so no
 * row comes twice except those of the page that was in flight; and in the end the tablet holds
 * exactly what a tablet whose pull was never cut holds.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uuidv7 } from '$lib/domain/ids';
import type { Store } from '$lib/server/db/store';
import { writeCentreRecords } from '$lib/server/sync/records';
import { SYNC_TABLES, type Change } from '$lib/sync/protocol';
import { openForSuite, testStores, truncateAll } from '../../../../tests/stores';
import { enrollmentCode, seedCentre, type CentreFixture } from '../../../../tests/centre';
import { inProcessFetch } from '../../../../tests/in-process';
import { Tablet } from '../../../../tests/tablet';
import * as f from '../../../../tests/factories';

const PAGE = 10;

/** One pull request as the network saw it: what the centre answered, and whether the tablet got it. */
interface PullSeen {
	since: string;
	cursor: string;
	rows: string[];
	delivered: boolean;
}

/** The centre in-process, behind a link that can drop every pull answer after the next `n`. */
function cuttableLink() {
	const inner = inProcessFetch();
	let left = Infinity;
	const pulls: PullSeen[] = [];
	const fetch: typeof globalThis.fetch = async (input, init) => {
		const url = new URL(input instanceof Request ? input.url : String(input));
		const res = await inner(input, init);
		if (url.pathname !== '/api/v1/sync/pull' || res.status !== 200) return res;
		const body = (await res.json()) as { changes: Change[]; cursor: string };
		const seen = { since: url.searchParams.get('since') ?? '', cursor: body.cursor, rows: body.changes.map((c) => `${c.table}:${c.id}`), delivered: left > 0 };
		pulls.push(seen);
		// The centre has built the page; the connection drops before the tablet has it.
		if (!seen.delivered) throw new TypeError('network error: the connection was reset');
		left--;
		return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', date: res.headers.get('date') ?? '' } });
	};
	return {
		fetch,
		pulls,
		cutAfter: (n: number) => void (left = n),
		heal: () => void (left = Infinity)
	};
}

/** Everything a tablet holds of what flows down: table, id and stamp of every row. */
async function holdings(t: Tablet): Promise<string[]> {
	const out: string[] = [];
	for (const table of SYNC_TABLES) {
		for (const row of await t.db.syncTable(table).toArray()) out.push(`${table}:${row.id}:${row.hlc}`);
	}
	return out.sort();
}

const rowKeys = (rows: string[]) => rows.map((r) => r.split(':').slice(0, 2).join(':')).sort();

describe.each(testStores())('a first pull cut halfway, on $name', (ts) => {
	let store: Store;
	let fx: CentreFixture;
	const open: Tablet[] = [];

	openForSuite(ts, (s) => (store = s), { serve: true });
	beforeEach(async () => {
		await truncateAll(store);
		fx = await seedCentre(store);
		// The site's share: 40 families registered there, with their children; and 10 of another
		// site, which the tablet must not receive.
		await store.transaction(async (tx) => {
			const here = Array.from({ length: 40 }, () => ({ id: uuidv7(), data: f.household({ registeredSiteId: fx.siteId }) }));
			const there = Array.from({ length: 10 }, () => ({ id: uuidv7(), data: f.household({ registeredSiteId: fx.otherSiteId }) }));
			await writeCentreRecords(tx, 'households', [...here, ...there]);
			await writeCentreRecords(
				tx,
				'children',
				[...here, ...there].flatMap((h, i) => Array.from({ length: 1 + (i % 2) }, () => ({ data: f.child(h.id) })))
			);
		});
	});
	afterEach(() => {
		for (const t of open.splice(0)) t.close();
	});

	async function newTablet(name: string, link: ReturnType<typeof cuttableLink>): Promise<Tablet> {
		const t = new Tablet(name, { fetch: link.fetch, pullLimit: PAGE });
		open.push(t);
		await t.enroll(await enrollmentCode(store, [fx.siteId]));
		return t;
	}

	it.each([
		['one page', 1],
		['four pages', 4]
	] as const)('keeps the %s it stored, asks from their cursor, and ends with exactly the share', async (_name, stored) => {
		// A tablet whose pull is never cut, for what the share is.
		const whole = cuttableLink();
		const control = await newTablet('control', whole);
		await control.sync();
		expect(control.engine.status.state).toBe('idle');
		const share = await holdings(control);
		const pages = whole.pulls.length;
		expect(pages).toBeGreaterThan(stored + 2);
		const held = await store.query<{ id: string }>(`select household_id::text as id from household_sites where site_id = $1 and live order by 1`, [fx.siteId]);
		expect(held.rows).toHaveLength(40);
		expect(share.filter((r) => r.startsWith('households:')).map((r) => r.split(':')[1])).toEqual(held.rows.map((r) => r.id));

		const link = cuttableLink();
		const t = await newTablet('cut', link);
		link.cutAfter(stored);
		await t.sync();
		expect(t.engine.status).toMatchObject({ state: 'offline', lastError: { code: 'network' } });
		const first = link.pulls.filter((p) => p.delivered);
		const inFlight = link.pulls.filter((p) => !p.delivered);
		expect(first).toHaveLength(stored);
		expect(inFlight).toHaveLength(1);
		// What it received stays: the rows of the pages it got, and their cursor, nothing more.
		const cursor = await t.cursor();
		expect(cursor).toBe(first[first.length - 1]!.cursor);
		expect(cursor).not.toBe('0');
		expect(rowKeys(await holdings(t))).toEqual(first.flatMap((p) => p.rows).sort());

		link.pulls.length = 0;
		link.heal();
		await t.sync();
		expect(t.engine.status).toMatchObject({ state: 'idle', lastError: null });
		// The second pull starts from the stored cursor, where the page in flight started.
		expect(link.pulls[0]!.since).toBe(cursor);
		expect(inFlight[0]!.since).toBe(cursor);
		// No row comes twice, except those of the page in flight, which the tablet never had.
		const again = new Set(link.pulls.flatMap((p) => p.rows));
		expect(first.flatMap((p) => p.rows).filter((r) => again.has(r))).toEqual([]);
		const inFlightRows = new Set(inFlight[0]!.rows);
		const twiceFromCentre = [...first, ...inFlight].flatMap((p) => p.rows).filter((r) => again.has(r));
		expect(twiceFromCentre.every((r) => inFlightRows.has(r))).toBe(true);
		expect(first.length + link.pulls.length).toBe(pages);
		// And it holds exactly the share.
		expect(await holdings(t)).toEqual(share);
		expect(await t.cursor()).toBe(await control.cursor());
	});
});
