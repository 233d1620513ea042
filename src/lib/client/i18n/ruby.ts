/**
 * Furigana in kiosk texts, written the way Japanese e-texts write it (青空文庫 style): a run of
 * kanji followed by its reading in 《》, or `｜` to mark where the base starts when it is not a
 * plain kanji run (`｜お父さん《おとうさん》`). やさしいにほんご uses it for every kanji; the other
 * languages never contain 《, so their texts come back as one plain segment.
 */
export type RubySegment = { text: string; reading?: string };

const RUBY = /(?:｜([^｜《》]+)|([\p{Script=Han}々〆ヶ]+))《([^《》]+)》/gu;

/** Split a text into plain runs and base/reading pairs. */
export function rubySegments(text: string): RubySegment[] {
	if (!text.includes('《')) return [{ text }];
	const out: RubySegment[] = [];
	let last = 0;
	for (const m of text.matchAll(RUBY)) {
		if (m.index > last) out.push({ text: text.slice(last, m.index) });
		out.push({ text: m[1] ?? m[2] ?? '', reading: m[3] });
		last = m.index + m[0].length;
	}
	if (last < text.length) out.push({ text: text.slice(last) });
	return out;
}

/**
 * The text where markup cannot go (an `aria-label`, an `<option>`, a placeholder): a reading
 * replaces its kanji, so a reader who needs the furigana still can read it.
 */
export function plain(text: string): string {
	return rubySegments(text)
		.map((s) => s.reading ?? s.text)
		.join('');
}

/** The text as written, without readings (what a search or a screen reader's label should match). */
export function base(text: string): string {
	return rubySegments(text)
		.map((s) => s.text)
		.join('');
}
