/**
 * The README promises what the banner prints only once: the demo sign-ins, and how long the
 * banner's enrollment code lasts. Those sentences must follow the code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENROLLMENT_CODE_MINUTES } from '../auth/devices';
import { DEMO_STAFF } from './demo';

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

/** The rows of the README's demo sign-ins table: staff, role, PIN, login / password. */
function signInRows(): string[][] {
	const lines = README.slice(README.indexOf('### Demo sign-ins and enrollment codes')).split('\n');
	const start = lines.findIndex((line) => line.startsWith('|'));
	const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
	return lines.slice(start + 2, end).map((line) =>
		line
			.split('|')
			.slice(1, -1)
			.map((cell) => cell.trim())
	);
}

describe('the README on the demo', () => {
	it('lists every demo sign-in with its role, PIN, login and password', () => {
		expect(signInRows()).toEqual(DEMO_STAFF.map((s) => [s.displayName, s.role, s.pin, s.loginName === null ? '—' : `\`${s.loginName}\` / \`${s.password}\``]));
	});

	it('says the banner’s enrollment code lasts as long as the server makes it last', () => {
		expect(ENROLLMENT_CODE_MINUTES).toBe(15);
		expect(README).toContain(`only for **${ENROLLMENT_CODE_MINUTES} minutes** from the start`);
		expect(README).toContain(`valid for **${ENROLLMENT_CODE_MINUTES} minutes** and for one tablet`);
	});
});
