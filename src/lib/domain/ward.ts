/**
 * The ward of Hiroba's demo and tests: a fictional ward, ひろば区, and its fictional 町丁. A real
 * deployment keeps its own 町丁 list (public, not personal, data) as reference data managed at the
 * centre (`/centre/towns`, the `towns` table); these lists only seed the demo store.
 */
export const WARD_NAME = 'ひろば区';

/**
 * Fictional neighbourhoods of the fictional ward: a stem for facility names, the reading of the
 * towns' common name (before any N丁目) in hiragana and in Hepburn romaji, and its 町丁.
 */
export const WARD_AREAS: ReadonlyArray<{ stem: string; kana: string; romaji: string; towns: readonly string[] }> = [
	{ stem: '本町', kana: 'ほんちょう', romaji: 'Honcho', towns: ['本町1丁目', '本町2丁目', '本町3丁目'] },
	{ stem: '若葉', kana: 'わかばちょう', romaji: 'Wakabacho', towns: ['若葉町1丁目', '若葉町2丁目'] },
	{ stem: '桜台', kana: 'さくらだい', romaji: 'Sakuradai', towns: ['桜台1丁目', '桜台2丁目', '桜台3丁目'] },
	{ stem: '緑が丘', kana: 'みどりがおか', romaji: 'Midorigaoka', towns: ['緑が丘1丁目', '緑が丘2丁目'] },
	{ stem: '星見', kana: 'ほしみちょう', romaji: 'Hoshimicho', towns: ['星見町'] },
	{ stem: '虹ヶ丘', kana: 'にじがおか', romaji: 'Nijigaoka', towns: ['虹ヶ丘1丁目', '虹ヶ丘2丁目'] },
	{ stem: '川辺', kana: 'かわべちょう', romaji: 'Kawabecho', towns: ['川辺町1丁目', '川辺町2丁目'] },
	{ stem: '風見', kana: 'かざみちょう', romaji: 'Kazamicho', towns: ['風見町'] },
	{ stem: '東ひろば', kana: 'ひがしひろば', romaji: 'Higashi-Hiroba', towns: ['東ひろば1丁目', '東ひろば2丁目', '東ひろば3丁目'] },
	{ stem: '西ひろば', kana: 'にしひろば', romaji: 'Nishi-Hiroba', towns: ['西ひろば1丁目', '西ひろば2丁目'] },
	{ stem: '南ひろば', kana: 'みなみひろば', romaji: 'Minami-Hiroba', towns: ['南ひろば'] },
	{ stem: '北ひろば', kana: 'きたひろば', romaji: 'Kita-Hiroba', towns: ['北ひろば1丁目', '北ひろば2丁目'] },
	{ stem: '小鳥台', kana: 'ことりだい', romaji: 'Kotoridai', towns: ['小鳥台'] },
	{ stem: '花咲', kana: 'はなさきちょう', romaji: 'Hanasakicho', towns: ['花咲町'] },
	{ stem: '松風', kana: 'まつかぜちょう', romaji: 'Matsukazecho', towns: ['松風町'] },
	{ stem: '月見台', kana: 'つきみだい', romaji: 'Tsukimidai', towns: ['月見台1丁目', '月見台2丁目'] },
	{ stem: 'ひだまり', kana: 'ひだまりちょう', romaji: 'Hidamaricho', towns: ['ひだまり町'] },
	{ stem: '木の実', kana: 'このみちょう', romaji: 'Konomicho', towns: ['木の実町'] },
	{ stem: '鈴かけ台', kana: 'すずかけだい', romaji: 'Suzukakedai', towns: ['鈴かけ台'] },
	{ stem: '夢見ヶ丘', kana: 'ゆめみがおか', romaji: 'Yumemigaoka', towns: ['夢見ヶ丘'] },
	{ stem: '青空', kana: 'あおぞらちょう', romaji: 'Aozoracho', towns: ['青空町'] },
	{ stem: 'すずらん', kana: 'すずらんちょう', romaji: 'Suzurancho', towns: ['すずらん町'] }
];

/** The demo ward's 町丁, in order. */
export const WARD_TOWNS: readonly string[] = WARD_AREAS.flatMap((a) => a.towns);

export interface TownReading {
	nameJa: string;
	/** Reading in hiragana, e.g. `ほんちょう1ちょうめ`. */
	kana: string;
	/** Reading in Hepburn romaji, e.g. `Honcho 1-chome`. */
	romaji: string;
}

/**
 * The demo ward's 町丁 with readings: what the demo store's town list (reference data managed at
 * the centre, `/centre/towns`) starts with. A real ward enters or pastes its own list there.
 */
export const WARD_TOWN_READINGS: readonly TownReading[] = WARD_AREAS.flatMap((a) =>
	a.towns.map((nameJa) => {
		const chome = /(\d+)丁目$/.exec(nameJa)?.[1];
		return { nameJa, kana: chome ? `${a.kana}${chome}ちょうめ` : a.kana, romaji: chome ? `${a.romaji} ${chome}-chome` : a.romaji };
	})
);
