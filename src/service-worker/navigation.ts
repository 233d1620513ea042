/// <reference lib="webworker" />
/**
 * Page loads of the tablet faces are answered from the precache (their prerendered shells), so a
 * cold start needs no network. Everything else (the centre, the API) goes to the network as usual.
 */
import { createHandlerBoundToURL } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

/** The tablet faces and the precached shell that serves each. */
export const OFFLINE_FACES: ReadonlyArray<{ path: RegExp; shell: string }> = [
	{ path: /^\/kiosk\/?$/, shell: '/kiosk' },
	{ path: /^\/staff\/?$/, shell: '/staff' }
];

export function registerOfflineNavigation(): void {
	for (const face of OFFLINE_FACES) {
		registerRoute(new NavigationRoute(createHandlerBoundToURL(face.shell), { allowlist: [face.path] }));
	}
}
