/**
 * The report's charts render on the server (the page is read without JavaScript too): an SVG with
 * one bar per number, sized by it, and legends that name each series next to its pattern.
 */
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import BandChart from './BandChart.svelte';
import NewnessChart from './NewnessChart.svelte';
import TrendChart from './TrendChart.svelte';

/** The bars of one series as [x, y, width, height], from the server's HTML. */
function bars(html: string, attr: string, value: string): number[][] {
	const out: number[][] = [];
	for (const m of html.matchAll(/<rect ([^>]*)>/g)) {
		const a = m[1]!;
		if (!a.includes(`${attr}="${value}"`)) continue;
		const num = (name: string) => Number(new RegExp(`\\b${name}="([-\\d.]+)"`).exec(a)![1]);
		out.push([num('x'), num('y'), num('width'), num('height')]);
	}
	return out;
}

describe('report charts on the server', () => {
	it('draws this 年度 against the one before, month by month, with a legend that does not need colour', () => {
		const { body } = render(TrendChart, {
			props: { months: ['4月', '5月', '6月'], current: [4, 2, 0], previous: [2, 4, 1], currentLabel: '令和8年度', previousLabel: '令和7年度' }
		});
		expect(body).toContain('<svg');
		const current = bars(body, 'data-series', 'current');
		const previous = bars(body, 'data-series', 'previous');
		expect(current).toHaveLength(3);
		expect(previous).toHaveLength(3);
		// Heights in proportion to the numbers: 4 is twice 2; 0 draws nothing.
		expect(current[0]![3]).toBeCloseTo(2 * current[1]![3]!, 5);
		expect(current[2]![3]).toBe(0);
		expect(previous[1]![3]).toBeCloseTo(current[0]![3]!, 5);
		// The year before is hatched, this one solid; the legend names both.
		expect(body).toContain('fill="url(#trend-previous)"');
		expect(body).toMatch(/<li>.*令和7年度<\/li>/s);
		expect(body).toMatch(/<li>.*令和8年度<\/li>/s);
	});

	it('stacks 新規, 年度内初回 and 継続, each with its own pattern', () => {
		const { body } = render(NewnessChart, {
			props: {
				months: ['4月', '5月'],
				values: [
					{ first: 3, year: 0, returning: 1 },
					{ first: 1, year: 1, returning: 2 }
				]
			}
		});
		expect(bars(body, 'data-series', 'first')).toHaveLength(2);
		expect(bars(body, 'data-series', 'year')).toHaveLength(1);
		expect(bars(body, 'data-series', 'returning')).toHaveLength(2);
		const [aprFirst] = bars(body, 'data-series', 'first');
		const [aprReturning] = bars(body, 'data-series', 'returning');
		// 継続 sits on top of 新規 in April: its bottom is 新規's top.
		expect(aprReturning![1]! + aprReturning![3]!).toBeCloseTo(aprFirst![1]!, 5);
		expect(aprFirst![3]).toBeCloseTo(3 * aprReturning![3]!, 5);
		for (const label of ['新規', '年度内初回', '継続']) expect(body).toContain(label);
	});

	it('labels each age band with its name and number', () => {
		const { body } = render(BandChart, {
			props: {
				bands: [
					{ label: '0歳', value: 6 },
					{ label: '1歳', value: 3 },
					{ label: '就学児', value: 0 }
				]
			}
		});
		const zero = bars(body, 'data-band', '0歳');
		const one = bars(body, 'data-band', '1歳');
		expect(zero[0]![2]).toBeCloseTo(2 * one[0]![2]!, 5);
		expect(body).toMatch(/class="value"[^>]*>6<\/text>/);
		expect(body).toContain('就学児');
	});
});
