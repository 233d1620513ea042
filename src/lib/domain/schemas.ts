/**
 * The entities of DESIGN.md as zod schemas, shared by the tablet and the centre. Each `*Data`
 * schema is the record's content as it crosses the wire in a sync change (`data`); the envelope
 * carries `id`, `hlc` and `deleted`. Schemas are strict: an unknown key is an error, not a
 * silently dropped field.
 *
 * They are written with zod/mini (functional checks, `z.nullable(x)`, `.check(z.maxLength(n))`)
 * because the tablet loads them: classic zod's methods cannot be tree-shaken and cost the kiosk's
 * first load about three times as much. Server code may nest them in classic schemas freely; the
 * server configures English for zod's own messages (server/zod-locale.ts).
 */
import * as z from 'zod/mini';
import { isCardCode } from './card-code';
import { isValidIsoDate, YEAR_MONTH_RE } from './dates';
import { HLC_RE } from './hlc';
import { UUID_RE } from './ids';
import { MAX_SEALED_CHARS, SEALED_RE } from './seal-format';
import { cleanText } from './text';

export const uuid = z.string().check(z.regex(UUID_RE, 'must be a UUID'));
export const hlcStamp = z.string().check(z.regex(HLC_RE, 'must be an hlc stamp'));
export const isoDate = z.string().check(z.refine(isValidIsoDate, 'must be a date YYYY-MM-DD'));
export const yearMonth = z.string().check(z.regex(YEAR_MONTH_RE, 'must be a year-month YYYY-MM'));
export const timeOfDay = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM'));
export const instant = z.iso.datetime({ offset: true });
export const cardCode = z.string().check(z.refine(isCardCode, 'must be a valid card code'));
/** A one-line free-text field (a name, a nickname, a town): see text.ts for what it refuses. */
const shortText = (max: number) => cleanText().check(z.trim(), z.maxLength(max));
/** A non-empty one-line free-text field. */
const requiredText = (max: number) => shortText(max).check(z.minLength(1));
/** A whole number from `min` to `max`. */
const intIn = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));

export const PROGRAM_CODES = ['ohisama', 'nikoniko', 'nobinobi'] as const;
export const programCode = z.enum(PROGRAM_CODES);
export type ProgramCode = z.infer<typeof programCode>;

export const programData = z.strictObject({
	code: programCode,
	nameJa: requiredText(50),
	outdoor: z.boolean(),
	sort: intIn(0, 1000)
});

export const SITE_CAPACITY_MAX = 500;

export const siteData = z.strictObject({
	programId: uuid,
	nameJa: requiredText(80),
	/** The facility's public address or park name; never a family's. */
	place: shortText(120),
	/**
	 * 定員: how many families the room or park takes at once, for the centre's planning. Optional
	 * (and nullable): rows written before it existed, and tablets that never send it, still parse.
	 */
	capacity: z.optional(z.nullable(intIn(1, SITE_CAPACITY_MAX))),
	outdoor: z.boolean(),
	hasConsultant: z.boolean(),
	active: z.boolean()
});

export const SESSION_STATUSES = ['scheduled', 'open', 'closed', 'cancelled'] as const;
export const sessionStatus = z.enum(SESSION_STATUSES);
export const CANCEL_REASONS = ['rain', 'weather', 'other'] as const;

export const sessionData = z
	.strictObject({
		siteId: uuid,
		date: isoDate,
		startTime: timeOfDay,
		endTime: timeOfDay,
		status: sessionStatus,
		cancelReason: z.nullable(z.enum(CANCEL_REASONS))
	})
	.check(
		z.refine((s) => s.startTime < s.endTime, { message: 'endTime must be after startTime', path: ['endTime'] }),
		z.refine((s) => (s.status === 'cancelled') === (s.cancelReason !== null), {
			message: 'a cancelled session needs a reason, and only a cancelled one',
			path: ['cancelReason']
		})
	);

export const HEARD_FROM = ['health_checkup', 'website', 'ward_newsletter', 'friend', 'poster', 'facility', 'passing_by', 'other'] as const;
/** `easy` is やさしいにほんご: plain Japanese with furigana. */
export const KIOSK_LANGUAGES = ['ja', 'easy', 'en', 'zh', 'ko', 'vi'] as const;
/** Each language by its own name, as the kiosk's language menu and the centre's card pages show it. */
export const LANGUAGE_NAME: Record<(typeof KIOSK_LANGUAGES)[number], string> = {
	ja: '日本語',
	easy: 'やさしいにほんご',
	en: 'English',
	zh: '中文',
	ko: '한국어',
	vi: 'Tiếng Việt'
};
/** BCP 47 tags for the `lang` attribute: やさしいにほんご is Japanese, Chinese is written in simplified characters. */
export const LANGUAGE_TAG: Record<(typeof KIOSK_LANGUAGES)[number], string> = { ja: 'ja', easy: 'ja', en: 'en', zh: 'zh-Hans', ko: 'ko', vi: 'vi' };

export const householdData = z
	.strictObject({
		cardCode,
		/** How the kiosk greets the family; optional, never a legal name. */
		nickname: z.nullable(shortText(20)),
		areaKind: z.enum(['ward', 'outside']),
		/** 町丁 within the ward, e.g. `本町2丁目`; null when outside the ward. */
		town: z.nullable(shortText(40)),
		heardFrom: z.nullable(z.enum(HEARD_FROM)),
		consentVersion: requiredText(20),
		consentDate: isoDate,
		registeredSiteId: z.nullable(uuid),
		language: z.enum(KIOSK_LANGUAGES),
		cardPrintRequested: z.boolean()
	})
	.check(
		z.refine((h) => (h.areaKind === 'ward') === (h.town !== null), {
			message: 'town is given exactly when the family lives in the ward',
			path: ['town']
		})
	);

export const childData = z.strictObject({
	householdId: uuid,
	birthYm: yearMonth,
	nickname: z.nullable(shortText(20))
});

/**
 * A card code that no longer checks in anywhere: its household got a new card (`reissued`), or was
 * merged into another registered for the same family (`merged`). Reference data from the centre to
 * every tablet, so that a scan of the old card is refused, and said to be refused, even where the
 * family is not held. Nothing personal: which household the code led to stays at the centre.
 */
export const CARD_RETIREMENT_REASONS = ['reissued', 'merged'] as const;
export const cardRetirementData = z.strictObject({
	cardCode,
	reason: z.enum(CARD_RETIREMENT_REASONS),
	retiredOn: isoDate
});

export const VISIT_METHODS = ['camera', 'scanner', 'typed', 'walkin', 'registration'] as const;
export const bandCounts = z.strictObject({
	age0: intIn(0, 20),
	age1: intIn(0, 20),
	age2: intIn(0, 20),
	age3plus: intIn(0, 20),
	school: intIn(0, 20)
});

export const visitData = z
	.strictObject({
		sessionId: uuid,
		/** Null for a walk-in, or for a card whose household has not reached this tablet yet. */
		householdId: z.nullable(uuid),
		/** The card that was scanned; resolves the household later when it arrives by sync. */
		cardCode: z.nullable(cardCode),
		childIds: z.array(uuid).check(z.maxLength(20)),
		/** Children counted by band, for walk-ins (households' children are counted from childIds). */
		walkInChildren: z.nullable(bandCounts),
		adults: intIn(0, 20),
		checkedInAt: instant,
		checkedOutAt: z.nullable(instant),
		method: z.enum(VISIT_METHODS)
	})
	.check(
		z.refine((v) => (v.method === 'walkin') === (v.walkInChildren !== null), {
			message: 'walk-ins, and only walk-ins, count children by band',
			path: ['walkInChildren']
		}),
		z.refine((v) => v.method === 'walkin' || v.householdId !== null || v.cardCode !== null, {
			message: 'a visit by a family names its household or card',
			path: ['householdId']
		})
	);

export const URGENCIES = ['normal', 'watch', 'urgent'] as const;
export const FOLLOW_UPS = ['none', 'next_time', 'refer_centre', 'refer_health', 'refer_support', 'other'] as const;
export const AGE_BAND_VALUES = ['age0', 'age1', 'age2', 'age3plus', 'school'] as const;

/** Referral follow-ups: at the centre each of these makes a follow-up case (open → in progress → closed). */
export const REFERRALS = ['refer_centre', 'refer_health', 'refer_support', 'other'] as const satisfies readonly (typeof FOLLOW_UPS)[number][];
export const isReferral = (f: string) => (REFERRALS as readonly string[]).includes(f);
export const TOPIC_CODE_RE = /^[a-z][a-z0-9_]{1,40}$/;
/** Longest note and follow-up note, in characters (a short note: the record, not a case file). */
export const NOTE_MAX = 1000;
export const FOLLOW_UP_NOTE_MAX = 200;
export const DURATION_MAX_MIN = 240;

/** A text sealed to the centre's key (seal.ts): what a tablet stores and sends instead of a note. */
export const sealedText = z.string().check(z.maxLength(MAX_SEALED_CHARS), z.regex(SEALED_RE, 'must be a text sealed to the centre (hs1.…)'));

export const consultationData = z.strictObject({
	sessionId: uuid,
	staffId: uuid,
	householdId: z.nullable(uuid),
	childId: z.nullable(uuid),
	childAgeBand: z.nullable(z.enum(AGE_BAND_VALUES)),
	topics: z.array(z.string().check(z.regex(TOPIC_CODE_RE))).check(
		z.minLength(1),
		z.maxLength(15),
		z.refine((t) => new Set(t).size === t.length, 'each topic once')
	),
	durationMin: intIn(1, DURATION_MAX_MIN),
	/**
	 * The note and follow-up note, sealed on the tablet to the centre's key (seal.ts), never in
	 * clear. Null in a revision that leaves the text as the previous revision had it (a tablet
	 * cannot read back what it sealed), and in a first version with no text.
	 */
	sealed: z.nullable(sealedText),
	urgency: z.enum(URGENCIES),
	followUp: z.enum(FOLLOW_UPS),
	consultedAt: instant
});

export const topicData = z.strictObject({
	code: z.string().check(z.regex(TOPIC_CODE_RE)),
	labelJa: requiredText(40),
	sort: intIn(0, 10_000),
	active: z.boolean()
});

/** Hiragana (and the long-vowel mark, middle dot, spaces and digits) for a town's reading. */
export const KANA_RE = /^[\u3041-\u309F\u30FC\u30FB 0-9]*$/u;
/** Latin letters (with macrons), digits, spaces, hyphens and apostrophes for a town's romaji. */
export const ROMAJI_RE = /^[A-Za-zĀāĪīŪūĒēŌō0-9 '-]*$/u;

/**
 * A 町丁 of the ward, as the kiosk offers it to a family registering: reference data kept at the
 * centre and sent to every tablet. Households keep the town's name (`householdData.town`), so a
 * renamed or retired town leaves past registrations and reports as they were. A reading may be
 * blank while the centre has not entered it yet.
 */
export const townData = z.strictObject({
	nameJa: requiredText(40),
	kana: shortText(60).check(z.regex(KANA_RE, 'must be hiragana')),
	romaji: shortText(60).check(z.regex(ROMAJI_RE, 'must be romaji')),
	sort: intIn(0, 100_000),
	active: z.boolean()
});

export const STAFF_ROLES = ['consultant', 'coordinator', 'admin'] as const;
export const staffRole = z.enum(STAFF_ROLES);

/** A tablet PIN hash: `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>`. */
export const pinHash = z.string().check(z.regex(/^pbkdf2-sha256\$\d{4,7}\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{32,}$/));

/** The roster as tablets see it: never a password hash. */
export const staffData = z.strictObject({
	displayName: requiredText(40),
	role: staffRole,
	pinHash: z.nullable(pinHash),
	siteIds: z.array(uuid).check(z.maxLength(50)),
	active: z.boolean()
});

export const DEVICE_STATES = ['active', 'retired', 'revoked'] as const;
export const deviceInfo = z.strictObject({
	id: uuid,
	name: requiredText(60),
	siteIds: z.array(uuid),
	enrolledAt: instant,
	lastSeenAt: z.nullable(instant),
	state: z.enum(DEVICE_STATES)
});

export type ProgramData = z.infer<typeof programData>;
export type SiteData = z.infer<typeof siteData>;
export type SessionData = z.infer<typeof sessionData>;
export type HouseholdData = z.infer<typeof householdData>;
export type ChildData = z.infer<typeof childData>;
export type VisitData = z.infer<typeof visitData>;
export type ConsultationData = z.infer<typeof consultationData>;
export type TopicData = z.infer<typeof topicData>;
export type TownData = z.infer<typeof townData>;
export type StaffData = z.infer<typeof staffData>;
export type DeviceInfo = z.infer<typeof deviceInfo>;
export type CardRetirementData = z.infer<typeof cardRetirementData>;
export type BandCounts = z.infer<typeof bandCounts>;

/** The default consultation topics (centre can add more). */
export const DEFAULT_TOPICS: ReadonlyArray<{ code: string; labelJa: string }> = [
	{ code: 'growth', labelJa: '発育・発達' },
	{ code: 'language', labelJa: 'ことば' },
	{ code: 'feeding', labelJa: '授乳・食事' },
	{ code: 'sleep', labelJa: '睡眠' },
	{ code: 'toileting', labelJa: '排泄' },
	{ code: 'habits', labelJa: '生活習慣' },
	{ code: 'illness', labelJa: '病気・けが・アレルギー' },
	{ code: 'parenting', labelJa: 'しつけ・育児方法' },
	{ code: 'play', labelJa: '遊び' },
	{ code: 'childcare', labelJa: '保育園・幼稚園' },
	{ code: 'family', labelJa: '家族関係' },
	{ code: 'parent_health', labelJa: '保護者自身の健康' },
	{ code: 'finances', labelJa: '経済的な困りごと' },
	{ code: 'safety', labelJa: '虐待の心配' },
	{ code: 'other', labelJa: 'その他' }
];
