import { describe, expect, it } from 'vitest';
import { WARD_TOWN_READINGS } from './ward';
import { matchTowns, townKey, townLabel } from './town-search';

const names = (q: string) => matchTowns(WARD_TOWN_READINGS, q).map((t) => t.nameJa);

describe('finding a town at the kiosk', () => {
	it('finds a town by its kanji, its reading in hiragana or katakana, and its romaji', () => {
		expect(names('本町')).toEqual(['本町1丁目', '本町2丁目', '本町3丁目']);
		expect(names('ほんちょう2')).toEqual(['本町2丁目']);
		expect(names('ホンチョウ')).toEqual(['本町1丁目', '本町2丁目', '本町3丁目']);
		expect(names('wakaba')).toEqual(['若葉町1丁目', '若葉町2丁目']);
	});

	it('spells long vowels, case, width, spaces and hyphens any way a family might', () => {
		for (const q of ['Honcho 2', 'honchou2', 'HONCHŌ 2-CHOME', 'ｈｏｎｃｈｏ　２', 'hon-cho 2 chome']) expect(names(q)).toEqual(['本町2丁目']);
		expect(names('higashi hiroba 3')).toEqual(['東ひろば3丁目']);
	});

	it('finds nothing for a town the ward does not have, and everything for a blank search', () => {
		expect(names('Shinjuku')).toEqual([]);
		expect(names('  ')).toHaveLength(WARD_TOWN_READINGS.length);
	});

	it('does not match a town whose reading is still blank on its empty reading', () => {
		expect(matchTowns([{ nameJa: '新町', kana: '', romaji: '' }], 'shin')).toEqual([]);
		expect(matchTowns([{ nameJa: '新町', kana: '', romaji: '' }], '新')).toHaveLength(1);
	});

	it('labels towns with their romaji for a family not reading Japanese, and with their reading in やさしいにほんご', () => {
		const t = { nameJa: '本町1丁目', kana: 'ほんちょう1ちょうめ', romaji: 'Honcho 1-chome' };
		expect(townLabel(t, 'ja')).toBe('本町1丁目');
		expect(townLabel(t, 'vi')).toBe('本町1丁目 (Honcho 1-chome)');
		// やさしいにほんご: the reading, since an <option> cannot hold furigana.
		expect(townLabel(t, 'easy')).toBe('本町1丁目（ほんちょう1ちょうめ）');
		expect(townLabel({ ...t, kana: '' }, 'easy')).toBe('本町1丁目');
		expect(townKey('Ōkubo')).toBe('okubo');
	});
});
