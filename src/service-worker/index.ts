/// <reference lib="webworker" />
/**
 * The tablet's service worker (Workbox; SvelteKit builds it, @vite-pwa/sveltekit injects the precache manifest). It only
 * wires events; what it caches and how lives in the modules beside it.
 *
 * Offline: the kiosk and staff faces, their scripts, styles, icons and the QR decoder's
 * WebAssembly are precached, so the tablet starts and checks families in with no network. The
 * device API is never cached: sync talks to the centre or fails, and the outbox waits.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { registerOfflineNavigation } from './navigation';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
cleanupOutdatedCaches();
registerOfflineNavigation();

// A new build installs beside the running one and waits. Taking over at once would drop the old
// build's files from the precache while its page still runs, and that page loads some chunks late
// (the PIN pad, the kiosk's languages): offline they would be gone. The page asks for the switch
// (sw-register.ts) when it can reload at once: staff tapping 「今すぐ更新」, or the kiosk idle.
self.addEventListener('message', (event) => {
	if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
clientsClaim();
