/**
 * Finding a 町丁 in the kiosk's list by whatever a family can type: kanji, hiragana or katakana,
 * or romaji with or without macrons, long vowels spelt either way (ō, ou, oo, o), spaces and
 * hyphens as they like. Pure, so the kiosk and its tests share it.
 */
export interface TownChoice {
	nameJa: string;
	kana: string;
	romaji: string;
}

const MACRONS: Record<string, string> = { ā: 'a', ī: 'i', ū: 'u', ē: 'e', ō: 'o' };

/** A search key: NFKC, lower case, katakana as hiragana, no spaces or dashes, long vowels folded. */
export function townKey(text: string): string {
	return text
		.normalize('NFKC')
		.toLowerCase()
		.replace(/[\u30A1-\u30F6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60))
		.replace(/[āīūēō]/g, (c) => MACRONS[c]!)
		.replace(/[\s\-‐‑–—ー・'’.]/g, '')
		.replace(/ou|oo/g, 'o')
		.replace(/uu/g, 'u');
}

/** The towns whose name, reading or romaji contains the query (all of them for a blank query). */
export function matchTowns<T extends TownChoice>(towns: readonly T[], query: string): T[] {
	const q = townKey(query);
	if (q === '') return [...towns];
	return towns.filter(
		(t) => townKey(t.nameJa).includes(q) || (t.kana !== '' && townKey(t.kana).includes(q)) || (t.romaji !== '' && townKey(t.romaji).includes(q))
	);
}

/**
 * How a town reads in the list (an <option>, which cannot hold furigana): the name; in やさしいにほんご
 * its reading in hiragana beside it; for a family not reading Japanese its romaji beside it.
 */
export function townLabel(town: TownChoice, lang: string): string {
	if (lang === 'ja') return town.nameJa;
	if (lang === 'easy') return town.kana === '' ? town.nameJa : `${town.nameJa}（${town.kana}）`;
	return town.romaji === '' ? town.nameJa : `${town.nameJa} (${town.romaji})`;
}
