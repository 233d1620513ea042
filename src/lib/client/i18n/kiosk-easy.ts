/**
 * やさしいにほんご: Japanese for families who read some Japanese, written after 出入国在留管理庁・
 * 文化庁「在留支援のためのやさしい日本語ガイドライン」: short sentences, one idea each, です・ます,
 * few kanji and a reading for every one (漢字《かんじ》, see ruby.ts), spaces between phrases
 * (分かち書き), no 尊敬語・謙譲語. A number with a counter takes the whole run as its base
 * (`｜1人《ひとり》`), since its reading changes with the number; from three on, kana (`3にん`).
 */
import type { KioskText } from './kiosk';

/** People counted: 1 and 2 read ひとり and ふたり, the rest a number and にん. */
const count = (n: number) => (n === 1 ? '｜1人《ひとり》' : n === 2 ? '｜2人《ふたり》' : `${n}にん`);

const text: KioskText = {
	scanHint: 'カードの QRコードを わくの 中《なか》に 入《い》れて ください',
	// The family's confirmation (who came, undo, a new baby), the two-step walk-in, and screens shared by them.
	close: 'とじる',
	undo: 'まちがえた',
	undone: '受付《うけつけ》を やめました',
	undoneDetail: 'もう 一度《いちど》 はじめから して ください。',
	whoCame: '今日《きょう》 来《き》た 人《ひと》',
	whoCameHelp: 'ちがう ときは ここで なおして ください。',
	childBorn: (year, month, ageMonths) =>
		`${year}年《ねん》 ${month}月《がつ》 生《う》まれ（${ageMonths < 12 ? `${ageMonths}か月《げつ》` : `${Math.floor(ageMonths / 12)}歳《さい》`}）`,
	people: (adults, children) => `おとな ${count(adults)}・子《こ》ども ${count(children)}`,
	addBaby: '生《う》まれた 子《こ》どもを 入《い》れる',
	addBabyTitle: '子《こ》どもを 入《い》れる',
	addBabyHelp: '生《う》まれた 年《とし》と 月《つき》を えらんで ください。',
	addBabySave: '入《い》れる',
	babyAdded: '子《こ》どもを 入《い》れました',
	errorTooOld: '生《う》まれた 年《とし》を もう 一度《いちど》 見《み》て ください。',
	errorNobody: 'おとなか 子《こ》どもを ｜1人《ひとり》 より 多《おお》く して ください。',
	walkInNext: 'そのあと「受付《うけつけ》する」を おして ください。',
	startOver: 'やりなおす',
	loadFailed: '画面《がめん》が 出《で》ません。スタッフに 聞《き》いて ください。',
	notEnrolled: 'この タブレットは まだ 登録《とうろく》されて いません。スタッフの 画面《がめん》で 登録《とうろく》して ください。',
	welcome: 'ようこそ',
	welcomeFamily: (name) => `${name}さん、ようこそ`,
	childrenCount: (n) =>
		n === 0
			? '子《こ》どもの 登録《とうろく》は まだ ありません'
			: n === 1
				? '子《こ》ども ｜1人《ひとり》'
				: n === 2
					? '子《こ》ども ｜2人《ふたり》'
					: `子《こ》ども ${n}にん`,
	checkedIn: '受付《うけつけ》が できました',
	pendingHousehold: '受付《うけつけ》が できました（家族《かぞく》の ことは あとで わかります）',
	already: 'もう 受付《うけつけ》が できて います',
	alreadyDetail: '今日《きょう》は もう 受付《うけつけ》を しました。',
	invalidForeign: 'ひろばの カードでは ありません',
	invalidTypo: 'カードの 番号《ばんごう》が ちがいます',
	invalidDetail: 'もう 一度《いちど》 やって ください。わからない ときは スタッフに 聞《き》いて ください。',
	cardRetired: 'この カードは 新《あたら》しい カードに かわりました',
	cardRetiredDetail: 'この カードでは 受付《うけつけ》が できません。スタッフに 聞《き》いて ください。',
	notOpen: '今《いま》は 受付《うけつけ》を して いません',
	notOpenDetail: 'スタッフに 聞《き》いて ください。',
	firstTime: 'はじめて 来《き》ました',
	noCard: 'カードが ありません／登録《とうろく》しません',
	typeCode: 'カードの 番号《ばんごう》を 入《い》れる',
	codeLabel: 'カードの 番号《ばんごう》（17 文字《もじ》）',
	checkIn: '受付《うけつけ》する',
	cancel: 'もどる',
	walkInTitle: 'カードなしで 受付《うけつけ》する',
	walkInHelp: 'いっしょに 来《き》た 子《こ》どもの 年《とし》を おして ください。',
	adults: 'おとな',
	bandAge0: '0さい',
	bandAge1: '1さい',
	bandAge2: '2さい',
	bandAge3plus: '3さい から（小学校《しょうがっこう》の 前《まえ》）',
	bandSchool: '小学生《しょうがくせい》 から 上《うえ》',
	add: 'ふやす',
	remove: 'へらす',
	registerTitle: 'はじめての 人《ひと》の 登録《とうろく》',
	registerIntro: '名前《なまえ》、住所《じゅうしょ》、電話番号《でんわばんごう》は 聞《き》きません。｜1分《いっぷん》ぐらいで 終《お》わります。',
	childrenLegend: '子《こ》どもが 生《う》まれた 年《とし》と 月《つき》',
	childN: (n) => `${n}ばんめの 子《こ》ども`,
	year: '年《ねん》',
	month: '月《がつ》',
	addChild: '子《こ》どもを ふやす',
	removeChild: 'この 子《こ》どもを けす',
	areaLegend: 'すんで いる ところ',
	inWard: 'ひろば区《く》の 中《なか》',
	outsideWard: 'ひろば区《く》の 外《そと》',
	town: '町《まち》の 名前《なまえ》',
	chooseTown: '町《まち》を えらんで ください',
	searchTown: '町《まち》を さがす（ひらがなでも ローマ字《じ》でも いいです）',
	noTownFound: 'ありません。ちがう 書《か》き方《かた》で さがして ください',
	townFree: '町《まち》の 名前《なまえ》（住所《じゅうしょ》の とおりに 書《か》いて ください）',
	heardLegend: 'ひろばを 何《なに》で 知《し》りましたか（書《か》かなくても いいです）',
	heard: {
		health_checkup: '子《こ》どもの 健診《けんしん》・保健師《ほけんし》',
		website: '区《く》の ホームページ',
		ward_newsletter: '区《く》の お知《し》らせ（区報《くほう》）',
		friend: '友《とも》だち・知《し》って いる 人《ひと》',
		poster: 'ポスター・チラシ',
		facility: '児童館《じどうかん》・保育園《ほいくえん》など',
		passing_by: '近《ちか》くを 通《とお》った',
		other: 'そのほか'
	},
	nicknameLabel: '受付《うけつけ》で よぶ 名前《なまえ》（ニックネームでも いいです。書《か》かなくても いいです）',
	privacyTitle: 'あなたの 情報《じょうほう》に ついて',
	privacyText:
		'ひろば区《く》は 次《つぎ》の ことを 記録《きろく》します。子《こ》どもが 生《う》まれた 年《とし》と 月《つき》。すんで いる 町《まち》。ひろばを 何《なに》で 知《し》ったか。ひろばに 来《き》た 日《ひ》。記録《きろく》は ひろばの 仕事《しごと》と 数《かず》を 調《しら》べる ために 使《つか》います。名前《なまえ》、住所《じゅうしょ》、電話番号《でんわばんごう》は 聞《き》きません。記録《きろく》は こども家庭《かてい》センターが 守《まも》ります。ほかの ことには 使《つか》いません。相談員《そうだんいん》に 話《はな》した ことも 記録《きろく》します。センターが あなたを 助《たす》ける ときに 使《つか》います。登録《とうろく》を やめたい ときは、いつでも スタッフに 言《い》って ください。',
	consent: '上《うえ》の ことを 読《よ》みました。これで いいです',
	register: '登録《とうろく》して 受付《うけつけ》する',
	errorNoChild: '子《こ》どもが 生《う》まれた 年《とし》と 月《つき》を えらんで ください。',
	errorFuture: '子《こ》どもが 生《う》まれた 月《つき》が 今日《きょう》より あとに なって います。',
	errorTown: '町《まち》を えらんで ください。',
	errorConsent: '登録《とうろく》する ときは「これで いいです」に チェックを 入《い》れて ください。',
	cardTitle: 'あなたの カードが できました',
	cardHelp:
		'この 画面《がめん》の 写真《しゃしん》を とって ください。次《つぎ》から この QRコードで 受付《うけつけ》が できます。紙《かみ》の カードは あとで わたします。',
	cardCodeLabel: 'カードの 番号《ばんごう》',
	done: 'おわり',
	staff: 'スタッフ',
	language: 'ことば',
	pageTitle: 'ひろば 受付《うけつけ》',
	sep: '・',
	scanner: {
		starting: 'カメラを つけて います…',
		switching: 'カメラを かえて います…',
		cameraUnavailable: 'カメラが 使《つか》えません。バーコードリーダーは 使《つか》えます。',
		paused: 'とまって います',
		scannerOnly: 'バーコードリーダーは 使《つか》えます。',
		reading: (camera) => `読《よ》んで います（${camera}）`,
		camera: { environment: 'うしろの カメラ', user: 'まえの カメラ' },
		switchCamera: 'カメラを かえる',
		retry: 'もう 一度《いちど》 やる',
		decoderStopped: 'QRコードが 読《よ》めなく なりました。画面《がめん》を もう 一度《いちど》 開《ひら》いて ください。',
		decoderFailed: 'QRコードが 読《よ》めません。バーコードリーダーか カードの 番号《ばんごう》で 受付《うけつけ》して ください。',
		cameraErrors: {
			denied:
				'カメラを 使《つか》う ことが できません。スタッフに 聞《き》いて ください。バーコードリーダーや カードの 番号《ばんごう》でも 受付《うけつけ》できます。',
			'no-camera': 'カメラが ありません。バーコードリーダーか カードの 番号《ばんごう》で 受付《うけつけ》して ください。',
			'in-use': 'カメラが つきません。もう 一度《いちど》 やって ください。',
			insecure: 'この インターネットでは カメラが 使《つか》えません。スタッフに 言《い》って ください。',
			disconnected: 'カメラが きれました。もう 一度《いちど》 やって ください。',
			failed: 'カメラが つきませんでした。もう 一度《いちど》 やって ください。'
		}
	}
};

export default text;
