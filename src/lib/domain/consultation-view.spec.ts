import { describe, expect, it } from 'vitest';
import { DEFAULT_TOPICS } from './schemas';
import { childChoices, householdLabel, orderForList, parseMinutes, remainingChars, topicChoices, topicLabel } from './consultation-view';

describe('topicChoices', () => {
	it('offers the defaults while the tablet has no topics yet', () => {
		expect(topicChoices([])).toEqual(DEFAULT_TOPICS.map((t) => ({ code: t.code, labelJa: t.labelJa })));
	});

	it('offers the centre’s active topics in its order, leaving out retired and deleted ones', () => {
		const rows = [
			{ code: 'sleep', labelJa: '睡眠', sort: 20, active: true },
			{ code: 'growth', labelJa: '発育・発達', sort: 10, active: true },
			{ code: 'old', labelJa: '旧分類', sort: 5, active: false },
			{ code: 'gone', labelJa: '削除', sort: 1, active: true, deleted: true }
		];
		expect(topicChoices(rows).map((t) => t.code)).toEqual(['growth', 'sleep']);
	});

	it('keeps a chosen topic on offer after the centre retired it', () => {
		const rows = [
			{ code: 'growth', labelJa: '発育・発達', sort: 10, active: true },
			{ code: 'old', labelJa: '旧分類', sort: 5, active: false }
		];
		expect(topicChoices(rows, ['old', 'growth', 'language'])).toEqual([
			{ code: 'growth', labelJa: '発育・発達' },
			{ code: 'old', labelJa: '旧分類' },
			{ code: 'language', labelJa: 'ことば' }
		]);
	});

	it('names an unknown code by itself', () => {
		expect(topicLabel('mystery_topic', [])).toBe('mystery_topic');
	});
});

describe('orderForList', () => {
	const item = (id: string, at: string, urgency: string, delivery: 'pending' | 'rejected' | 'sent') => ({ id, delivery, row: { urgency, consultedAt: at } });

	it('puts urgent records not yet sent first, then the rest, each newest first', () => {
		const items = [
			item('a', '2026-05-01T01:00:00Z', 'normal', 'pending'),
			item('b', '2026-05-01T02:00:00Z', 'urgent', 'sent'),
			item('c', '2026-05-01T00:30:00Z', 'urgent', 'pending'),
			item('d', '2026-05-01T03:00:00Z', 'watch', 'rejected'),
			item('e', '2026-05-01T01:30:00Z', 'urgent', 'pending')
		];
		expect(orderForList(items).map((x) => x.id)).toEqual(['e', 'c', 'd', 'b', 'a']);
		expect(items.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
	});
});

describe('form helpers', () => {
	it('counts remaining characters as the check does (trimmed)', () => {
		expect(remainingChars('  あいう  ', 10)).toBe(7);
		expect(remainingChars('a'.repeat(12), 10)).toBe(-2);
	});

	it('reads minutes, null while empty or not a number', () => {
		expect(parseMinutes('')).toBeNull();
		expect(parseMinutes(' 15 ')).toBe(15);
		expect(parseMinutes('abc')).toBeNull();
		expect(parseMinutes('2.5')).toBe(2.5);
	});
});

describe('householdLabel', () => {
	it('uses the nickname, else the end of the card number', () => {
		expect(householdLabel({ nickname: 'さくら', cardCode: '0123456789ABCDEFG' })).toBe('さくら');
		expect(householdLabel({ nickname: null, cardCode: '0123456789ABCDEFG' })).toMatch(/^カード …/);
		expect(householdLabel(undefined)).toBe('（不明なご家族）');
	});
});

describe('childChoices', () => {
	it('lists children eldest first with the age band at the session date', () => {
		const out = childChoices(
			[
				{ id: 'y', birthYm: '2025-06', nickname: null },
				{ id: 'x', birthYm: '2023-01', nickname: 'はなちゃん' },
				{ id: 'z', birthYm: '2024-01', nickname: null, deleted: true }
			],
			'2026-05-10'
		);
		expect(out).toEqual([
			{ id: 'x', band: 'age3plus', label: 'はなちゃん・3歳以上・未就学' },
			{ id: 'y', band: 'age0', label: '2人目（2025年6月生まれ）・0歳' }
		]);
	});

	it('says so when a birth month lies after the session date', () => {
		expect(childChoices([{ id: 'a', birthYm: '2027-01', nickname: null }], '2026-05-10')[0]!.label).toContain('年齢不明');
	});
});
