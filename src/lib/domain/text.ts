/**
 * One hygiene rule for every piece of free text that crosses a boundary (a pushed record, a form
 * field, an enrollment body). PostgreSQL refuses NUL in `text` and `jsonb` and an unpaired surrogate
 * in `jsonb` (and silently turns one into U+FFFD in `text`), so a single such character used to fail
 * the whole push on every retry. Controls and non-characters are refused as well: nothing a person
 * types contains them, and they make trouble in logs, CSV exports and screens.
 *
 * Refused, with a message that says which character and where:
 * - U+0000 (NUL);
 * - C0 controls U+0001–U+001F, DEL and C1 controls U+007F–U+009F; multi-line text allows tab, LF
 *   and CR, single-line text allows none;
 * - unpaired surrogates (a valid pair, e.g. an emoji, is of course fine);
 * - the non-characters U+FDD0–U+FDEF and U+xFFFE/U+xFFFF in every plane.
 *
 * The check is one native regular-expression scan (the `u` flag makes a surrogate pair one code
 * point, so the class below matches only unpaired halves); the tablet runs zod jitless, and this
 * costs no more there than on the server.
 */
import * as z from 'zod/mini';

/** U+1FFFE, U+1FFFF … U+10FFFE, U+10FFFF as regular-expression class items. */
const PLANE_NONCHARACTERS = Array.from({ length: 16 }, (_, i) => `\\u{${(i + 1).toString(16)}fffe}\\u{${(i + 1).toString(16)}ffff}`).join('');
const ALWAYS_BAD = `\\u007f-\\u009f\\p{Cs}\\ufdd0-\\ufdef\\ufffe\\uffff${PLANE_NONCHARACTERS}`;
const SINGLE_LINE_BAD = new RegExp(`[\\u0000-\\u001f${ALWAYS_BAD}]`, 'u');
/** Tab (U+0009), LF (U+000A) and CR (U+000D) are left out. */
const MULTI_LINE_BAD = new RegExp(`[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f${ALWAYS_BAD}]`, 'u');

export type BadCharKind = 'nul' | 'control' | 'surrogate' | 'noncharacter';

export interface BadChar {
	kind: BadCharKind;
	codePoint: number;
	/** 1-based, counted in characters (code points) as a person would count them. */
	position: number;
}

/** The first character the rule refuses, or null when the text is clean. */
export function findBadChar(text: string, opts: { multiLine?: boolean } = {}): BadChar | null {
	const m = (opts.multiLine ? MULTI_LINE_BAD : SINGLE_LINE_BAD).exec(text);
	if (!m) return null;
	const codePoint = m[0].codePointAt(0)!;
	// Everything before the first bad character is well-formed, so spreading it counts code points.
	const position = [...text.slice(0, m.index)].length + 1;
	const kind: BadCharKind = codePoint === 0 ? 'nul' : codePoint <= 0x9f ? 'control' : codePoint >= 0xd800 && codePoint <= 0xdfff ? 'surrogate' : 'noncharacter';
	return { kind, codePoint, position };
}

export function hex(codePoint: number): string {
	return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** An English message for the API: which kind of character, which one, and where. */
export function describeBadChar(bad: BadChar, opts: { multiLine?: boolean } = {}): string {
	const at = `at character ${bad.position}`;
	switch (bad.kind) {
		case 'nul':
			return `contains a NUL character (U+0000) ${at}`;
		case 'control':
			return opts.multiLine
				? `contains a control character (${hex(bad.codePoint)}) ${at}; only tab and line breaks are allowed`
				: `contains a control character (${hex(bad.codePoint)}) ${at}; single-line text allows none, not even tab or line breaks`;
		case 'surrogate':
			return `contains an unpaired surrogate (${hex(bad.codePoint)}) ${at}; the text is not well-formed Unicode`;
		case 'noncharacter':
			return `contains a Unicode non-character (${hex(bad.codePoint)}) ${at}`;
	}
}

export interface CleanTextOptions {
	multiLine?: boolean;
	/** Replaces the English message (forms answer in Japanese at the field). */
	message?: string;
}

/**
 * The zod check that refuses what `findBadChar` finds, for any zod string, classic or mini (both
 * take a check function). It runs on the text as sent, before any trim checked after it, so the
 * position in the message is where the sender put it.
 */
export function badCharCheck(opts: CleanTextOptions = {}): (ctx: z.core.ParsePayload<string>) => void {
	return (ctx) => {
		const bad = findBadChar(ctx.value, opts);
		if (bad) ctx.issues.push({ code: 'custom', input: ctx.value, message: opts.message ?? describeBadChar(bad, opts) });
	};
}

/**
 * A zod string that refuses what `findBadChar` finds. It is a zod/mini schema, because the tablet
 * loads it: add checks with `.check(z.trim(), z.maxLength(n))`. Server code that chains classic
 * methods uses the classic twin in $lib/server/clean-text.
 */
export function cleanText(opts: CleanTextOptions = {}): z.ZodMiniString<string> {
	return z.string().check(badCharCheck(opts));
}
