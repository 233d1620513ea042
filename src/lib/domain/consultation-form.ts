/**
 * The consultation form as the tablet checks it, with its messages in Japanese; on its own so that
 * the kiosk, which shares the record schemas, does not carry it.
 */
import * as z from 'zod/mini';
import { DURATION_MAX_MIN, FOLLOW_UP_NOTE_MAX, FOLLOW_UPS, NOTE_MAX, TOPIC_CODE_RE, URGENCIES, uuid } from './schemas';
import { cleanText } from './text';

/**
 * What a 相談員 fills in on the tablet, before the free text is sealed. The messages are shown on
 * screen as they are.
 */
export const consultationForm = z.strictObject({
	householdId: z.nullable(uuid),
	childId: z.nullable(uuid),
	topics: z
		.array(z.string().check(z.regex(TOPIC_CODE_RE, '相談内容の分類が正しくありません')))
		.check(z.minLength(1, '相談内容を1つ以上選んでください'), z.maxLength(15, '相談内容は15個までです')),
	durationMin: z
		.number({ error: '相談時間を分で入力してください' })
		.check(
			z.int('相談時間は分単位の整数で入力してください'),
			z.minimum(1, '相談時間は1分以上で入力してください'),
			z.maximum(DURATION_MAX_MIN, `相談時間は${DURATION_MAX_MIN}分（4時間）以内で入力してください`)
		),
	note: cleanText({ multiLine: true, message: 'メモに使えない文字が含まれています' }).check(
		z.trim(),
		z.maxLength(NOTE_MAX, `メモは${NOTE_MAX}文字以内にしてください`)
	),
	urgency: z.enum(URGENCIES, { error: '緊急度を選んでください' }),
	followUp: z.enum(FOLLOW_UPS, { error: 'フォローアップを選んでください' }),
	followUpNote: cleanText({ multiLine: true, message: 'つなぎ先のメモに使えない文字が含まれています' }).check(
		z.trim(),
		z.maxLength(FOLLOW_UP_NOTE_MAX, `つなぎ先のメモは${FOLLOW_UP_NOTE_MAX}文字以内にしてください`)
	)
});
export type ConsultationForm = z.infer<typeof consultationForm>;
