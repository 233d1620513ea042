import { describe, expect, it } from 'vitest';
import { isUnopened, sessionEndsAt, tokyoTime } from './session-state';

describe('a session past its end time that never opened', () => {
	// 2026-06-10 12:00 in Tokyo is 03:00 UTC.
	const noonTokyo = Date.UTC(2026, 5, 10, 3, 0);
	const s = { status: 'scheduled' as const, date: '2026-06-10', endTime: '12:00' };

	it('reads the session’s date and end time as Tokyo time', () => {
		expect(sessionEndsAt('2026-06-10', '12:00')).toBe(noonTokyo);
		// Tokyo's day starts at 15:00 UTC the day before.
		expect(sessionEndsAt('2026-06-10', '00:30')).toBe(Date.UTC(2026, 5, 9, 15, 30));
		expect(tokyoTime(noonTokyo)).toBe('12:00');
		expect(tokyoTime(Date.UTC(2026, 5, 9, 15, 30))).toBe('00:30');
	});

	it('is flagged from its end time on, and only while it is still 予定', () => {
		expect(isUnopened(s, noonTokyo - 60_000)).toBe(false);
		expect(isUnopened(s, noonTokyo)).toBe(true);
		expect(isUnopened(s, noonTokyo + 86_400_000)).toBe(true);
		for (const status of ['open', 'closed', 'cancelled'] as const) expect(isUnopened({ ...s, status }, noonTokyo + 60_000)).toBe(false);
	});
});
