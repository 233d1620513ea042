/**
 * Families (世帯) at the centre, for coordinators and admins: finding a household by its card, or
 * by a child's birth month and a site where the family registered or came; and one household's
 * page (children, visits, registration, card). Reads only; the changes are in changes.ts.
 *
 * A family's visits are those naming it, and those made with its card on a tablet that did not
 * hold it yet (named by the card alone until the tablet or the centre resolves them).
 */
import { z } from 'zod';
import { AGE_BAND_LABEL_JA, ageBandAt, ageInMonths, formatAgeJa } from '$lib/domain/age-band';
import { parseCardInput, type CardParseError } from '$lib/domain/card-code';
import { YEAR_MONTH_RE, type IsoDate } from '$lib/domain/dates';
import type { CardRetirementData, HouseholdData, VisitData } from '$lib/domain/schemas';
import { UUID_RE } from '$lib/domain/ids';
import type { Queryable } from '../db/store';

/** Results shown at most; a search that finds more says so. */
export const SEARCH_LIMIT = 50;

/** Why a typed card number is refused, in the words a coordinator reads. */
export const CARD_INPUT_MESSAGES: Record<CardParseError, string> = {
	empty: 'カード番号を入力してください',
	foreign: 'カード番号は英数字とハイフンで入力してください',
	length: 'カード番号は17文字です（ハイフンや空白は無くてもかまいません）',
	symbol: 'カード番号に使われない文字が含まれています',
	check: 'カード番号が正しくありません。読み間違いや打ち間違いがないか確かめてください'
};

/** A card number as typed (any case, with or without hyphens), read as the kiosk reads it. */
export const cardInput = z.string().transform((text, ctx) => {
	const r = parseCardInput(text);
	if (r.ok) return r.code;
	ctx.addIssue({ code: 'custom', message: CARD_INPUT_MESSAGES[r.error] });
	return z.NEVER;
});

/** The search: a card number, or a child's birth month and a site (both). */
export const familySearch = z
	.object({
		card: cardInput.optional(),
		birth: z.string().regex(YEAR_MONTH_RE, 'お子さんの生まれた年月は 2025-06 の形で指定してください').optional(),
		site: z.string().regex(UUID_RE, '会場の指定が正しくありません').optional()
	})
	.superRefine((q, ctx) => {
		if (q.card !== undefined) return;
		if (q.birth !== undefined && q.site === undefined)
			ctx.addIssue({ code: 'custom', path: ['site'], message: '生まれた年月で探すときは会場も選んでください' });
		if (q.site !== undefined && q.birth === undefined) {
			ctx.addIssue({ code: 'custom', path: ['birth'], message: '会場で探すときはお子さんの生まれた年月も指定してください' });
		}
	});
export type FamilySearch = z.infer<typeof familySearch>;

export interface FamilyRow {
	id: string;
	cardCode: string;
	nickname: string | null;
	areaKind: HouseholdData['areaKind'];
	town: string | null;
	/** The children's birth months, oldest first. */
	births: string[];
	registeredSite: string | null;
	lastVisit: { date: IsoDate; site: string } | null;
}

export interface SearchResult {
	rows: FamilyRow[];
	/** More families matched than are shown. */
	more: boolean;
	/** The card number searched for is an old one: which family it led to is shown, and why. */
	retired: { reason: CardRetirementData['reason']; retiredOn: IsoDate } | null;
}

/** SQL: a family's live visits, by its id or by its card alone (`h` is the household). */
const FAMILY_VISITS = `(v.household_id = h.id or (v.household_id is null and v.card_code = h.card_code)) and not v.deleted`;

export async function searchFamilies(db: Queryable, q: FamilySearch): Promise<SearchResult | null> {
	if (q.card !== undefined) {
		const live = await db.query<{ id: string }>('select id::text from households where card_code = $1 and not deleted', [q.card]);
		if (live.rows.length > 0) return { rows: await familyRows(db, [live.rows[0]!.id]), more: false, retired: null };
		const r = await db.query<{ household_id: string | null; reason: CardRetirementData['reason']; retired_on: IsoDate }>(
			`select household_id::text, data->>'reason' as reason, data->>'retiredOn' as retired_on from card_retirements where card_code = $1 and not deleted`,
			[q.card]
		);
		const old = r.rows[0];
		if (!old) return { rows: [], more: false, retired: null };
		return { rows: old.household_id ? await familyRows(db, [old.household_id]) : [], more: false, retired: { reason: old.reason, retiredOn: old.retired_on } };
	}
	if (q.birth === undefined || q.site === undefined) return null;
	const r = await db.query<{ id: string }>(
		`select h.id::text from households h
		 where h.id in (select c.household_id from children c where c.data->>'birthYm' = $1 and not c.deleted)
		   and not h.deleted
		   and (h.registered_site_id = $2::uuid
		        or exists (select 1 from visits v join sessions s on s.id = v.session_id where ${FAMILY_VISITS} and s.site_id = $2::uuid))
		 order by h.id limit $3`,
		[q.birth, q.site, SEARCH_LIMIT + 1]
	);
	const ids = r.rows.map((row) => row.id);
	return { rows: await familyRows(db, ids.slice(0, SEARCH_LIMIT)), more: ids.length > SEARCH_LIMIT, retired: null };
}

/** The list's row of each household, the most recently seen first. */
async function familyRows(db: Queryable, ids: string[]): Promise<FamilyRow[]> {
	if (ids.length === 0) return [];
	const r = await db.query<Omit<FamilyRow, 'lastVisit'> & { last_date: IsoDate | null; last_site: string | null }>(
		`select h.id::text, h.card_code as "cardCode", h.data->>'nickname' as nickname, h.data->>'areaKind' as "areaKind", h.data->>'town' as town,
		        array(select c.data->>'birthYm' from children c where c.household_id = h.id and not c.deleted order by c.data->>'birthYm') as births,
		        rs.data->>'nameJa' as "registeredSite", lv.session_date as last_date, lv.site as last_site
		 from households h
		 left join sites rs on rs.id = h.registered_site_id
		 left join lateral (
		   select s.session_date, st.data->>'nameJa' as site from visits v join sessions s on s.id = v.session_id join sites st on st.id = s.site_id
		   where ${FAMILY_VISITS} and not s.deleted order by s.session_date desc limit 1
		 ) lv on true
		 where h.id = any($1::uuid[])
		 order by lv.session_date desc nulls last, h.card_code`,
		[ids]
	);
	return r.rows.map(({ last_date, last_site, ...row }) => ({ ...row, lastVisit: last_date ? { date: last_date, site: last_site ?? '' } : null }));
}

export interface FamilyChild {
	id: string;
	birthYm: string;
	nickname: string | null;
	/** Today's age band and age, e.g. 「1歳」「1歳3か月」; null for a birth month after today. */
	band: string | null;
	age: string | null;
}

export interface FamilyVisit {
	id: string;
	date: IsoDate;
	site: string;
	program: string;
	startTime: string;
	endTime: string;
	adults: number;
	children: number;
	method: VisitData['method'];
	checkedInAt: string;
}

export interface FamilyDetail {
	id: string;
	household: HouseholdData;
	registeredSite: string | null;
	children: FamilyChild[];
	visits: FamilyVisit[];
	/** Old cards that lead to this family (reissued, or of a household merged into it). */
	oldCards: Array<{ cardCode: string; reason: CardRetirementData['reason']; retiredOn: IsoDate }>;
}

export type FamilyLookup = { status: 'found'; detail: FamilyDetail } | { status: 'merged'; into: string } | { status: 'not_found' };

/** One family's page. A household merged into another answers where it went. */
export async function loadFamily(db: Queryable, id: string, today: IsoDate): Promise<FamilyLookup> {
	if (!UUID_RE.test(id)) return { status: 'not_found' };
	const h = await db.query<{ data: HouseholdData; deleted: boolean; site: string | null; into: string | null }>(
		`select h.data, h.deleted, rs.data->>'nameJa' as site,
		        (select r.household_id::text from card_retirements r where r.card_code = h.card_code and h.deleted) as into
		 from households h left join sites rs on rs.id = h.registered_site_id where h.id = $1::uuid`,
		[id]
	);
	const row = h.rows[0];
	if (!row) return { status: 'not_found' };
	if (row.deleted) return row.into ? { status: 'merged', into: row.into } : { status: 'not_found' };
	const [children, visits, oldCards] = await Promise.all([
		db.query<{ id: string; birthYm: string; nickname: string | null }>(
			`select id::text, data->>'birthYm' as "birthYm", data->>'nickname' as nickname from children
			 where household_id = $1::uuid and not deleted order by data->>'birthYm', id`,
			[id]
		),
		db.query<FamilyVisit>(
			`select v.id::text, s.session_date as date, st.data->>'nameJa' as site, p.data->>'nameJa' as program,
			        s.data->>'startTime' as "startTime", s.data->>'endTime' as "endTime", (v.data->>'adults')::int as adults,
			        jsonb_array_length(v.data->'childIds') as children, v.data->>'method' as method, v.data->>'checkedInAt' as "checkedInAt"
			 from households h
			 join visits v on ${FAMILY_VISITS}
			 join sessions s on s.id = v.session_id and not s.deleted
			 join sites st on st.id = s.site_id
			 left join programs p on p.id = st.program_id
			 where h.id = $1::uuid
			 order by s.session_date desc, v.data->>'checkedInAt' desc`,
			[id]
		),
		db.query<FamilyDetail['oldCards'][number]>(
			`select card_code as "cardCode", data->>'reason' as reason, data->>'retiredOn' as "retiredOn" from card_retirements
			 where household_id = $1::uuid and not deleted order by data->>'retiredOn' desc, card_code`,
			[id]
		)
	]);
	return {
		status: 'found',
		detail: {
			id,
			household: row.data,
			registeredSite: row.site,
			children: children.rows.map((c) => {
				const band = ageBandAt(c.birthYm, today);
				return { ...c, band: band ? AGE_BAND_LABEL_JA[band] : null, age: band ? formatAgeJa(ageInMonths(c.birthYm, today)) : null };
			}),
			visits: visits.rows,
			oldCards: oldCards.rows
		}
	};
}
