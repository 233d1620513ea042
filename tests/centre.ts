/** Reference data at the centre for sync tests: one program, two sites, today's sessions, staff. */
import { tokyoDate } from '../src/lib/domain/dates';
import { createEnrollmentCode } from '../src/lib/server/auth/devices';
import type { Store } from '../src/lib/server/db/store';
import { writeCentreRecords } from '../src/lib/server/sync/records';
import * as f from './factories';

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
