/**
 * Everything the kiosk says to parents, in the five languages the ward supports. Japanese is the
 * reference; every other language must have every key (the type says so).
 */
export const KIOSK_LANGS = ['ja', 'en', 'zh', 'ko', 'vi'] as const;
export type KioskLang = (typeof KIOSK_LANGS)[number];

export const LANG_NAME: Record<KioskLang, string> = { ja: '日本語', en: 'English', zh: '中文', ko: '한국어', vi: 'Tiếng Việt' };
/** BCP 47 tags for the `lang` attribute. */
export const LANG_TAG: Record<KioskLang, string> = { ja: 'ja', en: 'en', zh: 'zh-Hans', ko: 'ko', vi: 'vi' };

/** Version of the privacy notice families consent to; stored on each household. */
export const PRIVACY_NOTICE_VERSION = '2026-04';

const ja = {
	scanHint: 'カードのQRコードを枠に合わせてください',
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
	language: '言語 / Language'
};

export type KioskText = typeof ja;

/**
 * Japanese is in the first load; the other languages load once the kiosk is up and idle (or at the
 * first tap on a language), so a family's language is ready by the time anyone scans, without
 * weighing on the kiosk's start.
 */
const LOADERS: Record<Exclude<KioskLang, 'ja'>, () => Promise<{ default: KioskText }>> = {
	en: () => import('./kiosk-en'),
	zh: () => import('./kiosk-zh'),
	ko: () => import('./kiosk-ko'),
	vi: () => import('./kiosk-vi')
};

export const JA_TEXT: KioskText = ja;

let all: Promise<Record<KioskLang, KioskText>> | null = null;

/** Every kiosk language's texts (loaded once, on the first call). */
export function loadKioskTexts(): Promise<Record<KioskLang, KioskText>> {
	all ??= Promise.all((Object.keys(LOADERS) as Array<keyof typeof LOADERS>).map(async (l) => [l, (await LOADERS[l]()).default] as const)).then(
		(entries) => ({ ja, ...Object.fromEntries(entries) }) as Record<KioskLang, KioskText>
	);
	return all;
}
