/**
 * Everything the kiosk says to parents, in the languages the ward supports: Japanese, English,
 * Chinese, Korean, Vietnamese, and やさしいにほんご (plain Japanese with furigana, for families who
 * read some Japanese). Japanese is the reference; every other language must have every key (the
 * type says so). Texts may carry furigana in 青空文庫 notation (漢字《かんじ》, see ruby.ts): print
 * them through <Say>, and use `plain()` where markup cannot go.
 */
import { KIOSK_LANGUAGES } from '$lib/domain/schemas';
import { SCANNER_STATUS_JA } from '$lib/client/scan/scanner-texts';

export const KIOSK_LANGS = KIOSK_LANGUAGES;
export type KioskLang = (typeof KIOSK_LANGS)[number];

/** Each language by its own name, and its BCP 47 tag for the `lang` attribute. */
export { LANGUAGE_NAME as LANG_NAME, LANGUAGE_TAG as LANG_TAG } from '$lib/domain/schemas';

/** Version of the privacy notice families consent to; stored on each household. */
export const PRIVACY_NOTICE_VERSION = '2026-04';

const ja = {
	scanHint: 'カードのQRコードを枠に合わせてください',
	// The family's confirmation (who came, undo, a new baby), the two-step walk-in, and screens shared by them.
	close: 'とじる',
	undo: 'まちがえた',
	undone: '受付を取り消しました',
	undoneDetail: 'もう一度はじめからどうぞ。',
	whoCame: '今日来た人',
	whoCameHelp: 'ちがうときは、ここで直せます。',
	childBorn: (year: number, month: number, ageMonths: number) =>
		`${year}年${month}月生まれ（${ageMonths < 12 ? `${ageMonths}か月` : `${Math.floor(ageMonths / 12)}歳`}）`,
	people: (adults: number, children: number) => `おとな ${adults}人・こども ${children}人`,
	addBaby: '生まれたお子さんを追加',
	addBabyTitle: 'お子さんの追加',
	addBabyHelp: '生まれた年と月を選んでください。',
	addBabySave: '追加する',
	babyAdded: 'お子さんを追加しました',
	errorTooOld: '生まれた年をもう一度お確かめください。',
	errorNobody: 'おとなか子どもを1人以上にしてください。',
	walkInNext: 'そのあと「受付する」を押してください。',
	startOver: 'やりなおす',
	loadFailed: '画面を読み込めませんでした。スタッフにお声がけください。',
	notEnrolled: 'この端末はまだ登録されていません。スタッフ画面で登録してください。',
	welcome: 'ようこそ',
	welcomeFamily: (name: string) => `${name}さん、ようこそ`,
	childrenCount: (n: number) => (n === 0 ? 'お子さんの登録はまだありません' : `お子さん ${n}人`),
	checkedIn: '受付しました',
	pendingHousehold: '受付しました（ご家族の情報はあとで届きます）',
	already: 'すでに受付済みです',
	alreadyDetail: '今日はもう受付が済んでいます。',
	invalidForeign: 'ひろばのカードではないようです',
	invalidTypo: 'カード番号が正しくありません',
	invalidDetail: 'もう一度お試しいただくか、スタッフにお声がけください。',
	cardRetired: 'このカードは新しいカードに切り替わりました',
	cardRetiredDetail: 'このカードでは受付できません。スタッフにお声がけください。',
	notOpen: 'ただいま受付を停止しています',
	notOpenDetail: 'スタッフにお声がけください。',
	firstTime: 'はじめての方',
	noCard: 'カードを忘れた方・登録しない方',
	typeCode: 'カード番号を入力',
	codeLabel: 'カード番号（17文字）',
	checkIn: '受付する',
	cancel: 'もどる',
	walkInTitle: 'カードなしで受付',
	walkInHelp: '一緒に来たお子さんの年齢をタップしてください。',
	adults: 'おとな',
	bandAge0: '0歳',
	bandAge1: '1歳',
	bandAge2: '2歳',
	bandAge3plus: '3歳以上（未就学）',
	bandSchool: '小学生以上',
	add: 'ふやす',
	remove: 'へらす',
	registerTitle: 'はじめての方の登録',
	registerIntro: 'お名前・住所・電話番号は伺いません。1分ほどで終わります。',
	childrenLegend: 'お子さんの生まれた年と月',
	childN: (n: number) => `${n}人目`,
	year: '年',
	month: '月',
	addChild: 'お子さんを追加',
	removeChild: 'このお子さんを削除',
	areaLegend: 'お住まい',
	inWard: 'ひろば区内',
	outsideWard: '区外',
	town: '町名',
	chooseTown: '町名を選んでください',
	searchTown: '町名をさがす（ひらがな・ローマ字でも）',
	noTownFound: '見つかりません。ちがう書き方でさがしてください',
	townFree: '町名（例: 本町1丁目）',
	heardLegend: 'ひろばを知ったきっかけ（任意）',
	heard: {
		health_checkup: '健診・保健師',
		website: '区のホームページ',
		ward_newsletter: '区報',
		friend: '知人・友人',
		poster: 'ポスター・チラシ',
		facility: '児童館・保育園など',
		passing_by: '通りがかり',
		other: 'その他'
	},
	nicknameLabel: '受付でお呼びする名前（任意・ニックネーム可）',
	privacyTitle: '個人情報の取り扱い',
	privacyText:
		'ひろば区は、親子ひろばの運営と統計のために、お子さんの生まれた年月、お住まいの町名、ひろばを知ったきっかけ、来場の記録を保存します。お名前・住所・電話番号は伺いません。記録はこども家庭センターが管理し、この目的以外には使いません。相談員にご相談いただいた内容は、必要なときにセンターの支援につなげるために記録します。登録の取り消しはいつでもスタッフにお申し出ください。',
	consent: '上の内容に同意します',
	register: '登録して受付する',
	errorNoChild: 'お子さんの生まれた年と月を選んでください。',
	errorFuture: 'お子さんの生まれた年月が今日より後になっています。',
	errorTown: '町名を選んでください。',
	errorConsent: '登録には同意が必要です。',
	cardTitle: 'あなたのカードができました',
	cardHelp: 'この画面を写真に撮っておいてください。次回からこのQRコードで受付できます。印刷したカードは後日お渡しします。',
	cardCodeLabel: 'カード番号',
	done: '完了',
	staff: 'スタッフ',
	language: '言語',
	/** The page's heading (for screen readers). */
	pageTitle: 'ひろば 受付',
	/** Between two texts shown on one line (the check-in answer and the children's count). */
	sep: '・',
	/** Opens the walk-in's steppers, for more than one adult or child. */
	/** The scanner's texts but its hint (which is `scanHint`). */
	scanner: SCANNER_STATUS_JA
};

export type KioskText = typeof ja;

export const JA_TEXT: KioskText = ja;

/**
 * Only Japanese is in the first load. Another language is fetched when a family taps it, or when a
 * scanned card's family reads it (the kiosk waits for it before greeting them): a few milliseconds,
 * from the service worker's precache, so nothing is fetched ahead for languages nobody uses.
 */
const LOADERS: Record<Exclude<KioskLang, 'ja'>, () => Promise<{ default: KioskText }>> = {
	easy: () => import('./kiosk-easy'),
	en: () => import('./kiosk-en'),
	zh: () => import('./kiosk-zh'),
	ko: () => import('./kiosk-ko'),
	vi: () => import('./kiosk-vi')
};

const loading = new Map<KioskLang, Promise<KioskText>>([['ja', Promise.resolve(ja)]]);

/** One language's texts (fetched once; a failed fetch is tried again on the next call). */
export function loadKioskText(lang: KioskLang): Promise<KioskText> {
	let p = loading.get(lang);
	if (!p) {
		p = LOADERS[lang as Exclude<KioskLang, 'ja'>]().then((m) => m.default);
		p.catch(() => loading.delete(lang));
		loading.set(lang, p);
	}
	return p;
}

/** Every kiosk language's texts (for tests and tools; the kiosk loads one at a time). */
export async function loadKioskTexts(): Promise<Record<KioskLang, KioskText>> {
	const entries = await Promise.all(KIOSK_LANGS.map(async (l) => [l, await loadKioskText(l)] as const));
	return Object.fromEntries(entries) as Record<KioskLang, KioskText>;
}
