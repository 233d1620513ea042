/**
 * The ward's 町丁 list, managed at the centre (issue 10): reference data in the synced `towns`
 * table, sent to every tablet, where the kiosk offers it to a family registering, with readings in
 * hiragana and romaji. Every change is one transaction with its audit row.
 *
 * Households keep the town's name as they registered it, so renaming or retiring a town changes no
 * past registration and no report; the page says so.
 */
import { z } from 'zod';
import { KANA_RE, ROMAJI_RE, type TownData } from '$lib/domain/schemas';
import { cleanText } from '$lib/server/clean-text';
import { audit } from '../auth/devices';
import type { Queryable, Store } from '../db/store';
import { takeWriteLock, writeCentreRecords } from '../sync/records';

export interface TownRow extends TownData {
	id: string;
	/** Registered households (not deleted) whose town is this one. */
	households: number;
}

/** Katakana typed for a reading becomes hiragana, full-width letters and digits half-width. */
export function normaliseKana(input: string): string {
	return input.normalize('NFKC').replace(/[\u30A1-\u30F6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

export function normaliseRomaji(input: string): string {
	return input.normalize('NFKC').replace(/\s+/g, ' ');
}

const nameField = cleanText({ message: '名称に使えない文字が含まれています' })
	.trim()
	.min(1, '名称を入力してください')
	.max(40, '名称は40文字以内で入力してください');
const kanaField = z
	.string()
	.transform((s) => normaliseKana(s).trim())
	.pipe(z.string().max(60, 'よみは60文字以内で入力してください').regex(KANA_RE, 'よみはひらがなで入力してください'));
const romajiField = z
	.string()
	.transform((s) => normaliseRomaji(s).trim())
	.pipe(z.string().max(60, 'ローマ字は60文字以内で入力してください').regex(ROMAJI_RE, 'ローマ字は半角の英字で入力してください（例: Honcho 1-chome）'));

/** One town from the form (blank readings allowed: they can be filled in later). */
export const townForm = z.object({
	nameJa: z.string({ error: '名称を入力してください' }).pipe(nameField),
	kana: kanaField.default(''),
	romaji: romajiField.default(''),
	sort: z.coerce
		.number({ error: '表示順は数字で入力してください' })
		.int('表示順は整数で入力してください')
		.min(0, '表示順は0以上で入力してください')
		.max(100_000, '表示順は100000以下で入力してください')
		.optional(),
	active: z.enum(['true', 'false'], { error: '状態を選んでください' }).default('true')
});
export type TownForm = z.infer<typeof townForm>;

export async function listTowns(db: Queryable): Promise<TownRow[]> {
	const r = await db.query<TownData & { id: string; households: number }>(
		`select t.id::text as id, t.data->>'nameJa' as "nameJa", t.data->>'kana' as kana, t.data->>'romaji' as romaji,
		        (t.data->>'sort')::int as sort, (t.data->>'active')::boolean as active,
		        (select count(*)::int from households h where not h.deleted and h.data->>'town' = t.name_ja) as households
		 from towns t where not t.deleted
		 order by (t.data->>'sort')::int, t.name_ja`
	);
	return r.rows;
}

export type TownResult = { status: 'ok'; id: string } | { status: 'invalid'; errors: Record<string, string> } | { status: 'not_found' };

async function nameTaken(tx: Queryable, nameJa: string, exceptId: string | null): Promise<boolean> {
	const r = await tx.query(`select 1 from towns where name_ja = $1 and not deleted and ($2::uuid is null or id <> $2::uuid)`, [nameJa, exceptId]);
	return r.rows.length > 0;
}

async function nextSort(tx: Queryable): Promise<number> {
	const r = await tx.query<{ s: number }>(`select coalesce(max((data->>'sort')::int), 0)::int as s from towns where not deleted`);
	return Math.min(100_000, r.rows[0]!.s + 10);
}

const TAKEN = { nameJa: 'その名称の町丁はすでにあります' };

export async function createTown(store: Store, actor: string, input: TownForm): Promise<TownResult> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		if (await nameTaken(tx, input.nameJa, null)) return { status: 'invalid', errors: TAKEN };
		const data: TownData = {
			nameJa: input.nameJa,
			kana: input.kana,
			romaji: input.romaji,
			sort: input.sort ?? (await nextSort(tx)),
			active: input.active === 'true'
		};
		const [id] = await writeCentreRecords(tx, 'towns', [{ data }]);
		await audit(tx, actor, 'town.create', id!, { nameJa: data.nameJa });
		return { status: 'ok', id: id! };
	});
}

export async function updateTown(store: Store, actor: string, id: string, input: TownForm): Promise<TownResult | { status: 'unchanged' }> {
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const r = await tx.query<{ data: TownData }>(`select data from towns where id = $1 and not deleted for update`, [id]);
		const old = r.rows[0]?.data;
		if (!old) return { status: 'not_found' };
		if (input.nameJa !== old.nameJa && (await nameTaken(tx, input.nameJa, id))) return { status: 'invalid', errors: TAKEN };
		const data: TownData = { nameJa: input.nameJa, kana: input.kana, romaji: input.romaji, sort: input.sort ?? old.sort, active: input.active === 'true' };
		const changed = (Object.keys(data) as Array<keyof TownData>).filter((k) => data[k] !== old[k]);
		if (changed.length === 0) return { status: 'unchanged' };
		await writeCentreRecords(tx, 'towns', [{ id, data }]);
		await audit(tx, actor, 'town.update', id, { fields: changed });
		return { status: 'ok', id };
	});
}

/**
 * A pasted list, one town a line: `名称, よみ, romaji` (comma or tab; readings optional). All or
 * nothing: any bad line refuses the whole paste with its line number. A name already on the list
 * has its readings filled or corrected (a blank reading leaves the stored one); a new name is added
 * at the end, in the pasted order.
 */
export type ImportResult = { status: 'ok'; added: number; updated: number; unchanged: number } | { status: 'invalid'; errors: string[] };

export const MAX_IMPORT_LINES = 2000;

export function parseTownLines(text: string): { towns: Array<{ nameJa: string; kana: string; romaji: string }>; errors: string[] } {
	const lines = text.split(/\r\n|\r|\n/);
	const towns: Array<{ nameJa: string; kana: string; romaji: string }> = [];
	const errors: string[] = [];
	const seen = new Set<string>();
	if (lines.filter((l) => l.trim() !== '').length > MAX_IMPORT_LINES) return { towns, errors: [`一度に取り込めるのは${MAX_IMPORT_LINES}行までです`] };
	lines.forEach((line, i) => {
		if (line.trim() === '') return;
		const cells = line.split(/\t|,|、/).map((c) => c.trim());
		if (cells.length > 3) return void errors.push(`${i + 1}行目: 項目が多すぎます（名称、よみ、ローマ字の3つまで）`);
		const parsed = z
			.object({ nameJa: nameField, kana: kanaField, romaji: romajiField })
			.safeParse({ nameJa: cells[0] ?? '', kana: cells[1] ?? '', romaji: cells[2] ?? '' });
		if (!parsed.success) return void errors.push(`${i + 1}行目: ${parsed.error.issues[0]!.message}`);
		if (seen.has(parsed.data.nameJa)) return void errors.push(`${i + 1}行目: 「${parsed.data.nameJa}」が2回あります`);
		seen.add(parsed.data.nameJa);
		towns.push(parsed.data);
	});
	if (towns.length === 0 && errors.length === 0) errors.push('取り込む町丁を1行に1つずつ入力してください');
	return { towns, errors };
}

export async function importTowns(store: Store, actor: string, text: string): Promise<ImportResult> {
	const { towns, errors } = parseTownLines(text);
	if (errors.length > 0) return { status: 'invalid', errors };
	return store.transaction(async (tx) => {
		await takeWriteLock(tx);
		const existing = await tx.query<{ id: string; data: TownData }>(`select id::text, data from towns where not deleted`);
		const byName = new Map(existing.rows.map((r) => [r.data.nameJa, r]));
		let sort = await nextSort(tx);
		const writes: Array<{ id?: string; data: TownData }> = [];
		let added = 0;
		let updated = 0;
		for (const t of towns) {
			const old = byName.get(t.nameJa);
			if (!old) {
				writes.push({ data: { ...t, sort, active: true } });
				sort = Math.min(100_000, sort + 10);
				added++;
				continue;
			}
			const data = { ...old.data, kana: t.kana || old.data.kana, romaji: t.romaji || old.data.romaji };
			if (data.kana === old.data.kana && data.romaji === old.data.romaji) continue;
			writes.push({ id: old.id, data });
			updated++;
		}
		if (writes.length > 0) await writeCentreRecords(tx, 'towns', writes);
		const unchanged = towns.length - added - updated;
		await audit(tx, actor, 'town.import', null, { lines: towns.length, added, updated, unchanged });
		return { status: 'ok', added, updated, unchanged };
	});
}
