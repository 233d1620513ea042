import { describe, expect, it } from 'vitest';
import { base, plain, rubySegments } from './ruby';

describe('furigana in kiosk texts', () => {
	it('pairs a kanji run with the reading after it, and leaves the rest as written', () => {
		expect(rubySegments('受付《うけつけ》しました')).toEqual([{ text: '受付', reading: 'うけつけ' }, { text: 'しました' }]);
		expect(rubySegments('カードの番号《ばんごう》を入《い》れて')).toEqual([
			{ text: 'カードの' },
			{ text: '番号', reading: 'ばんごう' },
			{ text: 'を' },
			{ text: '入', reading: 'い' },
			{ text: 'れて' }
		]);
	});

	it('takes the base from ｜ when it is not a plain kanji run', () => {
		expect(rubySegments('｜お父さん《おとうさん》と')).toEqual([{ text: 'お父さん', reading: 'おとうさん' }, { text: 'と' }]);
	});

	it('leaves texts without readings whole, in every language', () => {
		for (const s of ['受付しました', 'Checked in', '已签到', '접수되었습니다', 'Đã tiếp nhận', '']) expect(rubySegments(s)).toEqual([{ text: s }]);
	});

	it('gives the reading where markup cannot go, and the written form without readings', () => {
		expect(plain('1歳《さい》の子《こ》')).toBe('1さいのこ');
		expect(base('1歳《さい》の子《こ》')).toBe('1歳の子');
	});
});
