/**
 * Factories for schema-valid records (immich's test-data habit): each returns a record that passes
 * the shared zod schema, with overrides for what a test cares about.
 */
import { makeCardCode } from '../src/lib/domain/card-code';
import { tokyoDate } from '../src/lib/domain/dates';
import type { ConsultationForm } from '../src/lib/domain/consultation-form';
import { uuidv7 } from '../src/lib/domain/ids';
import type { ChildData, ConsultationData, HouseholdData, ProgramData, SessionData, SiteData, StaffData, VisitData } from '../src/lib/domain/schemas';
import { TABLE_SCHEMAS, type SyncTable, type TableData } from '../src/lib/sync/protocol';

export const id = () => uuidv7();

export function program(o: Partial<ProgramData> = {}): ProgramData {
	return check('programs', { code: 'nikoniko', nameJa: 'にこにこ', outdoor: false, sort: 2, ...o });
}

export function site(programId: string, o: Partial<SiteData> = {}): SiteData {
	return check('sites', { programId, nameJa: 'テスト児童館', place: 'テスト区本町1-1-1', outdoor: false, hasConsultant: true, active: true, ...o });
}

export function session(siteId: string, o: Partial<SessionData> = {}): SessionData {
	return check('sessions', { siteId, date: tokyoDate(), startTime: '10:00', endTime: '12:00', status: 'scheduled', cancelReason: null, ...o });
}

export function household(o: Partial<HouseholdData> = {}): HouseholdData {
	return check('households', {
		cardCode: makeCardCode(),
		nickname: null,
		areaKind: 'ward',
		town: '本町2丁目',
		heardFrom: 'health_checkup',
		consentVersion: '2026-04',
		consentDate: tokyoDate(),
		registeredSiteId: null,
		language: 'ja',
		cardPrintRequested: false,
		...o
	});
}

export function child(householdId: string, o: Partial<ChildData> = {}): ChildData {
	return check('children', { householdId, birthYm: '2025-06', nickname: null, ...o });
}

export function visit(sessionId: string, o: Partial<VisitData> = {}): VisitData {
	return check('visits', {
		sessionId,
		householdId: null,
		cardCode: makeCardCode(),
		childIds: [],
		walkInChildren: null,
		adults: 1,
		checkedInAt: new Date().toISOString(),
		checkedOutAt: null,
		method: 'camera',
		...o
	});
}

export function consultation(sessionId: string, staffId: string, o: Partial<ConsultationData> = {}): ConsultationData {
	return check('consultations', {
		sessionId,
		staffId,
		householdId: null,
		childId: null,
		childAgeBand: 'age1',
		topics: ['sleep'],
		durationMin: 10,
		sealed: null,
		urgency: 'normal',
		followUp: 'next_time',
		consultedAt: new Date().toISOString(),
		...o
	});
}

/** A text of the sealed form (seal.ts) that no key opens: for schema and permission tests. */
export const SEALED_SAMPLE = `hs1.${'k'.repeat(16)}.${'B'.repeat(87)}.${'C'.repeat(16)}.${'D'.repeat(40)}`;

/** What a 相談員 fills in on the tablet (schemas.ts consultationForm), valid. */
export function consultationFormInput(o: Partial<ConsultationForm> = {}): ConsultationForm {
	return {
		householdId: null,
		childId: null,
		topics: ['sleep'],
		durationMin: 10,
		note: '夜泣きについて。次回様子を聞く。',
		urgency: 'normal',
		followUp: 'next_time',
		followUpNote: '',
		...o
	};
}

export function staffMember(o: Partial<StaffData> = {}): StaffData {
	return check('staff', { displayName: '相談員 テスト', role: 'consultant', pinHash: null, siteIds: [], active: true, ...o });
}

function check<T extends SyncTable>(table: T, data: TableData[T]): TableData[T] {
	return TABLE_SCHEMAS[table].parse(data) as TableData[T];
}
