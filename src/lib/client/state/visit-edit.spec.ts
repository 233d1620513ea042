import { describe, expect, it } from 'vitest';
import { uuidv7 } from '$lib/domain/ids';
import type { Row } from '../db/db';
import * as f from '../../../../tests/factories';
import { checkOutAtClose, closingInstant, defaultListSession, notCheckedOut, tokyoInstant, tokyoTimeOfDay } from './visit-edit';

const siteId = uuidv7();
const session = (o: Partial<Row<'sessions'>>): Row<'sessions'> => ({
	...f.session(siteId, { date: '2026-11-25' }),
	id: uuidv7(),
	hlc: '000000000000001:00000:centre',
	deleted: false,
	...o
});

describe('times of day in Tokyo', () => {
	it('turns a date and HH:MM in Tokyo into an instant, and back', () => {
		expect(tokyoInstant('2026-11-25', '15:30')).toBe('2026-11-25T06:30:00.000Z');
		expect(tokyoInstant('2026-11-25', '00:10')).toBe('2026-11-24T15:10:00.000Z');
		expect(tokyoTimeOfDay('2026-11-24T15:10:00.000Z')).toBe('00:10');
		expect(() => tokyoInstant('2026-11-25', '25:00')).toThrow(RangeError);
	});
});

describe('the session on today’s list', () => {
	it('is the kiosk’s, else an open one, else the last closed one, else none', () => {
		const morning = session({ startTime: '10:00', endTime: '12:00', status: 'closed' });
		const afternoon = session({ startTime: '13:00', endTime: '15:00', status: 'closed' });
		const rained = session({ startTime: '16:00', endTime: '17:00', status: 'cancelled' });
		expect(defaultListSession([morning, afternoon, rained], null)?.id).toBe(afternoon.id);
		const open = { ...morning, status: 'open' as const };
		expect(defaultListSession([open, afternoon, rained], null)?.id).toBe(open.id);
		expect(defaultListSession([open, afternoon, rained], afternoon.id)?.id).toBe(afternoon.id);
		expect(defaultListSession([rained], null)).toBeNull();
		expect(defaultListSession([], 'gone')).toBeNull();
	});
});

describe('checking out at the close', () => {
	const s = { date: '2026-11-25', endTime: '15:00' };
	it('closes at the scheduled end, or earlier when staff closed the session early', () => {
		expect(closingInstant(s, Date.parse('2026-11-25T09:00:00Z'))).toBe('2026-11-25T06:00:00.000Z');
		expect(closingInstant(s, Date.parse('2026-11-25T05:15:00Z'))).toBe('2026-11-25T05:15:00.000Z');
	});

	it('never checks a family out before it checked in', () => {
		expect(checkOutAtClose({ checkedInAt: '2026-11-25T05:00:00.000Z' }, '2026-11-25T06:00:00.000Z')).toBe('2026-11-25T06:00:00.000Z');
		expect(checkOutAtClose({ checkedInAt: '2026-11-25T06:20:00.000Z' }, '2026-11-25T06:00:00.000Z')).toBe('2026-11-25T06:20:00.000Z');
	});

	it('counts the families still in, not those checked out or undone', () => {
		const v = (o: Partial<Row<'visits'>>): Row<'visits'> => ({ ...f.visit(uuidv7()), id: uuidv7(), hlc: 'x', deleted: false, ...o });
		const still = v({});
		expect(notCheckedOut([still, v({ checkedOutAt: '2026-11-25T06:00:00.000Z' }), v({ deleted: true })])).toEqual([still]);
	});
});
