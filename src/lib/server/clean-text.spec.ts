import { describe, expect, it } from 'vitest';
import { cleanText as sharedCleanText } from '$lib/domain/text';
import { cleanText } from './clean-text';

describe('cleanText (classic twin for server forms)', () => {
	it('refuses what the shared one refuses, with the same message, before a classic trim', () => {
		const schema = cleanText().trim().min(1, '入力してください').max(10);
		expect(schema.parse('  ぴよ  ')).toBe('ぴよ');
		for (const bad of ['ぴ\u0000よ', 'ぴよ\n', '\ud800', '\ufdd0']) {
			const classic = schema.safeParse(bad);
			const shared = sharedCleanText().safeParse(bad);
			expect(classic.success).toBe(false);
			expect(classic.error!.issues[0]!.message).toBe(shared.error!.issues[0]!.message);
		}
		expect(schema.safeParse('ぴ\u0000よ').error!.issues[0]!.message).toBe('contains a NUL character (U+0000) at character 2');
		expect(schema.safeParse('   ').error!.issues[0]!.message).toBe('入力してください');
	});

	it('uses a given message and allows line breaks in multi-line text', () => {
		expect(cleanText({ message: '使えない文字が含まれています' }).safeParse('\ufffe').error!.issues[0]!.message).toBe('使えない文字が含まれています');
		expect(cleanText({ multiLine: true }).trim().parse('一行目\n\t二行目\n')).toBe('一行目\n\t二行目');
	});
});
