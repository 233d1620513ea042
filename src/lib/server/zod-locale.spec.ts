/**
 * This file imports no module that builds a classic zod schema (which would register English as a
 * side effect), so it sees what an API route sees when it is the first thing the server loads.
 */
import { describe, expect, it } from 'vitest';
import { prettifyError } from 'zod/mini';
import { enrollRequest } from '$lib/sync/protocol';
import { householdData } from '$lib/domain/schemas';
import { api } from './http';

describe('zod messages on the server', () => {
	it('explain a refusal by a rule with no message of its own in English, not as a bare "Invalid input"', async () => {
		const handler = api(async () => {
			const body = enrollRequest.safeParse({ code: 'ABCDE-FGHJK', name: '   ' });
			return new Response(body.success ? 'parsed' : prettifyError(body.error));
		});
		const res = await handler({ request: new Request('http://centre.test/api/v1/devices/enroll'), url: new URL('http://centre.test/') } as never);
		expect(await res.text()).toBe('✖ Too small: expected string to have >=1 characters\n  → at name');
		const r = householdData.safeParse({ areaKind: 'ward' });
		expect(r.error!.issues[0]!.message).toBe('Invalid input: expected string, received undefined');
	});
});
