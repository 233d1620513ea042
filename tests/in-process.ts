/**
 * The device API's real route handlers, called in-process through a `fetch` of their own: tests of
 * the tablet's sync engine talk to the same endpoint code as over HTTP, without a server or port.
 */
import type { RequestEvent } from '@sveltejs/kit';
import * as enroll from '../src/routes/api/v1/devices/enroll/+server';
import * as push from '../src/routes/api/v1/sync/push/+server';
import * as pull from '../src/routes/api/v1/sync/pull/+server';
import * as lookup from '../src/routes/api/v1/households/lookup/+server';
import * as rest from '../src/routes/api/[...rest]/+server';

type Handler = (event: RequestEvent) => Promise<Response>;
const ROUTES: Record<string, Record<string, Handler | undefined>> = {
	'/api/v1/devices/enroll': enroll as Record<string, Handler>,
	'/api/v1/sync/push': push as Record<string, Handler>,
	'/api/v1/sync/pull': pull as Record<string, Handler>,
	'/api/v1/households/lookup': lookup as Record<string, Handler>
};

export const BASE_URL = 'http://centre.test';

export function inProcessFetch(opts: { clientAddress?: string } = {}): typeof fetch {
	return async (input, init) => {
		const request = new Request(input instanceof URL ? input.href : input, init);
		const url = new URL(request.url);
		const route = ROUTES[url.pathname] ?? (rest as Record<string, Handler>);
		const handler = route[request.method] ?? route.fallback!;
		const event = {
			request,
			url,
			params: {},
			locals: {},
			route: { id: url.pathname },
			getClientAddress: () => opts.clientAddress ?? '127.0.0.1',
			setHeaders: () => {},
			cookies: undefined,
			platform: undefined,
			isDataRequest: false,
			isSubRequest: false
		} as unknown as RequestEvent;
		return handler(event);
	};
}
