/**
 * The ward this installation serves. Hiroba's demo and tests use a fictional ward, ひろば区; a real
 * deployment replaces this file's lists with its own 町丁 (they are public, not personal, data).
 */
export const WARD_NAME = 'ひろば区';

/** Fictional neighbourhoods of the fictional ward: a stem for facility names and its 町丁. */
export const WARD_AREAS: ReadonlyArray<{ stem: string; towns: readonly string[] }> = [
	{ stem: '本町', towns: ['本町1丁目', '本町2丁目', '本町3丁目'] },
	{ stem: '若葉', towns: ['若葉町1丁目', '若葉町2丁目'] },
	{ stem: '桜台', towns: ['桜台1丁目', '桜台2丁目', '桜台3丁目'] },
	{ stem: '緑が丘', towns: ['緑が丘1丁目', '緑が丘2丁目'] },
	{ stem: '星見', towns: ['星見町'] },
	{ stem: '虹ヶ丘', towns: ['虹ヶ丘1丁目', '虹ヶ丘2丁目'] },
	{ stem: '川辺', towns: ['川辺町1丁目', '川辺町2丁目'] },
	{ stem: '風見', towns: ['風見町'] },
	{ stem: '東ひろば', towns: ['東ひろば1丁目', '東ひろば2丁目', '東ひろば3丁目'] },
	{ stem: '西ひろば', towns: ['西ひろば1丁目', '西ひろば2丁目'] },
	{ stem: '南ひろば', towns: ['南ひろば'] },
	{ stem: '北ひろば', towns: ['北ひろば1丁目', '北ひろば2丁目'] },
	{ stem: '小鳥台', towns: ['小鳥台'] },
	{ stem: '花咲', towns: ['花咲町'] },
	{ stem: '松風', towns: ['松風町'] },
	{ stem: '月見台', towns: ['月見台1丁目', '月見台2丁目'] },
	{ stem: 'ひだまり', towns: ['ひだまり町'] },
	{ stem: '木の実', towns: ['木の実町'] },
	{ stem: '鈴かけ台', towns: ['鈴かけ台'] },
	{ stem: '夢見ヶ丘', towns: ['夢見ヶ丘'] },
	{ stem: '青空', towns: ['青空町'] },
	{ stem: 'すずらん', towns: ['すずらん町'] }
];

/** The ward's 町丁, in order: what a household's `town` is chosen from. */
export const WARD_TOWNS: readonly string[] = WARD_AREAS.flatMap((a) => a.towns);
