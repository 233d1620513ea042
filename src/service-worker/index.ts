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

// A new version takes over at once: the kiosk must never run a mix of two builds' chunks.
self.addEventListener('install', () => void self.skipWaiting());
clientsClaim();
