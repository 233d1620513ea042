/**
 * The card pages' input: the queue's filter and card lookup, the selection of cards (a repeated
 * `id` field), and which sides of the sheets to print. Japanese messages by field, as forms.ts.
 */
import { z } from 'zod';
import { parseCardInput, type CardCode, type CardParseError } from '$lib/domain/card-code';
import { SHEET_SIDES } from '$lib/domain/card-sheet';
import { UUID_RE } from '$lib/domain/ids';
import type { Parsed } from '../forms';

/** At most this many cards in one print run (ten A4 sheets), so one request stays small. */
export const MAX_CARDS_PER_RUN = 100;

const uuidField = (message: string) => z.string().regex(UUID_RE, message);

export const queueFilter = z.object({
	site: uuidField('会場の指定が正しくありません').optional(),
	code: z.string().max(100, 'カード番号が長すぎます').optional()
});

export const sheetOptions = z.object({
	sides: z.enum(SHEET_SIDES, { error: '印刷する面の指定が正しくありません' }).default('both')
});

const selection = z
	.array(uuidField('選んだカードの指定が正しくありません。一覧を読み込み直してください。'))
	.min(1, 'カードを1枚以上選んでください')
	.max(MAX_CARDS_PER_RUN, `一度に選べるのは${MAX_CARDS_PER_RUN}枚までです`);

/** The chosen households: every `id` value, blank ones left out. */
export function parseSelection(source: URLSearchParams | FormData): Parsed<string[]> {
	const ids = source
		.getAll('id')
		.filter((v): v is string => typeof v === 'string')
		.map((v) => v.trim())
		.filter((v) => v !== '');
	const r = selection.safeParse(ids);
	if (r.success) return { ok: true, data: [...new Set(r.data)] };
	return { ok: false, errors: { id: r.error.issues[0]!.message } };
}

const CODE_MESSAGE: Record<CardParseError, string> = {
	empty: 'カード番号を入力してください',
	foreign: 'ひろばのカード番号ではありません',
	length: 'カード番号は17文字です（区切りの「-」は除く）',
	symbol: 'カード番号に使えない文字が含まれています',
	check: 'カード番号が正しくありません。入力の誤りがないか確かめてください'
};

/** A card number as typed or scanned into the lookup field. */
export function parseCodeField(input: string): { ok: true; code: CardCode } | { ok: false; message: string } {
	const r = parseCardInput(input);
	return r.ok ? r : { ok: false, message: CODE_MESSAGE[r.error] };
}
