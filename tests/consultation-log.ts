/**
 * A small consultation log at the centre whose counts the tests state by hand, and what the
 * centre's page handlers need to be called in-process: a signed-in cookie and a request event.
 *
 * Sites: 若葉 and 桜台 (にこにこ), 公園 (おひさま). Staff: consultant A (若葉), consultant B (桜台),
 * a coordinator. Consultations (session date, site, topics, urgency, follow-up):
 *   c1 2026-04-10 若葉 sleep+feeding normal none (a note, then a revision that leaves it)
 *   c2 2026-04-10 若葉 sleep urgent refer_centre → case
 *   c3 2026-05-15 桜台 language watch refer_health → case
 *   c4 2026-05-20 公園 play+sleep normal next_time
 *   c5 2027-03-31 若葉 growth watch none (last day of 年度 2026)
 *   c6 2027-04-01 若葉 sleep normal none (年度 2027)
 *   c7 2026-05-15 桜台 sleep normal none, deleted
 */
import type { RequestEvent } from '@sveltejs/kit';
import { isActionFailure, isHttpError, isRedirect } from '@sveltejs/kit';
import { uuidv7 } from '../src/lib/domain/ids';
import { sealConsultationText } from '../src/lib/domain/seal';
import type { ConsultationData } from '../src/lib/domain/schemas';
import { SESSION_COOKIE } from '../src/lib/server/auth/staff-sessions';
import { makeToken, sha256Hex } from '../src/lib/server/auth/tokens';
import { getKeyring } from '../src/lib/server/crypto/keyring';
import type { Store } from '../src/lib/server/db/store';
import { writeCentreRecords } from '../src/lib/server/sync/records';
import * as f from './factories';

export interface ConsultationLog {
	sites: { wakaba: string; sakura: string; koen: string };
	sessions: { apr: string; may: string; koen: string; mar: string; nextApr: string };
	staff: { a: string; b: string; coordinator: string };
	c: Record<'c1' | 'c2' | 'c3' | 'c4' | 'c5' | 'c6' | 'c7', string>;
	/** Follow-up cases by consultation. */
	cases: { c2: string; c3: string };
	NOTE: string;
}

export const NOTE = '夜泣きが続いている。次回様子を聞く。';

export async function seedConsultationLog(store: Store): Promise<ConsultationLog> {
	const ring = await getKeyring();
	const ids = { c1: uuidv7(), c2: uuidv7(), c3: uuidv7(), c4: uuidv7(), c5: uuidv7(), c6: uuidv7(), c7: uuidv7() };
	const log = await store.transaction(async (tx) => {
		const [niko, ohisama] = await writeCentreRecords(tx, 'programs', [
			{ data: f.program({ code: 'nikoniko', nameJa: 'にこにこ', sort: 2 }) },
			{ data: f.program({ code: 'ohisama', nameJa: 'おひさまぴよぴよ', outdoor: true, sort: 1 }) }
		]);
		const [wakaba, sakura, koen] = await writeCentreRecords(tx, 'sites', [
			{ data: f.site(niko!, { nameJa: '若葉児童館' }) },
			{ data: f.site(niko!, { nameJa: '桜台児童館' }) },
			{ data: f.site(ohisama!, { nameJa: '中央公園', outdoor: true }) }
		]);
		const [apr, may, koenS, mar, nextApr] = await writeCentreRecords(tx, 'sessions', [
			{ data: f.session(wakaba!, { date: '2026-04-10' }) },
			{ data: f.session(sakura!, { date: '2026-05-15' }) },
			{ data: f.session(koen!, { date: '2026-05-20' }) },
			{ data: f.session(wakaba!, { date: '2027-03-31' }) },
			{ data: f.session(wakaba!, { date: '2027-04-01' }) }
		]);
		const [a, b, coordinator] = await writeCentreRecords(tx, 'staff', [
			{ data: f.staffMember({ displayName: '相談員 青木', siteIds: [wakaba!] }) },
			// A name a spreadsheet would run as a formula: the CSV must guard it.
			{ data: f.staffMember({ displayName: '=HYPERLINK("http://x")', siteIds: [sakura!] }) },
			{ data: f.staffMember({ displayName: 'コーディネーター 高橋', role: 'coordinator' }) }
		]);
		return {
			sites: { wakaba: wakaba!, sakura: sakura!, koen: koen! },
			sessions: { apr: apr!, may: may!, koen: koenS!, mar: mar!, nextApr: nextApr! },
			staff: { a: a!, b: b!, coordinator: coordinator! }
		};
	});
	const at = (date: string) => `${date}T01:30:00.000Z`;
	const c = (sessionId: string, staffId: string, date: string, o: Partial<ConsultationData>) =>
		f.consultation(sessionId, staffId, { consultedAt: at(date), followUp: 'none', ...o });
	const sealed = await sealConsultationText(ring.recipient, ids.c1, { note: NOTE, followUpNote: null });
	await store.transaction(async (tx) => {
		const { sessions: s, staff } = log;
		await writeCentreRecords(tx, 'consultations', [
			{ id: ids.c1, data: c(s.apr, staff.a, '2026-04-10', { topics: ['sleep', 'feeding'], sealed }) },
			{ id: ids.c2, data: c(s.apr, staff.a, '2026-04-10', { topics: ['sleep'], urgency: 'urgent', followUp: 'refer_centre' }) },
			{ id: ids.c3, data: c(s.may, staff.b, '2026-05-15', { topics: ['language'], urgency: 'watch', followUp: 'refer_health' }) },
			{ id: ids.c4, data: c(s.koen, staff.b, '2026-05-20', { topics: ['play', 'sleep'], followUp: 'next_time' }) },
			{ id: ids.c5, data: c(s.mar, staff.a, '2027-03-31', { topics: ['growth'], urgency: 'watch' }) },
			{ id: ids.c6, data: c(s.nextApr, staff.a, '2027-04-01', { topics: ['sleep'] }) },
			{ id: ids.c7, data: c(s.may, staff.b, '2026-05-15', { topics: ['sleep'] }), deleted: true }
		]);
	});
	// A second revision of c1 that changes the duration and leaves the text as it was.
	await store.transaction((tx) =>
		writeCentreRecords(tx, 'consultations', [
			{ id: ids.c1, data: c(log.sessions.apr, log.staff.a, '2026-04-10', { topics: ['sleep', 'feeding'], durationMin: 25, sealed: null }) }
		])
	);
	const cases = await store.query<{ id: string; consultation_id: string }>('select id::text, consultation_id::text from followup_cases');
	const caseOf = (cid: string) => cases.rows.find((r) => r.consultation_id === cid)!.id;
	return { ...log, c: ids, cases: { c2: caseOf(ids.c2), c3: caseOf(ids.c3) }, NOTE };
}

/** A signed-in centre session for a staff member: the cookie's token. */
export async function signedIn(store: Store, staffId: string): Promise<string> {
	const token = makeToken('hrs');
	await store.query(`insert into staff_sessions (token_hash, staff_id, expires_at) values ($1, $2, now() + interval '1 hour')`, [sha256Hex(token), staffId]);
	return token;
}

/** A request event for a centre page handler, signed in with `token` (or not). */
export function centreEvent(
	path: string,
	// A form as pairs when a name repeats (ticked checkboxes).
	o: { token?: string; params?: Record<string, string>; form?: Record<string, string> | Array<[string, string]> } = {}
): RequestEvent {
	const url = new URL(path, 'http://centre.test');
	const headers = new Map<string, string>();
	return {
		url,
		params: o.params ?? {},
		locals: {},
		route: { id: url.pathname },
		request: o.form ? new Request(url, { method: 'POST', body: new URLSearchParams(o.form) }) : new Request(url),
		cookies: {
			get: (name: string) => (name === SESSION_COOKIE ? o.token : undefined),
			getAll: () => [],
			set: () => {},
			delete: () => {},
			serialize: () => ''
		},
		setHeaders: (h: Record<string, string>) => Object.entries(h).forEach(([k, v]) => headers.set(k, v)),
		getClientAddress: () => '127.0.0.1',
		platform: undefined,
		isDataRequest: false,
		isSubRequest: false,
		fetch
	} as unknown as RequestEvent;
}

export type Outcome =
	| { kind: 'redirect'; location: string }
	| { kind: 'error'; status: number; message: string }
	| { kind: 'fail'; status: number; data: Record<string, unknown> }
	| { kind: 'ok'; value: unknown };

/** What a handler did: redirected, refused with an HTTP error, failed a form, or answered. */
export async function outcome(run: () => unknown): Promise<Outcome> {
	try {
		const value = await run();
		if (isActionFailure(value)) return { kind: 'fail', status: value.status, data: value.data as unknown as Record<string, unknown> };
		return { kind: 'ok', value };
	} catch (e) {
		if (isRedirect(e)) return { kind: 'redirect', location: e.location };
		if (isHttpError(e)) return { kind: 'error', status: e.status, message: e.body.message };
		throw e;
	}
}
