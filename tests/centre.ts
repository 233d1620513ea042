/** Reference data at the centre for sync tests: one program, two sites, today's sessions, staff. */
import { tokyoDate } from '../src/lib/domain/dates';
import { createEnrollmentCode } from '../src/lib/server/auth/devices';
import type { Store } from '../src/lib/server/db/store';
import { writeCentreRecords } from '../src/lib/server/sync/records';
import * as f from './factories';
import { BASE_URL, inProcessFetch } from './in-process';

export interface CentreFixture {
	programId: string;
	siteId: string;
	otherSiteId: string;
	sessionId: string;
	otherSessionId: string;
	staffId: string;
}

export async function seedCentre(store: Store, date = tokyoDate()): Promise<CentreFixture> {
	return store.transaction(async (tx) => {
		const [programId] = await writeCentreRecords(tx, 'programs', [{ data: f.program() }]);
		const [siteId, otherSiteId] = await writeCentreRecords(tx, 'sites', [
			{ data: f.site(programId!, { nameJa: '若葉児童館' }) },
			{ data: f.site(programId!, { nameJa: '桜台児童館' }) }
		]);
		const [sessionId, otherSessionId] = await writeCentreRecords(tx, 'sessions', [
			{ data: f.session(siteId!, { date }) },
			{ data: f.session(otherSiteId!, { date }) }
		]);
		const [staffId] = await writeCentreRecords(tx, 'staff', [{ data: f.staffMember({ siteIds: [siteId!] }) }]);
		return { programId: programId!, siteId: siteId!, otherSiteId: otherSiteId!, sessionId: sessionId!, otherSessionId: otherSessionId!, staffId: staffId! };
	});
}

export async function enrollmentCode(store: Store, siteIds: string[]): Promise<string> {
	return (await createEnrollmentCode(store, siteIds, 'test')).code;
}

/** Enroll a device at `siteIds` through the real enrollment endpoint, in-process: its id and token. */
export async function enrollDevice(store: Store, siteIds: string[], name: string): Promise<{ deviceId: string; token: string }> {
	const res = await inProcessFetch()(`${BASE_URL}/api/v1/devices/enroll`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ code: await enrollmentCode(store, siteIds), name })
	});
	if (res.status !== 201) throw new Error(`enrollment answered ${res.status}: ${await res.text()}`);
	return (await res.json()) as { deviceId: string; token: string };
}
