/**
 * A tablet's side of the device API, over real HTTP, for integration tests: enroll, push, pull, and
 * change envelopes stamped the way a tablet stamps them.
 */
import { deviceNode, formatHlc } from '../src/lib/domain/hlc';
import { uuidv7 } from '../src/lib/domain/ids';
import {
	PROTOCOL_VERSION,
	type Change,
	type EnrollResponse,
	type PullResponse,
	type PushResponse,
	type SyncTable,
	type TableData
} from '../src/lib/sync/protocol';

export interface HttpResult<T> {
	status: number;
	body: T;
}

async function call<T>(url: string, init: RequestInit): Promise<HttpResult<T>> {
	const res = await fetch(url, init);
	const text = await res.text();
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		body = text;
	}
	return { status: res.status, body: body as T };
}

export type ErrorBody = { error: { code: string; message: string } };

export function enroll(base: string, code: string, name: string): Promise<HttpResult<EnrollResponse & ErrorBody>> {
	return call(`${base}/api/v1/devices/enroll`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ code, name })
	});
}

export function push(base: string, token: string, changes: Change[]): Promise<HttpResult<PushResponse & ErrorBody>> {
	return call(`${base}/api/v1/sync/push`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
		body: JSON.stringify({ protocol: PROTOCOL_VERSION, changes })
	});
}

export function pull(base: string, token: string, since = '0', limit = 1000): Promise<HttpResult<PullResponse & ErrorBody>> {
	return call(`${base}/api/v1/sync/pull?since=${since}&limit=${limit}`, { headers: { authorization: `Bearer ${token}` } });
}

/** Every page from `since` on: the changes in order, and the final cursor. */
export async function pullAll(base: string, token: string, since = '0', limit = 500): Promise<{ changes: Change[]; cursor: string; pages: number }> {
	const changes: Change[] = [];
	let cursor = since;
	let pages = 0;
	for (;;) {
		const r = await pull(base, token, cursor, limit);
		if (r.status !== 200) throw new Error(`pull failed: ${r.status} ${JSON.stringify(r.body)}`);
		pages++;
		changes.push(...r.body.changes);
		if (BigInt(r.body.cursor) < BigInt(cursor)) throw new Error(`the cursor went backwards: ${cursor} → ${r.body.cursor}`);
		cursor = r.body.cursor;
		if (!r.body.more) return { changes, cursor, pages };
	}
}

/**
 * Stamps changes as one tablet would: its own node id (the centre refuses another), a clock that
 * only moves forward. Name the device with `as(deviceId)` once it has enrolled.
 */
export class Tablet {
	#wall = 0;
	#counter = 0;
	node: string;
	constructor(node: string) {
		this.node = node;
	}

	/** Stamp as the enrolled device `deviceId` from now on. */
	as(deviceId: string): this {
		this.node = deviceNode(deviceId);
		return this;
	}

	stamp(): string {
		const now = Date.now();
		if (now > this.#wall) {
			this.#wall = now;
			this.#counter = 0;
		} else this.#counter++;
		return formatHlc({ wall: this.#wall, counter: this.#counter, node: this.node });
	}

	change<T extends SyncTable>(table: T, data: TableData[T], id: string = uuidv7()): Change<T> {
		return { table, id, hlc: this.stamp(), deleted: false, data };
	}
}
