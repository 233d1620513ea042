/**
 * Enrolling this tablet with the centre: trade a single-use code for a device id and token, kept
 * in the local `meta` table. Needs the network once; everything after works offline.
 */
import type { EnrollResponse } from '$lib/sync/protocol';
import { isApiErrorBody } from '$lib/sync/errors';
import { META, type DeviceCredentials, type HirobaDB } from '../db/db';
import { PULL_EPOCH, SyncError } from './engine';

export async function enrollTablet(db: HirobaDB, opts: { baseUrl: string; code: string; name: string; fetch?: typeof fetch }): Promise<DeviceCredentials> {
	const doFetch = opts.fetch ?? globalThis.fetch;
	let res: Response;
	try {
		res = await doFetch(opts.baseUrl.replace(/\/$/, '') + '/api/v1/devices/enroll', {
			method: 'POST',
			headers: { 'content-type': 'application/json', accept: 'application/json' },
			body: JSON.stringify({ code: opts.code, name: opts.name })
		});
	} catch (e) {
		throw new SyncError('network', `the centre could not be reached (${e instanceof Error ? e.message : String(e)})`);
	}
	const body: unknown = await res.json().catch(() => null);
	if (!res.ok) {
		if (isApiErrorBody(body)) throw new SyncError(body.error.code, body.error.message, res.status);
		throw new SyncError('bad_response', `the centre answered ${res.status}`, res.status);
	}
	const r = body as EnrollResponse;
	const creds: DeviceCredentials = { deviceId: r.deviceId, token: r.token, name: r.name, sites: r.sites, enrolledAt: new Date().toISOString() };
	await db.transaction('rw', db.meta, async () => {
		await db.setMeta(META.device, creds);
		await db.setMeta(META.cursor, '0');
		await db.setMeta(META.pullEpoch, PULL_EPOCH);
	});
	// Ask the browser not to evict this origin's data under storage pressure.
	await globalThis.navigator?.storage?.persist?.().catch(() => false);
	return creds;
}
