import { describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { uuidv7 } from '$lib/domain/ids';
import { makeCardCode } from '$lib/domain/card-code';
import { HirobaDB, type Row } from '../db/db';
import * as f from '../../../../tests/factories';
import { findFamilies, foldKana, matchFamilies, MAX_MATCHES } from './family-search';

const HLC = '000000000000001:00000:centre';
const household = (nickname: string | null, o: Partial<Row<'households'>> = {}): Row<'households'> => ({
	...f.household({ nickname, cardCode: makeCardCode() }),
	id: uuidv7(),
	hlc: HLC,
	deleted: false,
	...o
});
const child = (householdId: string, birthYm: string, o: Partial<Row<'children'>> = {}): Row<'children'> => ({
	...f.child(householdId, { birthYm }),
	id: uuidv7(),
	hlc: HLC,
	deleted: false,
	...o
});

describe('foldKana', () => {
	it('folds katakana to hiragana, full-width to half-width, case and spaces away', () => {
		expect(foldKana('ハルママ')).toBe('はるまま');
		expect(foldKana('ﾊﾙ ﾏﾏ')).toBe('はるまま');
		expect(foldKana('Ｈａｒｕ')).toBe('haru');
	});
});

describe('matchFamilies', () => {
	const haru = household('はるママ');
	const sota = household('そうたパパ');
	const anon = household(null);
	const kids = new Map<string, Row<'children'>[]>([
		[haru.id, [child(haru.id, '2025-04'), child(haru.id, '2022-10')]],
		[sota.id, [child(sota.id, '2025-04', { nickname: 'そうくん' })]],
		[anon.id, [child(anon.id, '2024-01'), child(anon.id, '2025-04', { deleted: true })]]
	]);
	const all = [haru, sota, anon, household('はるママ', { deleted: true })];
	const search = (nickname: string, birthYm: string) => matchFamilies(all, (id) => kids.get(id) ?? [], { nickname, birthYm });
	const names = (r: ReturnType<typeof search>) => r.matches.map((m) => m.household.id);

	it('finds by part of a nickname in either kana, and by a child’s nickname', () => {
		expect(names(search('ハル', ''))).toEqual([haru.id]);
		expect(names(search('ぱぱ', ''))).toEqual([sota.id]);
		expect(names(search('ソウクン', ''))).toEqual([sota.id]);
	});

	it('finds by a child’s birth month, and by both together', () => {
		expect(names(search('', '2025-04'))).toEqual([sota.id, haru.id]);
		expect(names(search('はる', '2025-04'))).toEqual([haru.id]);
		expect(names(search('はる', '2024-01'))).toEqual([]);
		expect(names(search('', '2024-01'))).toEqual([anon.id]);
	});

	it('shows a family’s children oldest first, without removed ones', () => {
		expect(search('はる', '').matches[0]!.children.map((c) => c.birthYm)).toEqual(['2022-10', '2025-04']);
		expect(search('', '2024-01').matches[0]!.children.map((c) => c.birthYm)).toEqual(['2024-01']);
	});

	it('lists nobody for an empty search, and says when there are more than it shows', () => {
		expect(search(' ', '')).toEqual({ matches: [], more: false });
		const many = Array.from({ length: MAX_MATCHES + 1 }, () => household('ママ'));
		const r = matchFamilies(many, () => [], { nickname: 'まま', birthYm: '' });
		expect(r.matches).toHaveLength(MAX_MATCHES);
		expect(r.more).toBe(true);
	});
});

describe('findFamilies', () => {
	it('searches the tablet’s database', async () => {
		const db = new HirobaDB(`search-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
		const h = household('めいママ');
		await db.households.bulkPut([h, household('りくパパ')]);
		await db.children.bulkPut([child(h.id, '2023-07')]);
		const r = await findFamilies(db, { nickname: 'メイ', birthYm: '2023-07' });
		expect(r.matches.map((m) => [m.household.cardCode, m.children.map((c) => c.birthYm)])).toEqual([[h.cardCode, ['2023-07']]]);
		db.close();
	});
});
