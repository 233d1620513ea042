/**
 * What a parent sees of the kiosk's layout, checked on the page as rendered: Japanese words not
 * broken across lines, nothing wider than the screen, and text large enough at arm's length.
 */
import type { Page } from 'playwright-core';

/**
 * Japanese words split across two lines in visible text: a run of two or more kanji (退出, 未就学),
 * of katakana (カード, スタッフ), or さん after a name. Each is found in the text nodes of elements
 * whose language is Japanese, and counts as split when its characters' boxes sit on different lines.
 */
export async function splitJapaneseWords(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const found: string[] = [];
		const word = /[\p{Script=Han}々]{2,}|[\p{Script=Katakana}ー]{2,}|さん/gu;
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!el || !el.closest('[lang]')?.getAttribute('lang')?.startsWith('ja')) continue;
			if (el.closest('rt, .visually-hidden, option, script, style')) continue;
			const text = n.textContent ?? '';
			for (const m of text.matchAll(word)) {
				const range = document.createRange();
				const tops = new Set<number>();
				for (let i = m.index; i < m.index + m[0].length; i++) {
					range.setStart(n, i);
					range.setEnd(n, i + 1);
					const r = range.getBoundingClientRect();
					if (r.width > 0) tops.add(Math.round(r.top));
				}
				// Characters on one line share a top within a pixel or two (ruby may shift a base).
				const ys = [...tops].sort((a, b) => a - b);
				if (ys.length > 1 && ys[ys.length - 1]! - ys[0]! > 4) found.push(`${m[0]} in “${text.trim().slice(0, 40)}”`);
			}
		}
		return found;
	});
}

/** How far the page scrolls sideways (0 when it fits the screen), and what sticks out. */
export async function sidewaysOverflow(page: Page): Promise<{ px: number; widest: string | null }> {
	return page.evaluate(() => {
		const width = document.documentElement.clientWidth;
		const px = document.documentElement.scrollWidth - width;
		if (px <= 0) return { px: 0, widest: null };
		// The innermost elements past the right edge: what is too wide, not the boxes around it.
		const out = Array.from(document.body.querySelectorAll<HTMLElement>('*')).filter((el) => el.getBoundingClientRect().right > width + 0.5);
		const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
		const widest = innermost
			.slice(0, 3)
			.map(
				(el) =>
					`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].filter((c) => !c.startsWith('svelte-')).join('.')} → ${Math.round(el.getBoundingClientRect().right)} px`
			)
			.join(', ');
		return { px, widest };
	});
}

/** Visible text a parent reads that is set smaller than `minPx` (furigana and hidden text aside). */
export async function smallText(page: Page, minPx = 18): Promise<string[]> {
	return page.evaluate((min) => {
		const small: string[] = [];
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			const text = (n.textContent ?? '').trim();
			if (!el || !text || el.closest('rt, .visually-hidden, #svelte-announcer, script, style, [data-small-ok]')) continue;
			const r = el.getBoundingClientRect();
			// Not shown (or clipped to a pixel, the way screen-reader-only text is).
			if (r.width <= 1 || r.height <= 1) continue;
			const size = parseFloat(getComputedStyle(el).fontSize);
			if (size < min) small.push(`“${text.slice(0, 30)}” ${size}px`);
		}
		return small;
	}, minPx);
}
