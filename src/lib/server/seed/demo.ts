/**
 * Fictional demo data for an empty store (DESIGN.md "Running it": `npm start` on an empty store
 * loads it and prints the demo sign-ins). Everything here is invented: the ward (ひろば区), its
 * 町丁, parks and halls, the families (card codes and birth year-months only) and the staff. No real
 * person's name and no real address appears.
 *
 * The calendar content (sites, sessions, households, children, visits, card codes) is a pure
 * function of `seed` and `now`, drawn from a small deterministic PRNG; record ids are UUIDv7 and
 * PIN/password hashes are salted, so those differ between runs. All synced rows are written through
 * `writeCentreRecords` (schema check, stamps, sync lock) in one transaction.
 */
import { mulberry32 } from '$lib/domain/prng';
import { WARD_AREAS, WARD_NAME, WARD_TOWN_READINGS, WARD_TOWNS } from '$lib/domain/ward';
import { ageBandAt, type AgeBand } from '$lib/domain/age-band';
import { makeCardCode } from '$lib/domain/card-code';
import { addDays, tokyoDate, type IsoDate, type YearMonth } from '$lib/domain/dates';
import { uuidv7 } from '$lib/domain/ids';
import { hashPin } from '$lib/domain/pin';
import {
	DEFAULT_TOPICS,
	type BandCounts,
	type ChildData,
	type ConsultationData,
	type HouseholdData,
	type ProgramCode,
	type ProgramData,
	type SessionData,
	type SiteData,
	type StaffData,
	type TopicData,
	type TownData,
	type VisitData
} from '$lib/domain/schemas';
import type { SyncTable, TableData } from '$lib/sync/protocol';
import { hashPassword } from '../auth/passwords';
import type { Queryable, Store } from '../db/store';
import { sealConsultationText, type ConsultationText } from '$lib/domain/seal';
import { getKeyring } from '../crypto/keyring';
import { takeWriteLock, writeCentreRecords } from '../sync/records';

export const DEMO_WARD_NAME = WARD_NAME;
export const DEMO_TOWNS = WARD_TOWNS;
const AREAS = WARD_AREAS;
type Area = (typeof AREAS)[number];

const PROGRAMS: ReadonlyArray<ProgramData> = [
	{ code: 'ohisama', nameJa: 'おひさまぴよぴよ', outdoor: true, sort: 1 },
	{ code: 'nikoniko', nameJa: 'にこにこ', outdoor: false, sort: 2 },
	{ code: 'nobinobi', nameJa: 'のびのびひろば', outdoor: false, sort: 3 }
];

const SITE_COUNTS = { ohisama: 8, nikoniko: 17, nobinobi: 5 } as const;
const NIKONIKO_HALLS = 11; // 児童館; the other 6 nikoniko sites are 学童クラブ室
const CONSULTANT_SITES = 4;
/** 定員 (families at once) of the halls with a consultant, and of のびのびひろば's small rooms. */
const HALL_CAPACITY = 30;
const NOBINOBI_CAPACITY = 10;
const PARK_SUFFIXES = ['公園', '中央公園', 'ふれあい公園', '児童遊園', 'どんぐり公園', '原っぱ公園'];
const NOBINOBI_PLACES = ['子ども家庭支援センター', '保健相談所 多目的室', '地域センター 和室', 'ふれあい館', '子育てプラザ'];
const TIMES: Record<ProgramCode, { start: string; end: string }> = {
	ohisama: { start: '10:00', end: '11:30' },
	nikoniko: { start: '10:00', end: '12:00' },
	nobinobi: { start: '10:00', end: '11:30' }
};
/** A month of past sessions, with visits and consultations. */
const DAYS_BEFORE = 31;
const DAYS_AFTER = 21;

const FAMILY_NICKNAMES = ['はるママ', 'そうたパパ', 'ゆいママ', 'りくパパ', 'めいママ', 'こうママ', 'あおいママ', 'ひなたパパ', 'さくママ', 'けいパパ'];
const CHILD_NICKNAMES = ['はーちゃん', 'そうくん', 'ゆいちゃん', 'りっくん', 'めいちゃん', 'こうくん'];

/**
 * Fictional notes for demo consultations, by topic: the kind of thing a 相談員 writes, about nobody.
 */
const DEMO_NOTES: Record<string, readonly string[]> = {
	growth: ['体重の増えが気になるとのこと。健診では順調と言われている。様子を見ることにした。', 'つかまり立ちが遅いのではと心配。個人差の話をした。'],
	language: ['言葉が出るのが遅いと心配。指さしはよくしている。次回の様子を見る。', '二語文がまだ。絵本の読み聞かせを一緒にしてみた。'],
	feeding: ['離乳食を食べる量が少ない。食べムラの話をし、無理をしないように伝えた。', '卒乳の時期について相談。母の気持ちを聞いた。'],
	sleep: ['夜泣きが続いていて母が寝不足。生活リズムの話をした。', '寝かしつけに1時間以上かかるとのこと。入眠の工夫を一緒に考えた。'],
	toileting: ['トイレトレーニングを始めたいが嫌がる。急がなくてよいと伝えた。'],
	habits: ['歯みがきを嫌がって困っている。遊びながらの方法を紹介した。', '朝起きる時間がばらばら。できることから一つずつと話した。'],
	illness: ['食物アレルギーの疑い。かかりつけ医への相談をすすめた。', '保育園に入ってから風邪が続く。'],
	parenting: ['かんしゃくへの対応に悩んでいる。気持ちを受け止める声かけを話した。', 'きょうだいげんかが多い。上の子との時間の作り方を一緒に考えた。'],
	play: ['家での遊び方が分からないとのこと。手遊びをいくつか紹介した。'],
	childcare: ['来年度の保育園の申し込みについて。区の窓口を案内した。', '一時保育の使い方を知りたいとのこと。'],
	family: ['父の帰りが遅く、ひとりで育児をしている感じがすると話された。', '祖父母との考え方の違いに疲れている様子。'],
	parent_health: ['母の気分の落ち込みが続いている。保健師との面談をすすめた。', '産後の体調がすぐれない。無理をしないよう話した。'],
	finances: ['育休明けの家計が心配とのこと。手当の窓口を案内した。'],
	safety: ['子どもに強く当たってしまうことがあると話された。センターと共有し、次回も声をかける。'],
	other: ['転入したばかりで知り合いがいない。ほかのひろばも紹介した。']
};
const FOLLOW_UP_NOTES: Record<string, readonly string[]> = {
	refer_centre: ['センターの地区担当から連絡', '来週センターから電話予定'],
	refer_health: ['保健相談所の地区担当保健師へ', '乳幼児健診の際に相談できるよう連絡'],
	refer_support: ['子ども家庭支援センターの相談窓口を案内'],
	other: ['かかりつけ医に相談するよう案内', '区の子育て応援窓口を案内']
};

/** The demo's staff; README.md lists them (the banner prints them only on the start that seeds). */
export const DEMO_STAFF: ReadonlyArray<{ displayName: string; role: StaffData['role']; pin: string; loginName: string | null; password: string | null }> = [
	{ displayName: '相談員 山田', role: 'consultant', pin: '482193', loginName: 'consultant1', password: 'hiroba-demo-3' },
	{ displayName: '相談員 川村', role: 'consultant', pin: '730516', loginName: null, password: null },
	{ displayName: '相談員 森下', role: 'consultant', pin: '265948', loginName: null, password: null },
	{ displayName: '相談員 小林', role: 'consultant', pin: '914370', loginName: null, password: null },
	{ displayName: '相談員 中島', role: 'consultant', pin: '358062', loginName: null, password: null },
	{ displayName: '相談員 藤原', role: 'consultant', pin: '647281', loginName: null, password: null },
	{ displayName: 'コーディネーター 高橋', role: 'coordinator', pin: '193754', loginName: 'coordinator1', password: 'hiroba-demo-1' },
	{ displayName: 'コーディネーター 石井', role: 'coordinator', pin: '806425', loginName: 'coordinator2', password: 'hiroba-demo-2' },
	{ displayName: '管理者 松本', role: 'admin', pin: '571639', loginName: 'admin', password: 'hiroba-admin-1' }
];

export interface DemoSummary {
	programs: number;
	sites: { ohisama: number; nikoniko: number; nobinobi: number };
	sessions: number;
	households: number;
	children: number;
	visits: number;
	consultations: number;
	staff: Array<{ id: string; displayName: string; role: string; pin: string; loginName: string | null; password: string | null; siteIds: string[] }>;
	/** Sites worth enrolling a demo tablet for: a nikoniko hall with a consultant and a session today. */
	firstSiteIds: string[];
}

export class DemoStoreNotEmptyError extends Error {
	constructor() {
		super('the store already holds programs; demo data is only loaded into an empty store');
	}
}

/** True when the store has no programs at all: a store that has never been set up. */
export async function isStoreEmpty(store: Queryable): Promise<boolean> {
	const r = await store.query<{ present: boolean }>('select exists (select 1 from programs) as present');
	return !r.rows[0]?.present;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

class Rng {
	readonly next: () => number;
	constructor(seed: number) {
		this.next = mulberry32(seed);
	}
	/** Integer in [min, max], both included. */
	int(min: number, max: number): number {
		return min + Math.floor(this.next() * (max - min + 1));
	}
	chance(p: number): boolean {
		return this.next() < p;
	}
	pick<T>(items: readonly T[]): T {
		if (items.length === 0) throw new Error('pick from an empty list');
		return items[Math.floor(this.next() * items.length)]!;
	}
	shuffle<T>(items: readonly T[]): T[] {
		const out = items.slice();
		for (let i = out.length - 1; i > 0; i--) {
			const j = Math.floor(this.next() * (i + 1));
			[out[i], out[j]] = [out[j]!, out[i]!];
		}
		return out;
	}
	weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
		const total = entries.reduce((s, [, w]) => s + w, 0);
		let x = this.next() * total;
		for (const [value, w] of entries) {
			x -= w;
			if (x < 0) return value;
		}
		return entries[entries.length - 1]![0];
	}
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers (Tokyo dates as `YYYY-MM-DD`; nothing reads the machine's zone)

function dayOfWeek(date: IsoDate): number {
	return new Date(`${date}T00:00:00Z`).getUTCDay();
}

function ymMinus(ym: YearMonth, months: number): YearMonth {
	const total = Number(ym.slice(0, 4)) * 12 + Number(ym.slice(5, 7)) - 1 - months;
	return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
}

/** The `n`th weekday `dow` of a month, e.g. the 2nd Wednesday. n ≤ 4 always exists. */
function nthWeekday(ym: YearMonth, dow: number, n: number): IsoDate {
	const first = dayOfWeek(`${ym}-01`);
	const day = 1 + ((dow - first + 7) % 7) + 7 * (n - 1);
	return `${ym}-${String(day).padStart(2, '0')}`;
}

function minutesOf(time: string): number {
	return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** The instant of a Tokyo wall-clock time on a date, as an ISO string. */
function tokyoInstant(date: IsoDate, minutes: number): string {
	const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
	const mm = String(minutes % 60).padStart(2, '0');
	return new Date(`${date}T${hh}:${mm}:00+09:00`).toISOString();
}

// ---------------------------------------------------------------------------------------------
// The plan: every record, made before the transaction opens

interface PlanSite {
	id: string;
	program: ProgramCode;
	area: Area;
	data: SiteData;
	/** Weekly days (0 = Sunday) for ohisama and nikoniko. */
	weekly: number[];
	/** Monthly rule for nobinobi: the `nths` `dow` of each month. */
	monthly: { dow: number; nths: number[] } | null;
}

interface PlanHousehold {
	id: string;
	data: HouseholdData;
	children: Array<{ id: string; data: ChildData }>;
	homeSiteIds: string[];
}

type Rec<T extends SyncTable> = { id: string; data: TableData[T] };

/** A consultation before it is sealed: the consultant by position among the demo consultants. */
interface PlanConsultation {
	id: string;
	consultant: number;
	data: Omit<ConsultationData, 'staffId' | 'sealed'>;
	text: ConsultationText;
}

interface DemoPlan {
	consultations: PlanConsultation[];
	programs: Rec<'programs'>[];
	sites: PlanSite[];
	topics: Rec<'topics'>[];
	sessions: Rec<'sessions'>[];
	households: PlanHousehold[];
	visits: Rec<'visits'>[];
	staffSiteIds: string[];
	firstSiteIds: string[];
}

function place(rng: Rng, area: Area): string {
	return `${DEMO_WARD_NAME}${rng.pick(area.towns)}${rng.int(1, 28)}番${rng.int(1, 20)}号`;
}

function planDemo(now: number, seed: number, householdCount: number): DemoPlan {
	const rng = new Rng(seed);
	const cardRng = new Rng((seed ^ 0x5bd1e995) >>> 0);
	const randomBytes = (bytes: Uint8Array) => {
		for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(cardRng.next() * 256);
		return bytes;
	};
	const id = () => uuidv7();
	const today = tokyoDate(now);
	const thisMonth = today.slice(0, 7);
	const todayDow = dayOfWeek(today);
	const first = addDays(today, -DAYS_BEFORE);
	const last = addDays(today, DAYS_AFTER);

	const programs = PROGRAMS.map((data) => ({ id: id(), data: { ...data } }));
	const programId = (code: ProgramCode) => programs.find((p) => p.data.code === code)!.id;

	// Sites. Each program draws its facility names from its own shuffle of the areas.
	const sites: PlanSite[] = [];
	const weekdays = [1, 2, 3, 4, 5];

	const parkAreas = rng.shuffle(AREAS).slice(0, SITE_COUNTS.ohisama);
	const parkDays = rng.shuffle(weekdays);
	parkAreas.forEach((area, i) => {
		const nameJa = `${area.stem}${rng.pick(PARK_SUFFIXES)}`;
		sites.push({
			id: id(),
			program: 'ohisama',
			area,
			data: {
				programId: programId('ohisama'),
				nameJa,
				place: `${nameJa} 芝生広場（${DEMO_WARD_NAME}${rng.pick(area.towns)}）`,
				outdoor: true,
				hasConsultant: false,
				active: true
			},
			weekly: [parkDays[i % parkDays.length]!],
			monthly: null
		});
	});

	const hallAreas = rng.shuffle(AREAS).slice(0, SITE_COUNTS.nikoniko);
	hallAreas.forEach((area, i) => {
		const hall = i < NIKONIKO_HALLS;
		const nameJa = hall ? `${area.stem}児童館` : `${area.stem}学童クラブ室`;
		const days = rng
			.shuffle(weekdays)
			.slice(0, rng.int(2, 3))
			.sort((a, b) => a - b);
		sites.push({
			id: id(),
			program: 'nikoniko',
			area,
			data: {
				programId: programId('nikoniko'),
				nameJa,
				place: place(rng, area),
				// 定員 is known for the halls with a consultant; the rest leave it open, as many real ones do.
				...(hall && i < CONSULTANT_SITES ? { capacity: HALL_CAPACITY } : {}),
				outdoor: false,
				hasConsultant: hall && i < CONSULTANT_SITES,
				active: true
			},
			weekly: days,
			monthly: null
		});
	});
	// The featured site (first hall with a consultant) is open today, whatever the day, so a demo
	// tablet enrolled for it has a session to open: on a weekend it keeps a Saturday/Sunday room.
	const featured = sites.find((s) => s.program === 'nikoniko' && s.data.hasConsultant)!;
	if (!featured.weekly.includes(todayDow)) {
		featured.weekly[rng.int(0, featured.weekly.length - 1)] = todayDow;
		featured.weekly.sort((a, b) => a - b);
	}

	const nobiAreas = rng.shuffle(AREAS).slice(0, SITE_COUNTS.nobinobi);
	nobiAreas.forEach((area, i) => {
		const nameJa = `${area.stem}${NOBINOBI_PLACES[i % NOBINOBI_PLACES.length]}`;
		sites.push({
			id: id(),
			program: 'nobinobi',
			area,
			data: {
				programId: programId('nobinobi'),
				nameJa,
				place: place(rng, area),
				capacity: NOBINOBI_CAPACITY,
				outdoor: false,
				hasConsultant: false,
				active: true
			},
			weekly: [],
			monthly: { dow: rng.pick(weekdays), nths: rng.pick([[2], [3], [1, 3], [2, 4]]) }
		});
	});

	const topics: Rec<'topics'>[] = DEFAULT_TOPICS.map((t, i): Rec<'topics'> => ({
		id: id(),
		data: { code: t.code, labelJa: t.labelJa, sort: (i + 1) * 10, active: true } satisfies TopicData
	}));

	// Sessions, day by day. Rain is ward-wide: on a few past weekdays every park session is off.
	const dates: IsoDate[] = [];
	for (let d = first; d <= last; d = addDays(d, 1)) dates.push(d);
	const pastWeekdays = dates.filter((d) => d < today && weekdays.includes(dayOfWeek(d)));
	const rainy = new Set(rng.shuffle(pastWeekdays).slice(0, Math.min(pastWeekdays.length, rng.int(2, 3))));
	const monthsInWindow = [...new Set(dates.map((d) => d.slice(0, 7)))];
	const nobiDates = new Map<string, Set<IsoDate>>();
	for (const s of sites) {
		if (!s.monthly) continue;
		const rule = s.monthly;
		nobiDates.set(s.id, new Set(monthsInWindow.flatMap((ym) => rule.nths.map((n) => nthWeekday(ym, rule.dow, n)))));
	}

	const sessions: Rec<'sessions'>[] = [];
	const sessionSite = new Map<string, PlanSite>();
	for (const date of dates) {
		const dow = dayOfWeek(date);
		for (const s of sites) {
			const runs = s.monthly ? nobiDates.get(s.id)!.has(date) : s.weekly.includes(dow);
			if (!runs) continue;
			const past = date < today;
			const cancelled = past && s.program === 'ohisama' && rainy.has(date);
			const data: SessionData = {
				siteId: s.id,
				date,
				startTime: TIMES[s.program].start,
				endTime: TIMES[s.program].end,
				status: cancelled ? 'cancelled' : past ? 'closed' : 'scheduled',
				cancelReason: cancelled ? 'rain' : null
			};
			const rec = { id: id(), data };
			sessions.push(rec);
			sessionSite.set(rec.id, s);
		}
	}

	// Households: a home site or two each (where they are regulars), 1–3 children aged 0–5.
	const byProgram = (code: ProgramCode) => sites.filter((s) => s.program === code);
	const regulars = new Map<string, PlanHousehold[]>(sites.map((s) => [s.id, []]));
	const households: PlanHousehold[] = [];
	for (let h = 0; h < householdCount; h++) {
		const home = rng.pick(
			byProgram(
				rng.weighted<ProgramCode>([
					['nikoniko', 60],
					['ohisama', 30],
					['nobinobi', 10]
				])
			)
		);
		const homeSites = [home];
		if (rng.chance(0.4)) {
			const other = rng.pick(sites.filter((s) => s.program !== 'nobinobi' && s !== home));
			homeSites.push(other);
		}
		const inWard = rng.chance(0.85);
		const town = inWard ? (rng.chance(0.5) ? rng.pick(home.area.towns) : rng.pick(DEMO_TOWNS)) : null;
		// About one family in ten registered during the last two weeks (新規 in the reports).
		const consentDate = rng.chance(0.1) ? addDays(today, -rng.int(1, DAYS_BEFORE)) : addDays(today, -rng.int(DAYS_BEFORE + 1, 200));
		const householdId = id();
		const data: HouseholdData = {
			cardCode: makeCardCode(randomBytes),
			nickname: rng.chance(0.08) ? rng.pick(FAMILY_NICKNAMES) : null,
			areaKind: inWard ? 'ward' : 'outside',
			town,
			heardFrom: rng.weighted<HouseholdData['heardFrom']>([
				['health_checkup', 30],
				['friend', 20],
				['website', 12],
				['ward_newsletter', 10],
				['facility', 10],
				['passing_by', 7],
				['poster', 6],
				['other', 3],
				[null, 2]
			]),
			consentVersion: '2026-04',
			consentDate,
			registeredSiteId: home.id,
			language: rng.weighted<HouseholdData['language']>([
				['ja', 90],
				['en', 3],
				['zh', 3],
				['ko', 2],
				['vi', 2]
			]),
			cardPrintRequested: rng.chance(0.05)
		};
		// Birth months 0–71 months back (0 to 5 years old), siblings 15+ months apart.
		const n = rng.weighted([
			[1, 55],
			[2, 35],
			[3, 10]
		] as const);
		const MAX_BACK = 71;
		const ages: number[] = [rng.int(0, MAX_BACK - (n - 1) * 15)];
		for (let c = 1; c < n; c++) {
			const prev = ages[c - 1]!;
			const room = MAX_BACK - prev - (n - 1 - c) * 15;
			ages.push(prev + rng.int(15, Math.max(15, Math.min(36, room))));
		}
		const children = ages.map((back) => ({
			id: id(),
			data: { householdId, birthYm: ymMinus(thisMonth, back), nickname: rng.chance(0.05) ? rng.pick(CHILD_NICKNAMES) : null } satisfies ChildData
		}));
		const plan: PlanHousehold = { id: householdId, data, children, homeSiteIds: homeSites.map((s) => s.id) };
		households.push(plan);
		for (const s of homeSites) regulars.get(s.id)!.push(plan);
	}

	// Visits at the closed sessions: a handful of regulars, now and then someone from elsewhere,
	// and a few walk-ins counted by band.
	const visits: Rec<'visits'>[] = [];
	const visitCounts: Record<ProgramCode, [number, number]> = { ohisama: [3, 9], nikoniko: [4, 12], nobinobi: [2, 6] };
	const method = () =>
		rng.weighted<VisitData['method']>([
			['camera', 85],
			['scanner', 8],
			['typed', 7]
		]);
	const times = (date: IsoDate, program: ProgramCode) => {
		const start = minutesOf(TIMES[program].start);
		const length = minutesOf(TIMES[program].end) - start;
		const inAt = start + rng.int(0, length - 30);
		const outAt = rng.chance(0.55) ? inAt + rng.int(15, start + length - inAt) : null;
		return { checkedInAt: tokyoInstant(date, inAt), checkedOutAt: outAt === null ? null : tokyoInstant(date, outAt) };
	};
	const isPreschool = (band: AgeBand | null) => band !== null && band !== 'school';
	for (const session of sessions) {
		if (session.data.status !== 'closed') continue;
		const site = sessionSite.get(session.id)!;
		const { date } = session.data;
		const registered = (h: PlanHousehold) => h.data.consentDate <= date;
		const [lo, hi] = visitCounts[site.program];
		const chosen = rng.shuffle(regulars.get(site.id)!.filter(registered)).slice(0, rng.int(lo, hi));
		if (site.program !== 'nobinobi' && households.length > 0 && rng.chance(0.3)) {
			const guest = rng.pick(households);
			if (registered(guest) && !chosen.includes(guest)) chosen.push(guest);
		}
		for (const h of chosen) {
			const eligible = h.children.filter((c) => isPreschool(ageBandAt(c.data.birthYm, date)));
			if (eligible.length === 0) continue;
			const childIds = eligible.length > 1 && rng.chance(0.15) ? [rng.pick(eligible).id] : eligible.map((c) => c.id);
			visits.push({
				id: id(),
				data: {
					sessionId: session.id,
					householdId: h.id,
					cardCode: h.data.cardCode,
					childIds,
					walkInChildren: null,
					adults: rng.chance(0.8) ? 1 : 2,
					...times(date, site.program),
					method: method()
				}
			});
		}
		const walkIns =
			site.program === 'nobinobi'
				? 0
				: rng.weighted([
						[0, 60],
						[1, 30],
						[2, 10]
					] as const);
		for (let w = 0; w < walkIns; w++) {
			const counts: BandCounts = { age0: 0, age1: 0, age2: 0, age3plus: 0, school: 0 };
			const kids = rng.int(1, 2);
			for (let k = 0; k < kids; k++) {
				const band = ageBandAt(ymMinus(thisMonth, rng.int(2, 60)), date);
				if (band) counts[band] += 1;
			}
			visits.push({
				id: id(),
				data: {
					sessionId: session.id,
					householdId: null,
					cardCode: null,
					childIds: [],
					walkInChildren: counts,
					adults: 1,
					...times(date, site.program),
					method: 'walkin'
				}
			});
		}
	}

	// Consultations at the closed sessions of the halls with a consultant: a few a session, most with
	// a family that came, some anonymous; now and then a referral, which becomes a follow-up case.
	const consultations: PlanConsultation[] = [];
	const consultantCount = DEMO_STAFF.filter((m) => m.role === 'consultant').length;
	const visitsBySession = new Map<string, Rec<'visits'>[]>();
	for (const v of visits) visitsBySession.set(v.data.sessionId, [...(visitsBySession.get(v.data.sessionId) ?? []), v]);
	const childById = new Map(households.flatMap((h) => h.children.map((c) => [c.id, c.data] as const)));
	for (const session of sessions) {
		const site = sessionSite.get(session.id)!;
		if (session.data.status !== 'closed' || !site.data.hasConsultant) continue;
		const { date } = session.data;
		const families = rng.shuffle((visitsBySession.get(session.id) ?? []).filter((v) => v.data.householdId !== null));
		const count = rng.int(0, 3);
		for (let k = 0; k < count; k++) {
			const visit = rng.chance(0.75) ? families[k] : undefined;
			const childId = visit && visit.data.childIds.length > 0 ? rng.pick(visit.data.childIds) : null;
			const child = childId ? childById.get(childId) : undefined;
			const topicCount = rng.weighted([
				[1, 60],
				[2, 30],
				[3, 10]
			] as const);
			const codes = rng.shuffle(DEFAULT_TOPICS.filter((t) => t.code !== 'safety' || rng.chance(0.3)).map((t) => t.code)).slice(0, topicCount);
			const urgency = rng.weighted<ConsultationData['urgency']>([
				['normal', 85],
				['watch', 12],
				['urgent', 3]
			]);
			const followUp = rng.weighted<ConsultationData['followUp']>([
				['none', 45],
				['next_time', 33],
				['refer_centre', 8],
				['refer_health', 7],
				['refer_support', 3],
				['other', 4]
			]);
			const start = minutesOf(TIMES[site.program].start) + rng.int(10, 100);
			consultations.push({
				id: id(),
				consultant: rng.int(0, consultantCount - 1),
				data: {
					sessionId: session.id,
					householdId: visit?.data.householdId ?? null,
					childId,
					childAgeBand: child ? ageBandAt(child.birthYm, date) : null,
					topics: codes,
					durationMin: rng.pick([5, 10, 10, 15, 15, 20, 30, 45]),
					urgency,
					followUp,
					consultedAt: tokyoInstant(date, start)
				},
				text: {
					note: rng.pick(DEMO_NOTES[codes[0]!] ?? DEMO_NOTES.other!),
					followUpNote: FOLLOW_UP_NOTES[followUp] ? rng.pick(FOLLOW_UP_NOTES[followUp]) : null
				}
			});
		}
	}

	return {
		consultations,
		programs,
		sites,
		topics,
		sessions,
		households,
		visits,
		staffSiteIds: sites.filter((s) => s.data.hasConsultant).map((s) => s.id),
		firstSiteIds: [featured.id]
	};
}

/**
 * The follow-up cases the demo consultations opened, worked the way a centre works them: the older
 * ones closed by a coordinator, some in progress, the newest still open.
 */
async function workDemoCases(tx: Queryable, coordinatorId: string, now: number): Promise<void> {
	const actor = `staff:${coordinatorId}`;
	// Written all at once, they were opened when the consultations took place.
	await tx.query(`update followup_cases f set opened_at = (c.data->>'consultedAt')::timestamptz from consultations c where c.id = f.consultation_id`);
	await tx.query(`update followup_events e set at = f.opened_at from followup_cases f where f.id = e.case_id and e.action = 'opened'`);
	const cases = await tx.query<{ id: string; opened: string }>(
		`select f.id::text, c.data->>'consultedAt' as opened from followup_cases f join consultations c on c.id = f.consultation_id order by opened`
	);
	const closeBefore = now - 14 * 86_400_000;
	const progressBefore = now - 5 * 86_400_000;
	for (const [i, c] of cases.rows.entries()) {
		const opened = Date.parse(c.opened);
		if (opened < closeBefore && i % 4 !== 3) {
			await tx.query(`update followup_cases set status = 'closed', owner_staff_id = $2, closed_at = $3, updated_at = $3, version = version + 2 where id = $1`, [
				c.id,
				coordinatorId,
				new Date(opened + 6 * 86_400_000).toISOString()
			]);
			await tx.query(
				`insert into followup_events (case_id, at, actor, action, detail) values
				 ($1, $3, $2, 'updated', jsonb_build_object('changes', jsonb_build_object('owner', jsonb_build_object('from', null, 'to', $4::text), 'status', '{"from":"open","to":"in_progress"}'::jsonb))),
				 ($1, $5, $2, 'updated', '{"changes":{"status":{"from":"in_progress","to":"closed"}}}')`,
				[c.id, actor, new Date(opened + 86_400_000).toISOString(), coordinatorId, new Date(opened + 6 * 86_400_000).toISOString()]
			);
		} else if (opened < progressBefore) {
			await tx.query(`update followup_cases set status = 'in_progress', owner_staff_id = $2, updated_at = $3, version = version + 1 where id = $1`, [
				c.id,
				coordinatorId,
				new Date(opened + 86_400_000).toISOString()
			]);
			await tx.query(
				`insert into followup_events (case_id, at, actor, action, detail) values
				 ($1, $3, $2, 'updated', jsonb_build_object('changes', jsonb_build_object('owner', jsonb_build_object('from', null, 'to', $4::text), 'status', '{"from":"open","to":"in_progress"}'::jsonb)))`,
				[c.id, actor, new Date(opened + 86_400_000).toISOString(), coordinatorId]
			);
		}
	}
}

async function writeInChunks<T extends SyncTable>(tx: Queryable, table: T, records: Array<{ id: string; data: TableData[T] }>): Promise<void> {
	const CHUNK = 1000;
	for (let i = 0; i < records.length; i += CHUNK) await writeCentreRecords(tx, table, records.slice(i, i + CHUNK));
}

/**
 * Load the fictional demo data into an empty store, in one transaction. Throws
 * `DemoStoreNotEmptyError` (and writes nothing) if the store already has programs.
 * `pinIterations` is for tests that seed again only to compare the calendar, as `hashPin`'s own
 * parameter is: the PINs' hashes are most of the seed's cost.
 */
export async function seedDemo(store: Store, opts: { now?: number; seed?: number; households?: number; pinIterations?: number } = {}): Promise<DemoSummary> {
	const now = opts.now ?? Date.now();
	const seed = Math.trunc(opts.seed ?? 1) >>> 0;
	const householdCount = opts.households ?? 300;
	if (!Number.isInteger(householdCount) || householdCount < 0 || householdCount > 50_000) {
		throw new RangeError('households must be an integer from 0 to 50000');
	}
	// Checked again under the lock inside the transaction; this early look saves the slow hashes.
	if (!(await isStoreEmpty(store))) throw new DemoStoreNotEmptyError();

	// The slow hashes (nine PINs at PIN_ITERATIONS, over half a second of CPU each) all start at
	// once on the thread pool and run while the plan is drawn and the first tables are written.
	// The roster is still written before the families, so a new tablet's first pull brings it early.
	// Holding the transaction open while the hashes finish keeps nobody waiting: the store is empty.
	const hashing = Promise.all(
		DEMO_STAFF.map(async (s) => {
			const [pinHash, passwordHash] = await Promise.all([hashPin(s.pin, opts.pinIterations), s.password === null ? null : hashPassword(s.password)]);
			return { ...s, id: uuidv7(), pinHash, passwordHash };
		})
	);
	// Awaited below; this only keeps a failure before then from being reported as unhandled.
	hashing.catch(() => undefined);
	const plan = planDemo(now, seed, householdCount);
	// Notes are sealed to the centre's key, as a tablet seals them: the database never holds them in clear.
	const keyring = await getKeyring();
	const sealedNotes = await Promise.all(plan.consultations.map((c) => sealConsultationText(keyring.recipient, c.id, c.text)));

	const staff = await store.transaction(async (tx) => {
		await takeWriteLock(tx);
		if (!(await isStoreEmpty(tx))) throw new DemoStoreNotEmptyError();
		await writeCentreRecords(tx, 'programs', plan.programs);
		await writeCentreRecords(
			tx,
			'sites',
			plan.sites.map((s) => ({ id: s.id, data: s.data }))
		);
		await writeCentreRecords(tx, 'topics', plan.topics);
		await writeCentreRecords(
			tx,
			'towns',
			WARD_TOWN_READINGS.map((t, i) => ({ data: { ...t, sort: (i + 1) * 10, active: true } satisfies TownData }))
		);
		await writeInChunks(tx, 'sessions', plan.sessions);
		const staff = (await hashing).map((s) => ({ ...s, siteIds: s.role === 'consultant' ? plan.staffSiteIds.slice() : [] }));
		await writeCentreRecords(
			tx,
			'staff',
			staff.map((s) => ({
				id: s.id,
				data: { displayName: s.displayName, role: s.role, pinHash: s.pinHash, siteIds: s.siteIds, active: true } satisfies StaffData
			}))
		);
		const logins = staff.filter((s) => s.loginName !== null).map((s) => ({ id: s.id, login: s.loginName, hash: s.passwordHash }));
		await tx.query(
			`update staff set login_name = x.login, password_hash = x.hash
			 from jsonb_to_recordset($1::jsonb) as x(id uuid, login text, hash text)
			 where staff.id = x.id`,
			[JSON.stringify(logins)]
		);
		await writeInChunks(
			tx,
			'households',
			plan.households.map((h) => ({ id: h.id, data: h.data }))
		);
		await writeInChunks(
			tx,
			'children',
			plan.households.flatMap((h) => h.children)
		);
		await writeInChunks(tx, 'visits', plan.visits);
		const consultants = staff.filter((m) => m.role === 'consultant');
		await writeInChunks(
			tx,
			'consultations',
			plan.consultations.map((c, i) => ({ id: c.id, data: { ...c.data, staffId: consultants[c.consultant]!.id, sealed: sealedNotes[i]! } }))
		);
		await workDemoCases(tx, staff.find((m) => m.role === 'coordinator')!.id, now);
		return staff;
	});

	return {
		programs: plan.programs.length,
		sites: {
			ohisama: plan.sites.filter((s) => s.program === 'ohisama').length,
			nikoniko: plan.sites.filter((s) => s.program === 'nikoniko').length,
			nobinobi: plan.sites.filter((s) => s.program === 'nobinobi').length
		},
		sessions: plan.sessions.length,
		households: plan.households.length,
		children: plan.households.reduce((n, h) => n + h.children.length, 0),
		visits: plan.visits.length,
		consultations: plan.consultations.length,
		staff: staff.map((s) => ({
			id: s.id,
			displayName: s.displayName,
			role: s.role,
			pin: s.pin,
			loginName: s.loginName,
			password: s.password,
			siteIds: s.siteIds
		})),
		firstSiteIds: plan.firstSiteIds
	};
}
