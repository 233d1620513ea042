import { describe, it, expect } from 'vitest';
import type * as z from 'zod/mini';
import * as f from '../../../tests/factories';
import { makeCardCode } from './card-code';
import { hashPin } from './pin';
import { consultationForm } from './consultation-form';
import {
	NOTE_MAX,
	bandCounts,
	childData,
	consultationData,
	DEFAULT_TOPICS,
	deviceInfo,
	hlcStamp,
	householdData,
	instant,
	isoDate,
	pinHash,
	programData,
	sessionData,
	siteData,
	staffData,
	timeOfDay,
	topicData,
	uuid,
	visitData,
	yearMonth
} from './schemas';
import { MAX_SEALED_CHARS } from './seal';

type Issue = { path: PropertyKey[]; code: string };

/** The issues of a refused value, as (path, code); fails the test if the value passes. */
function issues(schema: z.ZodMiniType, value: unknown): Issue[] {
	const r = schema.safeParse(value);
	if (r.success) throw new Error(`expected a refusal for ${JSON.stringify(value)}`);
	return r.error.issues.map((i) => ({ path: i.path, code: i.code }));
}

/** The paths of a refused value's issues. */
const paths = (schema: z.ZodMiniType, value: unknown) => issues(schema, value).map((i) => i.path);

const ok = (schema: z.ZodMiniType, value: unknown) => expect(schema.safeParse(value).success).toBe(true);

/** The one issue of a refused value: its path and message. */
function theIssue(schema: z.ZodMiniType, value: unknown): { path: PropertyKey[]; message: string } {
	const r = schema.safeParse(value);
	if (r.success) throw new Error(`expected a refusal for ${JSON.stringify(value)}`);
	expect(r.error.issues).toHaveLength(1);
	return { path: r.error.issues[0]!.path, message: r.error.issues[0]!.message };
}

const programId = f.id();
const siteId = f.id();
const sessionId = f.id();
const staffId = f.id();
const householdId = f.id();

const fullBands = { age0: 0, age1: 1, age2: 0, age3plus: 2, school: 0 };

describe('field schemas', () => {
	it('uuid accepts any RFC version, refuses other text', () => {
		ok(uuid, f.id());
		ok(uuid, '550e8400-e29b-41d4-a716-446655440000');
		expect(paths(uuid, 'abc')).toEqual([[]]);
		expect(paths(uuid, '550E8400-E29B-41D4-A716-446655440000')).toEqual([[]]);
	});

	it('isoDate refuses impossible dates', () => {
		ok(isoDate, '2028-02-29');
		expect(issues(isoDate, '2026-02-30')).toEqual([{ path: [], code: 'custom' }]);
		expect(issues(isoDate, '2026-11-25T00:00:00Z')).toEqual([{ path: [], code: 'custom' }]);
	});

	it('yearMonth, timeOfDay, instant, hlcStamp', () => {
		ok(yearMonth, '2025-06');
		expect(paths(yearMonth, '2025-6')).toEqual([[]]);
		expect(paths(yearMonth, '2025-13')).toEqual([[]]);
		ok(timeOfDay, '00:00');
		ok(timeOfDay, '23:59');
		expect(paths(timeOfDay, '24:00')).toEqual([[]]);
		expect(paths(timeOfDay, '9:30')).toEqual([[]]);
		ok(instant, '2026-11-25T01:30:00.000Z');
		ok(instant, '2026-11-25T10:30:00+09:00');
		expect(paths(instant, '2026-11-25T10:30:00')).toEqual([[]]); // no offset: ambiguous
		expect(paths(instant, '2026-11-25')).toEqual([[]]);
		ok(hlcStamp, '001732500000000:00000:tab-1');
		expect(paths(hlcStamp, '1732500000000:0:tab-1')).toEqual([[]]);
	});

	it('bandCounts needs all five bands, 0..20 each', () => {
		ok(bandCounts, fullBands);
		expect(paths(bandCounts, { ...fullBands, age0: 21 })).toEqual([['age0']]);
		expect(paths(bandCounts, { ...fullBands, age1: -1 })).toEqual([['age1']]);
		expect(paths(bandCounts, { ...fullBands, age2: 1.5 })).toEqual([['age2']]);
		const { school: _, ...missing } = fullBands;
		expect(paths(bandCounts, missing)).toEqual([['school']]);
	});
});

describe('programData', () => {
	it('accepts a valid program', () => ok(programData, f.program()));

	it('refuses an unknown key (strict)', () => {
		expect(issues(programData, { ...f.program(), colour: 'red' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
	});

	it('refuses bad fields with their paths', () => {
		expect(paths(programData, { ...f.program(), code: 'other' })).toEqual([['code']]);
		expect(paths(programData, { ...f.program(), nameJa: '   ' })).toEqual([['nameJa']]); // trimmed, then empty
		expect(paths(programData, { ...f.program(), nameJa: 'あ'.repeat(51) })).toEqual([['nameJa']]);
		expect(paths(programData, { ...f.program(), sort: 1.5 })).toEqual([['sort']]);
		expect(paths(programData, { ...f.program(), sort: -1 })).toEqual([['sort']]);
		expect(paths(programData, { ...f.program(), outdoor: 'yes' })).toEqual([['outdoor']]);
	});

	it('trims names', () => {
		expect(programData.parse({ ...f.program(), nameJa: '  おひさま  ' }).nameJa).toBe('おひさま');
	});
});

describe('siteData', () => {
	it('accepts a valid site', () => ok(siteData, f.site(programId)));

	it('refuses an unknown key and bad fields', () => {
		expect(issues(siteData, { ...f.site(programId), familyAddress: 'x' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
		expect(paths(siteData, { ...f.site(programId), programId: 'ohisama' })).toEqual([['programId']]);
		expect(paths(siteData, { ...f.site(programId), place: 'x'.repeat(121) })).toEqual([['place']]);
		const { active: _, ...noActive } = f.site(programId);
		expect(paths(siteData, noActive)).toEqual([['active']]);
	});

	it('takes a capacity of 1 to 500 families, or none: rows from before it existed still parse', () => {
		const { capacity: _, ...older } = f.site(programId);
		ok(siteData, older);
		ok(siteData, { ...older, capacity: null });
		ok(siteData, { ...older, capacity: 1 });
		ok(siteData, { ...older, capacity: 500 });
		for (const bad of [0, 501, 12.5, '30']) expect(paths(siteData, { ...older, capacity: bad }), String(bad)).toEqual([['capacity']]);
	});
});

describe('sessionData', () => {
	it('accepts valid sessions, including a cancelled one with a reason', () => {
		ok(sessionData, f.session(siteId));
		ok(sessionData, f.session(siteId, { status: 'cancelled', cancelReason: 'rain' }));
		ok(sessionData, f.session(siteId, { status: 'closed', date: '2028-02-29' }));
	});

	it('refuses an unknown key', () => {
		expect(issues(sessionData, { ...f.session(siteId), weather: 'rain' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
	});

	it('refuses an impossible date', () => {
		expect(paths(sessionData, { ...f.session(siteId), date: '2026-02-30' })).toEqual([['date']]);
	});

	it('refuses bad times and an end not after the start', () => {
		expect(paths(sessionData, { ...f.session(siteId), startTime: '07:60' })).toEqual([['startTime']]);
		expect(paths(sessionData, { ...f.session(siteId), startTime: '12:00', endTime: '12:00' })).toEqual([['endTime']]);
		expect(paths(sessionData, { ...f.session(siteId), startTime: '13:00', endTime: '12:00' })).toEqual([['endTime']]);
	});

	it('needs a reason exactly when cancelled', () => {
		expect(issues(sessionData, { ...f.session(siteId), status: 'cancelled', cancelReason: null })).toEqual([{ path: ['cancelReason'], code: 'custom' }]);
		expect(issues(sessionData, { ...f.session(siteId), status: 'open', cancelReason: 'rain' })).toEqual([{ path: ['cancelReason'], code: 'custom' }]);
		expect(paths(sessionData, { ...f.session(siteId), status: 'cancelled', cancelReason: 'snow' })).toEqual([['cancelReason']]);
	});

	it('refuses an unknown status', () => {
		expect(paths(sessionData, { ...f.session(siteId), status: 'postponed' })).toEqual([['status']]);
	});
});

describe('householdData', () => {
	it('accepts in-ward and outside households', () => {
		ok(householdData, f.household());
		ok(householdData, f.household({ areaKind: 'outside', town: null }));
		ok(householdData, f.household({ nickname: 'はるくん', heardFrom: null, registeredSiteId: siteId, language: 'vi' }));
	});

	it('refuses an unknown key such as a legal name', () => {
		const r = householdData.safeParse({ ...f.household(), name: '山田太郎' });
		expect(r.success).toBe(false);
		expect(r.error?.issues).toHaveLength(1);
		expect(r.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: [], keys: ['name'] });
	});

	it('needs a town exactly when the family lives in the ward', () => {
		expect(issues(householdData, { ...f.household(), areaKind: 'outside', town: '本町2丁目' })).toEqual([{ path: ['town'], code: 'custom' }]);
		expect(issues(householdData, { ...f.household(), areaKind: 'ward', town: null })).toEqual([{ path: ['town'], code: 'custom' }]);
	});

	it('refuses a card code that fails its check, or is not canonical', () => {
		const code = makeCardCode();
		const wrong = code.slice(0, 16) + (code[16] === '0' ? '1' : '0');
		expect(paths(householdData, { ...f.household(), cardCode: wrong })).toEqual([['cardCode']]);
		expect(paths(householdData, { ...f.household(), cardCode: code.toLowerCase() })).toEqual([['cardCode']]);
		expect(paths(householdData, { ...f.household(), cardCode: code.replace(/(.{4})(?=.)/g, '$1-') })).toEqual([['cardCode']]);
	});

	it('refuses bad fields with their paths', () => {
		expect(paths(householdData, { ...f.household(), consentDate: '2026-02-30' })).toEqual([['consentDate']]);
		expect(paths(householdData, { ...f.household(), consentVersion: '' })).toEqual([['consentVersion']]);
		expect(paths(householdData, { ...f.household(), nickname: 'あ'.repeat(21) })).toEqual([['nickname']]);
		expect(paths(householdData, { ...f.household(), language: 'fr' })).toEqual([['language']]);
		expect(paths(householdData, { ...f.household(), heardFrom: 'tv' })).toEqual([['heardFrom']]);
		expect(paths(householdData, { ...f.household(), areaKind: 'abroad' })).toEqual([['areaKind']]);
		expect(paths(householdData, { ...f.household(), registeredSiteId: 'x' })).toEqual([['registeredSiteId']]);
	});
});

describe('childData', () => {
	it('accepts a valid child', () => ok(childData, f.child(householdId)));

	it('refuses a birth day, a bad month and unknown keys', () => {
		expect(paths(childData, { ...f.child(householdId), birthYm: '2025-06-15' })).toEqual([['birthYm']]);
		expect(paths(childData, { ...f.child(householdId), birthYm: '2025-13' })).toEqual([['birthYm']]);
		expect(issues(childData, { ...f.child(householdId), birthDate: '2025-06-15' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
		expect(paths(childData, { ...f.child(householdId), householdId: null })).toEqual([['householdId']]);
	});
});

describe('visitData', () => {
	it('accepts a card visit, a household visit and a walk-in', () => {
		ok(visitData, f.visit(sessionId));
		ok(visitData, f.visit(sessionId, { householdId, cardCode: null, childIds: [f.id(), f.id()], method: 'typed' }));
		ok(visitData, f.visit(sessionId, { cardCode: null, method: 'walkin', walkInChildren: fullBands, adults: 2 }));
		ok(visitData, f.visit(sessionId, { checkedInAt: '2026-11-25T10:00:00+09:00', checkedOutAt: '2026-11-25T11:30:00+09:00' }));
	});

	it('refuses an unknown key', () => {
		expect(issues(visitData, { ...f.visit(sessionId), temperature: 36.5 })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
	});

	it('needs walk-in counts for a walk-in, and only for a walk-in', () => {
		expect(issues(visitData, { ...f.visit(sessionId), cardCode: null, method: 'walkin', walkInChildren: null })).toEqual([
			{ path: ['walkInChildren'], code: 'custom' }
		]);
		expect(issues(visitData, { ...f.visit(sessionId), walkInChildren: fullBands })).toEqual([{ path: ['walkInChildren'], code: 'custom' }]);
	});

	it('needs a household or a card for a family visit', () => {
		expect(issues(visitData, { ...f.visit(sessionId), householdId: null, cardCode: null, method: 'camera' })).toEqual([
			{ path: ['householdId'], code: 'custom' }
		]);
		expect(paths(visitData, { ...f.visit(sessionId), householdId: null, cardCode: null, method: 'scanner' })).toEqual([['householdId']]);
	});

	it('refuses bad fields with their paths', () => {
		expect(paths(visitData, { ...f.visit(sessionId), cardCode: 'HIROBA:' + makeCardCode() })).toEqual([['cardCode']]);
		expect(paths(visitData, { ...f.visit(sessionId), adults: 21 })).toEqual([['adults']]);
		expect(paths(visitData, { ...f.visit(sessionId), childIds: ['x'] })).toEqual([['childIds', 0]]);
		expect(paths(visitData, { ...f.visit(sessionId), childIds: Array.from({ length: 21 }, () => f.id()) })).toEqual([['childIds']]);
		expect(paths(visitData, { ...f.visit(sessionId), checkedInAt: '2026-11-25T10:00:00' })).toEqual([['checkedInAt']]);
		expect(paths(visitData, { ...f.visit(sessionId), method: 'nfc' })).toEqual([['method']]);
		expect(paths(visitData, { ...f.visit(sessionId), cardCode: null, method: 'walkin', walkInChildren: { ...fullBands, age2: 30 } })).toEqual([
			['walkInChildren', 'age2']
		]);
		expect(issues(visitData, { ...f.visit(sessionId), cardCode: null, method: 'walkin', walkInChildren: { ...fullBands, infant: 1 } })).toEqual([
			{ path: ['walkInChildren'], code: 'unrecognized_keys' }
		]);
	});
});

describe('consultationData', () => {
	it('accepts a valid consultation', () => {
		ok(consultationData, f.consultation(sessionId, staffId));
		ok(
			consultationData,
			f.consultation(sessionId, staffId, {
				householdId,
				childId: f.id(),
				topics: DEFAULT_TOPICS.map((t) => t.code),
				urgency: 'urgent',
				followUp: 'refer_centre',
				sealed: f.SEALED_SAMPLE
			})
		);
	});

	it('refuses an unknown key', () => {
		expect(issues(consultationData, { ...f.consultation(sessionId, staffId), parentName: 'x' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
	});

	it('needs at least one topic, at most 15, each a code', () => {
		expect(issues(consultationData, { ...f.consultation(sessionId, staffId), topics: [] })).toEqual([{ path: ['topics'], code: 'too_small' }]);
		expect(paths(consultationData, { ...f.consultation(sessionId, staffId), topics: Array(16).fill('sleep') })).toEqual([['topics']]);
		expect(paths(consultationData, { ...f.consultation(sessionId, staffId), topics: ['sleep', 'Sleep'] })).toEqual([['topics', 1]]);
		expect(paths(consultationData, { ...f.consultation(sessionId, staffId), topics: ['睡眠'] })).toEqual([['topics', 0]]);
	});

	it('carries free text only sealed: no note field, and a sealed text of the right form and size', () => {
		expect(issues(consultationData, { ...f.consultation(sessionId, staffId), note: '夜泣き' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
		expect(paths(consultationData, { ...f.consultation(sessionId, staffId), sealed: '夜泣きについて' })).toEqual([['sealed']]);
		expect(paths(consultationData, { ...f.consultation(sessionId, staffId), sealed: f.SEALED_SAMPLE.replace('hs1.', 'hs2.') })).toEqual([['sealed']]);
		const huge = f.SEALED_SAMPLE + 'A'.repeat(MAX_SEALED_CHARS);
		expect(issues(consultationData, { ...f.consultation(sessionId, staffId), sealed: huge })).toEqual([{ path: ['sealed'], code: 'too_big' }]);
	});

	it('the tablet form keeps the note to NOTE_MAX characters and says so in Japanese', () => {
		const form = f.consultationFormInput();
		ok(consultationForm, { ...form, note: 'あ'.repeat(NOTE_MAX) });
		ok(consultationForm, { ...form, note: '' });
		expect(theIssue(consultationForm, { ...form, note: 'あ'.repeat(NOTE_MAX + 1) })).toEqual({
			path: ['note'],
			message: `メモは${NOTE_MAX}文字以内にしてください`
		});
	});

	it('the tablet form answers no topic and a duration of −5 or 900 in Japanese', () => {
		const form = f.consultationFormInput();
		expect(theIssue(consultationForm, { ...form, topics: [] })).toEqual({ path: ['topics'], message: '相談内容を1つ以上選んでください' });
		expect(theIssue(consultationForm, { ...form, durationMin: -5 })).toEqual({ path: ['durationMin'], message: '相談時間は1分以上で入力してください' });
		expect(theIssue(consultationForm, { ...form, durationMin: 900 })).toEqual({
			path: ['durationMin'],
			message: '相談時間は240分（4時間）以内で入力してください'
		});
		expect(theIssue(consultationForm, { ...form, durationMin: Number.NaN }).path).toEqual(['durationMin']);
		expect(theIssue(consultationForm, { ...form, followUpNote: 'あ'.repeat(201) })).toEqual({
			path: ['followUpNote'],
			message: 'つなぎ先のメモは200文字以内にしてください'
		});
		expect(theIssue(consultationForm, { ...form, note: '夜泣き\u0000' })).toEqual({ path: ['note'], message: 'メモに使えない文字が含まれています' });
	});

	it('refuses bad fields with their paths', () => {
		const c = f.consultation(sessionId, staffId);
		expect(paths(consultationData, { ...c, durationMin: 0 })).toEqual([['durationMin']]);
		expect(paths(consultationData, { ...c, durationMin: 241 })).toEqual([['durationMin']]);
		expect(paths(consultationData, { ...c, urgency: 'high' })).toEqual([['urgency']]);
		expect(paths(consultationData, { ...c, followUp: 'police' })).toEqual([['followUp']]);
		expect(paths(consultationData, { ...c, childAgeBand: 'age4' })).toEqual([['childAgeBand']]);
		expect(paths(consultationData, { ...c, staffId: null })).toEqual([['staffId']]);
		expect(paths(consultationData, { ...c, consultedAt: 'yesterday' })).toEqual([['consultedAt']]);
	});
});

describe('topicData', () => {
	it('accepts every default topic', () => {
		expect(DEFAULT_TOPICS).toHaveLength(15);
		expect(new Set(DEFAULT_TOPICS.map((t) => t.code)).size).toBe(15);
		DEFAULT_TOPICS.forEach((t, i) => ok(topicData, { ...t, sort: i * 10, active: true }));
	});

	it('refuses bad codes, empty labels and unknown keys', () => {
		const t = { code: 'sleep', labelJa: '睡眠', sort: 0, active: true };
		expect(paths(topicData, { ...t, code: 'x' })).toEqual([['code']]);
		expect(paths(topicData, { ...t, code: '1sleep' })).toEqual([['code']]);
		expect(paths(topicData, { ...t, code: 'sleep-well' })).toEqual([['code']]);
		expect(paths(topicData, { ...t, labelJa: ' ' })).toEqual([['labelJa']]);
		expect(issues(topicData, { ...t, colour: 'blue' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
	});
});

describe('staffData / pinHash', () => {
	it('accepts a staff member with and without a PIN hash', async () => {
		ok(staffData, f.staffMember());
		ok(staffData, f.staffMember({ pinHash: await hashPin('482193', 1000), siteIds: [siteId], role: 'coordinator' }));
	});

	it('refuses a malformed PIN hash', () => {
		const salt = 'A'.repeat(22);
		const hash = 'B'.repeat(43);
		ok(pinHash, `pbkdf2-sha256$210000$${salt}$${hash}`);
		for (const bad of [
			'1234',
			`pbkdf2-sha256$210000$${salt}`,
			`pbkdf2-sha256$999$${salt}$${hash}`, // fewer than 4 iteration digits
			`pbkdf2-sha256$12345678$${salt}$${hash}`, // more than 7
			`pbkdf2-sha256$210000$short$${hash}`,
			`pbkdf2-sha256$210000$${salt}$short`,
			`pbkdf2-sha256$210000$${salt}$${hash.slice(0, 20)}+${hash.slice(20)}`,
			`bcrypt$210000$${salt}$${hash}`
		]) {
			expect(paths(staffData, { ...f.staffMember(), pinHash: bad }), bad).toEqual([['pinHash']]);
		}
	});

	it('refuses unknown keys (never a password hash) and bad fields', () => {
		expect(issues(staffData, { ...f.staffMember(), passwordHash: 'x' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
		expect(paths(staffData, { ...f.staffMember(), role: 'root' })).toEqual([['role']]);
		expect(paths(staffData, { ...f.staffMember(), displayName: '' })).toEqual([['displayName']]);
		expect(paths(staffData, { ...f.staffMember(), siteIds: ['x'] })).toEqual([['siteIds', 0]]);
	});
});

describe('deviceInfo', () => {
	const device = () => ({
		id: f.id(),
		name: '本町児童館 タブレット1',
		siteIds: [siteId],
		enrolledAt: '2026-04-01T00:00:00Z',
		lastSeenAt: null,
		state: 'active'
	});

	it('accepts a valid device', () => {
		ok(deviceInfo, device());
		ok(deviceInfo, { ...device(), lastSeenAt: '2026-11-25T01:00:00Z', state: 'revoked' });
	});

	it('refuses bad fields and unknown keys', () => {
		expect(paths(deviceInfo, { ...device(), state: 'lost' })).toEqual([['state']]);
		expect(paths(deviceInfo, { ...device(), name: '' })).toEqual([['name']]);
		expect(paths(deviceInfo, { ...device(), enrolledAt: null })).toEqual([['enrolledAt']]);
		expect(issues(deviceInfo, { ...device(), token: 'secret' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
	});
});

describe('free text refuses characters the store cannot keep or a person cannot type (text.ts)', () => {
	/** One of each refused class, with the start of the message that names it. */
	const POISONS: Array<[string, string, string]> = [
		['NUL', 'ab\u0000', 'contains a NUL character (U+0000) at character 3'],
		['C0 control', 'ab\u0007', 'contains a control character (U+0007) at character 3'],
		['C1 control', 'ab\u0085', 'contains a control character (U+0085) at character 3'],
		['DEL', 'ab\u007f', 'contains a control character (U+007F) at character 3'],
		['lone high surrogate', 'ab\ud800', 'contains an unpaired surrogate (U+D800) at character 3'],
		['lone low surrogate', 'ab\udc00', 'contains an unpaired surrogate (U+DC00) at character 3'],
		['non-character U+FDD0', 'ab\ufdd0', 'contains a Unicode non-character (U+FDD0) at character 3'],
		['non-character U+FFFE', 'ab\ufffe', 'contains a Unicode non-character (U+FFFE) at character 3'],
		['non-character U+10FFFF', 'ab\u{10ffff}', 'contains a Unicode non-character (U+10FFFF) at character 3']
	];

	it.each(POISONS)('a household with %s in its nickname, town or consent version is refused at that field', (_name, poison, message) => {
		expect(theIssue(householdData, { ...f.household(), nickname: poison })).toEqual({ path: ['nickname'], message: expect.stringContaining(message) });
		expect(theIssue(householdData, { ...f.household(), town: poison })).toEqual({ path: ['town'], message: expect.stringContaining(message) });
		expect(theIssue(householdData, { ...f.household(), consentVersion: poison })).toEqual({
			path: ['consentVersion'],
			message: expect.stringContaining(message)
		});
	});

	it.each(POISONS)('a consultation form with %s in its note or follow-up note is refused at that field, in Japanese', (_name, poison) => {
		const c = f.consultationFormInput();
		expect(theIssue(consultationForm, { ...c, note: `夜泣き\n${poison}` })).toEqual({ path: ['note'], message: 'メモに使えない文字が含まれています' });
		expect(theIssue(consultationForm, { ...c, followUpNote: poison })).toEqual({
			path: ['followUpNote'],
			message: 'つなぎ先のメモに使えない文字が含まれています'
		});
	});

	it.each(POISONS)('every other free-text field refuses %s too', (_name, poison) => {
		expect(theIssue(childData, { ...f.child(householdId), nickname: poison }).path).toEqual(['nickname']);
		expect(theIssue(programData, { ...f.program(), nameJa: poison }).path).toEqual(['nameJa']);
		expect(theIssue(siteData, { ...f.site(programId), nameJa: poison }).path).toEqual(['nameJa']);
		expect(theIssue(siteData, { ...f.site(programId), place: poison }).path).toEqual(['place']);
		expect(theIssue(topicData, { code: 'sleep', labelJa: poison, sort: 0, active: true }).path).toEqual(['labelJa']);
		expect(theIssue(staffData, { ...f.staffMember(), displayName: poison }).path).toEqual(['displayName']);
		const device = { id: f.id(), name: poison, siteIds: [], enrolledAt: '2026-04-01T00:00:00Z', lastSeenAt: null, state: 'active' };
		expect(theIssue(deviceInfo, device).path).toEqual(['name']);
	});

	it('notes keep tabs and line breaks; one-line fields refuse them', () => {
		const c = { ...f.consultationFormInput(), note: '夜泣き\r\n\t次回様子を聞く', followUpNote: '保健師に連絡\n来週電話' };
		expect(consultationForm.parse(c).note).toBe('夜泣き\r\n\t次回様子を聞く');
		expect(consultationForm.parse(c).followUpNote).toBe('保健師に連絡\n来週電話');
		expect(theIssue(householdData, { ...f.household(), nickname: 'はる\tくん' })).toEqual({
			path: ['nickname'],
			message: expect.stringContaining('(U+0009) at character 3; single-line text allows none')
		});
		expect(theIssue(childData, { ...f.child(householdId), nickname: 'はる\n' }).path).toEqual(['nickname']);
	});

	it('accepts Japanese of every kind and emoji (valid surrogate pairs)', () => {
		ok(householdData, { ...f.household(), nickname: '🐣はるくん', town: '𠮷祥寺本町2丁目' });
		ok(childData, { ...f.child(householdId), nickname: 'ﾊﾙ👶🏽' });
		ok(consultationForm, { ...f.consultationFormInput(), note: '髙橋さん🙂 離乳食 — 「よく食べる」', followUpNote: '👨‍👩‍👧 来週' });
	});
});
