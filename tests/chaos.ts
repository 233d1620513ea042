/**
 * The hostile-network sync property, shared by the in-process run (src/lib/client/sync/chaos.spec.ts,
 * PGlite and PostgreSQL) and the run against two real server processes sharing one PostgreSQL
 * database (tests/chaos-processes.spec.ts).
 *
 * Two or three tablets at one site record, edit and delete families, visits and consultations;
 * the centre edits the same records too; tablets write while their own sync is in flight; clocks
 * jump an hour either way (a clock ahead of the centre's is refused and corrected); pulls come in
 * pages of a few rows. Meanwhile the network drops requests, cuts them after the centre acted,
 * delivers them twice, and holds them back to deliver late and out of order. Once it heals:
 *
 * 1. no tablet has anything left to send, nor an error;
 * 2. the centre holds exactly the records that reached it, each at the version with the greatest
 *    stamp among those it accepted (the centre's own edits included);
 * 3. every tablet's last write of every record reached the centre (possibly stamped again);
 * 4. every tablet agrees with the centre on everything that flows down to it;
 * 5. a replay of every push ever sent changes nothing at all: not a row, not a sequence number,
 *    not a count, and no tablet receives anything new.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import { uuidv7 } from '../src/lib/domain/ids';
import type { Store } from '../src/lib/server/db/store';
import { writeCentreRecords } from '../src/lib/server/sync/records';
import type { PushableTable, TableData } from '../src/lib/sync/protocol';
import { enrollmentCode, seedCentre, type CentreFixture } from './centre';
import { storeSnapshot } from './snapshot';
import { truncateAll } from './stores';
import { Tablet } from './tablet';
import * as f from './factories';

export const FAULTS = ['ok', 'ok', 'ok', 'drop', 'cut', 'duplicate', 'delay', 'late'] as const;
type Fault = (typeof FAULTS)[number];

/** A version of a record the centre accepted (applied, or already had), as it crossed the wire. */
interface Delivered {
	table: PushableTable;
	hlc: string;
	deleted: boolean;
	data: unknown;
}

/** What the property runs against: a store to inspect and edit, and a route to the centre per tablet. */
export interface Centre {
	store: Store;
	/** The centre as tablet `i` reaches it (in-process handlers, or one of several server processes). */
	fetchFor(i: number): typeof fetch;
}

interface PulledChange {
	table: string;
	id: string;
	deleted: boolean;
	data: Record<string, unknown>;
}

interface PushBody {
	protocol: number;
	changes: Array<{ table: PushableTable; id: string; hlc: string; deleted: boolean; data: unknown }>;
}

/** A network between one tablet and the centre that misbehaves on a script. */
class ChaosNetwork {
	#faults: Fault[];
	#i = 0;
	healed = false;
	readonly held: Array<() => Promise<Response>> = [];
	readonly log: Fault[] = [];
	/** Every push that reached the centre, with the token it carried and the verdicts: replayed at the end. */
	readonly pushes: Array<{ authorization: string; body: string; verdicts: string[] }> = [];
	/**
	 * Something the tablet does while its own request of this kind is on its way: before a push is
	 * sent; after a pull's page with families or visits in it has left the centre and before the
	 * tablet stores it (given those rows).
	 */
	interject: { during: 'push' | 'pull'; run: (page: PulledChange[]) => Promise<void> } | null = null;

	constructor(
		faults: Fault[],
		readonly real: typeof fetch,
		readonly accepted: (body: PushBody, results: Array<{ id: string; status: string }>) => void
	) {
		this.#faults = faults.length > 0 ? faults : ['ok'];
	}

	fetch: typeof fetch = async (input, init) => {
		const url = String(input instanceof Request ? input.url : input);
		const body = init?.body as string | undefined;
		const headers = init?.headers as Record<string, string> | undefined;
		const kind = url.includes('/sync/push') ? 'push' : url.includes('/sync/pull') ? 'pull' : 'other';
		const interject = this.interject?.during === kind ? this.interject : null;
		if (interject && kind === 'push') {
			this.interject = null;
			await interject.run([]);
		}
		const send = async () => {
			const res = await this.real(url, { method: init?.method, headers, body });
			if (kind === 'push' && body) {
				const results = res.ok ? ((await res.clone().json()) as { results: Array<{ id: string; status: string; error?: { code: string } }> }).results : [];
				this.pushes.push({ authorization: headers?.authorization ?? '', body, verdicts: results.map((r) => r.error?.code ?? r.status) });
				if (res.ok) this.accepted(JSON.parse(body) as PushBody, results);
			}
			// Once, on the first page that reaches the tablet with a family or a visit in it.
			if (interject && kind === 'pull' && res.ok && this.interject === interject) {
				const page = ((await res.clone().json()) as { changes: PulledChange[] }).changes.filter(
					(c) => (c.table === 'visits' || c.table === 'households') && !c.deleted
				);
				if (page.length > 0) {
					this.interject = null;
					await interject.run(page);
				}
			}
			return res;
		};
		const fault: Fault = this.healed ? 'ok' : this.#faults[this.#i++ % this.#faults.length]!;
		this.log.push(fault);
		switch (fault) {
			case 'ok':
				return send();
			case 'drop':
				throw new TypeError('network: request lost');
			case 'cut':
				await send();
				throw new TypeError('network: response lost');
			case 'duplicate':
				await send();
				return send();
			case 'delay':
				this.held.push(send);
				throw new TypeError('network: timed out');
			case 'late': {
				// An old request held back earlier arrives now, before this one.
				const old = this.held.shift();
				if (old) await old();
				return send();
			}
		}
	};

	/** The network heals: everything held back is finally delivered, in the given order. */
	async heal(order: number[]): Promise<void> {
		this.healed = true;
		const held = this.held.splice(0);
		const sequence = order.map((k) => k % Math.max(held.length, 1));
		const delivered = new Set<number>();
		for (const k of sequence) {
			if (k < held.length && !delivered.has(k)) {
				delivered.add(k);
				await held[k]!();
			}
		}
		for (let k = 0; k < held.length; k++) if (!delivered.has(k)) await held[k]!();
	}
}

type Op =
	| { kind: 'create'; tablet: number; what: 'household' | 'visit' | 'walkin' | 'consultation' }
	| { kind: 'edit'; tablet: number; pick: number }
	| { kind: 'delete'; tablet: number; pick: number }
	| { kind: 'session'; tablet: number; status: 'open' | 'closed' }
	| { kind: 'sync'; tablet: number }
	| { kind: 'syncWhileEditing'; tablet: number; pick: number; during: 'push' | 'pull' }
	| { kind: 'centreEdit'; pick: number }
	| { kind: 'clock'; tablet: number; ms: number };

const opArb = (tablets: number): fc.Arbitrary<Op> => {
	const t = fc.nat({ max: tablets - 1 });
	return fc.oneof(
		{
			weight: 4,
			arbitrary: fc.record({
				kind: fc.constant('create' as const),
				tablet: t,
				what: fc.constantFrom('household' as const, 'visit' as const, 'walkin' as const, 'consultation' as const)
			})
		},
		{ weight: 3, arbitrary: fc.record({ kind: fc.constant('edit' as const), tablet: t, pick: fc.nat() }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), tablet: t, pick: fc.nat() }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('session' as const), tablet: t, status: fc.constantFrom('open' as const, 'closed' as const) }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), tablet: t }) },
		{
			weight: 4,
			arbitrary: fc.record({
				kind: fc.constant('syncWhileEditing' as const),
				tablet: t,
				pick: fc.nat(),
				during: fc.constantFrom('push' as const, 'pull' as const, 'pull' as const)
			})
		},
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('centreEdit' as const), pick: fc.nat() }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('clock' as const), tablet: t, ms: fc.integer({ min: -3_600_000, max: 3_600_000 }) }) }
	);
};

export const scenarioArb = fc.integer({ min: 2, max: 3 }).chain((tablets) =>
	fc.record({
		tablets: fc.constant(tablets),
		ops: fc.array(opArb(tablets), { minLength: 5, maxLength: 40 }),
		faults: fc.array(fc.array(fc.constantFrom(...FAULTS), { minLength: 1, maxLength: 12 }), { minLength: tablets, maxLength: tablets }),
		healOrder: fc.array(fc.nat({ max: 50 }), { maxLength: 20 }),
		pullLimit: fc.integer({ min: 1, max: 4 })
	})
);
export type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

/** One run of the property; throws (through expect) when it does not hold. */
export async function runScenario(centre: Centre, sc: Scenario): Promise<void> {
	const { store } = centre;
	await truncateAll(store);
	const fx: CentreFixture = await seedCentre(store);

	// What reached the centre and was accepted, per record id; and each tablet's last write.
	const delivered = new Map<string, Delivered[]>();
	const accept = (id: string, v: Delivered) => delivered.set(id, [...(delivered.get(id) ?? []), v]);
	const accepted = (body: PushBody, results: Array<{ id: string; status: string }>) =>
		body.changes.forEach((c, k) => {
			if (results[k]?.status !== 'rejected') accept(c.id, { table: c.table, hlc: c.hlc, deleted: c.deleted, data: c.data });
		});
	const lastWrite = new Map<string, { tablet: number; table: PushableTable; id: string; deleted: boolean; data: unknown }>();
	// The centre's own versions of the records tablets may edit (today's session) count as accepted.
	for (const row of (await store.query<{ id: string; hlc: string; deleted: boolean; data: unknown }>(`select id::text, hlc, deleted, data from sessions`))
		.rows) {
		accept(row.id, { table: 'sessions', hlc: row.hlc, deleted: row.deleted, data: row.data });
	}

	const nets = sc.faults.map((faults, i) => new ChaosNetwork(faults, centre.fetchFor(i), accepted));
	const tablets: Tablet[] = [];
	for (let i = 0; i < sc.tablets; i++) {
		// Small batches (many pipelined pushes) and small pull pages (many page boundaries).
		const t = new Tablet(`T${i}`, { fetch: nets[i]!.fetch, timeoutMs: 60_000, batchSize: 3, pullLimit: sc.pullLimit });
		await t.enroll(await enrollmentCode(store, [fx.siteId]), centre.fetchFor(i));
		tablets.push(t);
	}
	const save = async <T extends PushableTable>(i: number, table: T, id: string, data: TableData[T], deleted = false) => {
		await tablets[i]!.save(table, id, data, deleted);
		lastWrite.set(`${i}:${id}`, { tablet: i, table, id, deleted, data });
	};

	/** Edit whatever tablet `i` can see: its own records or ones pulled from others. */
	const edit = async (i: number, pick: number) => {
		const t = tablets[i]!;
		const visits = (await t.db.visits.toArray()).filter((v) => !v.deleted);
		const households = (await t.db.households.toArray()).filter((h) => !h.deleted);
		const pool = [...visits.map((v) => ['visits', v] as const), ...households.map((h) => ['households', h] as const)];
		if (pool.length === 0) return;
		const [table, row] = pool[pick % pool.length]!;
		if (table === 'visits') {
			const { id, hlc: _h, deleted: _d, ...data } = row as (typeof visits)[number];
			await save(i, 'visits', id, { ...data, adults: (data.adults % 3) + 1, checkedOutAt: data.checkedOutAt ?? new Date(t.time).toISOString() });
		} else {
			const { id, hlc: _h, deleted: _d, ...data } = row as (typeof households)[number];
			await save(i, 'households', id, { ...data, nickname: `${i}:${pick % 1000}` });
		}
	};

	/** A coordinator edits a family or a visit at the centre, stamped after the version it replaces. */
	const centreEdit = async (pick: number) => {
		const r = await store.query<{ t: 'households' | 'visits'; id: string; data: Record<string, unknown> }>(
			`select 'households' as t, id::text, data from households where not deleted
			 union all select 'visits', id::text, data from visits where not deleted order by id`
		);
		if (r.rows.length === 0) return;
		const row = r.rows[pick % r.rows.length]!;
		const data = row.t === 'households' ? { ...row.data, nickname: `centre:${pick % 1000}` } : { ...row.data, adults: ((Number(row.data.adults) + 1) % 3) + 1 };
		await store.transaction((tx) => writeCentreRecords(tx, row.t, [{ id: row.id, data: data as never }]));
		const stored = await store.query<{ hlc: string; deleted: boolean; data: unknown }>(`select hlc, deleted, data from ${row.t} where id = $1`, [row.id]);
		accept(row.id, { table: row.t, ...stored.rows[0]! });
	};

	try {
		for (const op of sc.ops) {
			if (op.kind === 'centreEdit') {
				await centreEdit(op.pick);
				continue;
			}
			const t = tablets[op.tablet]!;
			switch (op.kind) {
				case 'create': {
					if (op.what === 'household') {
						const hid = uuidv7();
						await save(op.tablet, 'households', hid, f.household({ registeredSiteId: fx.siteId }));
						await save(op.tablet, 'children', uuidv7(), f.child(hid));
					} else if (op.what === 'visit') {
						const households = (await t.db.households.toArray()).filter((h) => !h.deleted);
						const h = households[households.length - 1];
						await save(op.tablet, 'visits', uuidv7(), f.visit(fx.sessionId, h ? { householdId: h.id, cardCode: h.cardCode } : {}));
					} else if (op.what === 'walkin') {
						await save(
							op.tablet,
							'visits',
							uuidv7(),
							f.visit(fx.sessionId, { method: 'walkin', cardCode: null, walkInChildren: { age0: 1, age1: 0, age2: 1, age3plus: 0, school: 0 } })
						);
					} else {
						await save(op.tablet, 'consultations', uuidv7(), f.consultation(fx.sessionId, fx.staffId));
					}
					break;
				}
				case 'edit':
					await edit(op.tablet, op.pick);
					break;
				case 'delete': {
					const visits = (await t.db.visits.toArray()).filter((v) => !v.deleted);
					if (visits.length === 0) break;
					const { id, hlc: _h, deleted: _d, ...data } = visits[op.pick % visits.length]!;
					await save(op.tablet, 'visits', id, data, true);
					break;
				}
				case 'session': {
					const s = await t.db.sessions.get(fx.sessionId);
					if (!s) break; // not pulled yet
					const { id, hlc: _h, deleted: _d, ...data } = s;
					await save(op.tablet, 'sessions', id, { ...data, status: op.status });
					break;
				}
				case 'sync':
					await t.sync();
					break;
				case 'syncWhileEditing':
					nets[op.tablet]!.interject = {
						during: op.during,
						// During a pull, edit a record of the page itself when it has one: the page's
						// version is then older than the tablet's own by the time it is stored.
						run: async (page) => {
							if (page.length === 0) return edit(op.tablet, op.pick);
							const c = page[op.pick % page.length]!;
							if (c.table === 'visits') {
								const data = c.data as TableData['visits'];
								await save(op.tablet, 'visits', c.id, { ...data, adults: (data.adults % 3) + 1 });
							} else {
								await save(op.tablet, 'households', c.id, { ...(c.data as TableData['households']), nickname: `${op.tablet}:in-flight` });
							}
						}
					};
					await t.sync();
					nets[op.tablet]!.interject = null;
					break;
				case 'clock':
					t.time += op.ms;
					break;
			}
		}

		// The network heals. Late requests land; tablets sync until nothing is left.
		for (const n of nets) await n.heal(sc.healOrder);
		for (let round = 0; round < 3; round++) for (const t of tablets) await t.sync();

		// 1. Nothing left to send, no error.
		for (const t of tablets) {
			expect(await t.db.outbox.toArray()).toEqual([]);
			expect(t.engine.status.lastError).toBeNull();
		}

		// 2. The centre holds exactly what reached it, each record at its greatest accepted stamp.
		const centreRows = new Map<string, { table: string; hlc: string; deleted: boolean; data: unknown }>();
		for (const table of ['households', 'children', 'visits', 'consultations', 'sessions'] as const) {
			const r = await store.query<{ id: string; hlc: string; deleted: boolean; data: unknown }>(`select id::text, hlc, deleted, data from ${table}`);
			for (const row of r.rows) centreRows.set(row.id, { table, hlc: row.hlc, deleted: row.deleted, data: row.data });
		}
		const fixture = new Set([fx.sessionId, fx.otherSessionId]);
		expect([...centreRows.keys()].filter((id) => !fixture.has(id)).sort()).toEqual([...delivered.keys()].filter((id) => !fixture.has(id)).sort());
		for (const [id, versions] of delivered) {
			const newest = versions.reduce((a, b) => (b.hlc > a.hlc ? b : a));
			expect({ id, ...centreRows.get(id) }).toEqual({ id, table: newest.table, hlc: newest.hlc, deleted: newest.deleted, data: newest.data });
		}

		// 3. Every tablet's last write of every record reached the centre.
		for (const w of lastWrite.values()) {
			const node = (await tablets[w.tablet]!.node())!;
			const arrived = (delivered.get(w.id) ?? []).some((v) => v.hlc.endsWith(`:${node}`) && v.deleted === w.deleted && equalJson(v.data, w.data));
			expect({ lost: w, arrived }).toEqual({ lost: w, arrived: true });
		}

		// 4. Every tablet agrees with the centre on everything that flows down to it.
		for (const [k, t] of tablets.entries()) {
			for (const table of ['households', 'children', 'visits', 'sessions'] as const) {
				const local = new Map((await t.db.syncTable(table).toArray()).map((row) => [row.id, row.hlc]));
				// The tablets are enrolled at fx.siteId: the other site's session is not theirs to see.
				const central = await store.query<{ id: string; hlc: string }>(`select id::text, hlc from ${table} where id <> $1`, [fx.otherSessionId]);
				for (const row of central.rows)
					expect([t.name, table, row.id, local.get(row.id), nets[k]!.log.join(',')]).toEqual([t.name, table, row.id, row.hlc, nets[k]!.log.join(',')]);
			}
		}

		// 5. A replay of every push changes nothing, and brings no tablet anything new.
		const before = await storeSnapshot(store);
		const cursors = await Promise.all(tablets.map((t) => t.cursor()));
		for (const [k, n] of nets.entries()) {
			const real = centre.fetchFor(k + 1);
			for (const p of n.pushes) {
				const res = await real('http://centre.test/api/v1/sync/push', {
					method: 'POST',
					headers: { 'content-type': 'application/json', authorization: p.authorization },
					body: p.body
				});
				expect(res.status).toBe(200);
				const { results } = (await res.json()) as { results: Array<{ status: string; error?: { code: string } }> };
				const changes = (JSON.parse(p.body) as PushBody).changes;
				// The centre has it (duplicate), or something newer (stale); a refusal stays a refusal.
				results.forEach((r, j) => {
					const c = changes[j]!;
					const seen = { table: c.table, id: c.id, hlc: c.hlc, first: p.verdicts[j], replay: r.error?.code ?? r.status };
					expect(seen).toEqual({ ...seen, replay: expect.toSatisfy((v: string) => v !== 'applied') });
				});
			}
		}
		expect(await storeSnapshot(store)).toEqual(before);
		for (const [k, t] of tablets.entries()) {
			await t.sync();
			expect(await t.cursor()).toBe(cursors[k]);
		}
	} finally {
		for (const t of tablets) t.close();
	}
}

function equalJson(a: unknown, b: unknown): boolean {
	return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
	if (Array.isArray(v)) return v.map(sortKeys);
	if (v && typeof v === 'object')
		return Object.fromEntries(
			Object.entries(v)
				.sort(([a], [b]) => a.localeCompare(b))
				.map(([k, x]) => [k, sortKeys(x)])
		);
	return v;
}
