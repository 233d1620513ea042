/**
 * The back of a printed family card, in the language the family chose at the kiosk. It says how to
 * use the card and nothing about the family. The kiosk button it names is the kiosk's own label in
 * that language (client/i18n/kiosk*.ts `typeCode`; a test keeps them the same). やさしいにほんご
 * carries furigana (漢字《かんじ》), printed through <Say>.
 */
import type { HouseholdData } from './schemas';

export type CardLanguage = HouseholdData['language'];

export interface CardBackText {
	title: string;
	steps: readonly [string, string, string];
}

export const CARD_BACK: Record<CardLanguage, CardBackText> = {
	ja: {
		title: 'このカードの使いかた',
		steps: [
			'ひろばの受付で、このカードのQRコードをタブレットに見せてください。',
			'読み取れないときは「カード番号を入力」を押して、表の番号を入力してください。',
			'カードに名前や住所は入っていません。なくしたときはスタッフに声をかけてください。'
		]
	},
	easy: {
		title: 'この カードの 使《つか》い方《かた》',
		steps: [
			'ひろばの 受付《うけつけ》で、この カードの QRコードを タブレットに 見《み》せて ください。',
			'読《よ》めない ときは「カードの 番号《ばんごう》を 入《い》れる」を おして ください。カードの 表《おもて》の 番号《ばんごう》を 入《い》れます。',
			'カードに 名前《なまえ》や 住所《じゅうしょ》は 書《か》いて いません。なくした ときは スタッフに 言《い》って ください。'
		]
	},
	en: {
		title: 'How to use this card',
		steps: [
			'At reception, show the QR code on this card to the tablet.',
			'If it does not read, tap “Type card number” and enter the number on the front.',
			'This card holds no name or address. If you lose it, please tell a member of staff.'
		]
	},
	zh: {
		title: '卡片使用方法',
		steps: [
			'在接待处，请将本卡的二维码对准平板电脑。',
			'如果无法读取，请点击“输入卡号”，输入卡片正面的号码。',
			'本卡上没有姓名和地址。如果遗失，请告诉工作人员。'
		]
	},
	ko: {
		title: '카드 사용 방법',
		steps: [
			'접수처에서 이 카드의 QR코드를 태블릿에 보여 주세요.',
			'읽히지 않으면 ‘카드 번호 입력’을 누르고 앞면의 번호를 입력해 주세요.',
			'이 카드에는 이름이나 주소가 들어 있지 않습니다. 잃어버렸을 때는 직원에게 알려 주세요.'
		]
	},
	vi: {
		title: 'Cách dùng thẻ',
		steps: [
			'Tại quầy tiếp nhận, hãy đưa mã QR trên thẻ này cho máy tính bảng.',
			'Nếu không đọc được, hãy chạm “Nhập số thẻ” và nhập số ở mặt trước.',
			'Thẻ này không ghi tên hay địa chỉ. Nếu bị mất, vui lòng báo cho nhân viên.'
		]
	}
};

export { LANGUAGE_NAME, LANGUAGE_TAG } from './schemas';
