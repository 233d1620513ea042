import { describe, expect, it } from 'vitest';
import { syncOverdue, tokyoInstant, type SyncHealthInput } from './sync-health';

/** Wednesday 2026-11-25, 09:00 in Tokyo. */
const NOW = Date.parse('2026-11-25T09:00:00+09:00');
const tokyo = (s: string) => new Date(`${s}+09:00`).toISOString();

function tablet(o: Partial<SyncHealthInput> = {}): SyncHealthInput {
	return {
		state: 'active',
		enrolledAt: tokyo('2026-11-01T10:00:00'),
		lastSyncAt: tokyo('2026-11-23T17:00:00'),
		latestSession: { date: '2026-11-24', endTime: '12:00' },
		...o
	};
}

describe('syncOverdue', () => {
	it('reads session times in Tokyo', () => {
		expect(new Date(tokyoInstant('2026-11-24', '12:00')).toISOString()).toBe('2026-11-24T03:00:00.000Z');
	});

	it('warns about a tablet silent for over a day across a session at its sites', () => {
		// Last synced Monday evening; Tuesday's session ended at noon; now Wednesday morning.
		expect(syncOverdue(tablet(), NOW)).toBe(true);
	});

	it('says nothing of a tablet silent for less than a day, whatever happened since', () => {
		expect(syncOverdue(tablet({ lastSyncAt: tokyo('2026-11-24T09:00:01') }), NOW)).toBe(false);
		expect(syncOverdue(tablet({ lastSyncAt: tokyo('2026-11-24T09:00:00') }), NOW)).toBe(true);
	});

	it('says nothing when no session was held after its last sync', () => {
		expect(syncOverdue(tablet({ latestSession: null }), NOW)).toBe(false);
		// Its sites' latest session was over before the last sync.
		expect(syncOverdue(tablet({ latestSession: { date: '2026-11-23', endTime: '12:00' } }), NOW)).toBe(false);
		expect(syncOverdue(tablet({ latestSession: { date: '2026-11-20', endTime: '15:00' } }), NOW)).toBe(false);
	});

	it('counts a session that was still running at the last sync (it may have recorded more after)', () => {
		const lastSyncAt = tokyo('2026-11-23T11:00:00');
		expect(syncOverdue(tablet({ lastSyncAt, latestSession: { date: '2026-11-23', endTime: '12:00' } }), NOW)).toBe(true);
		expect(syncOverdue(tablet({ lastSyncAt, latestSession: { date: '2026-11-23', endTime: '11:00' } }), NOW)).toBe(false);
	});

	it('counts a session dated today, and never one still to come', () => {
		expect(syncOverdue(tablet({ latestSession: { date: '2026-11-25', endTime: '16:00' } }), NOW)).toBe(true);
		expect(syncOverdue(tablet({ latestSession: { date: '2026-11-26', endTime: '12:00' } }), NOW)).toBe(false);
	});

	it('takes the enrollment as the last sync of a tablet that never finished one', () => {
		expect(syncOverdue(tablet({ lastSyncAt: null, enrolledAt: tokyo('2026-11-23T08:00:00') }), NOW)).toBe(true);
		expect(syncOverdue(tablet({ lastSyncAt: null, enrolledAt: tokyo('2026-11-24T13:00:00') }), NOW)).toBe(false);
	});

	it('says nothing of a retired or revoked tablet', () => {
		expect(syncOverdue(tablet({ state: 'retired' }), NOW)).toBe(false);
		expect(syncOverdue(tablet({ state: 'revoked' }), NOW)).toBe(false);
	});
});
