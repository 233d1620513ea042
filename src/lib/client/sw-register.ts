/**
 * Register the service worker with workbox-window, from the tablet faces only, and keep the
 * update state staff see (state/app-update.svelte.ts). In development there is none (Vite serves
 * modules, not a build).
 *
 * A new build installs and waits (see src/service-worker/index.ts); it takes over only when asked:
 * staff apply it from the device panel, or the kiosk applies it when it is idle on the bare
 * scanner. The page reloads as soon as the new build controls it, so it never runs one build's
 * page against another's files, and never reloads in the middle of a family's check-in.
 */
import { dev } from '$app/environment';
import type { Workbox } from 'workbox-window';
import { appUpdate } from './state/app-update.svelte';

/** A tablet left running all day never navigates: it looks for a new build every hour. */
const UPDATE_CHECK_MS = 60 * 60_000;

let registering: Promise<void> | null = null;
let wb: Workbox | null = null;
/** The new build took over without this page asking (another window applied it). */
let pendingReload = false;

/** Starts once per page (the kiosk and staff faces both call it); later calls share the first. */
export function registerServiceWorker(): Promise<void> {
	registering ??= start();
	return registering;
}

async function start(): Promise<void> {
	void checkStorage(true);
	if (dev || !('serviceWorker' in navigator)) return;
	const { Workbox } = await import('workbox-window');
	const w = (wb = new Workbox('/service-worker.js', { scope: '/', type: dev ? 'module' : 'classic' }));
	w.addEventListener('controlling', (e) => {
		if (appUpdate.applying) location.reload();
		else if (e.isUpdate || e.isExternal) pendingReload = true;
	});
	const reg = await w.register();
	if (!reg) return;
	// Followed on the registration itself rather than through workbox-window's events, which stop
	// after the first update a page sees: a tablet may see several in a day.
	const follow = (sw: ServiceWorker | null) => {
		if (!sw) return;
		const seen = () => {
			// A first install also passes through waiting, for a moment, with nothing active yet: not an update.
			if (reg.waiting && reg.active) appUpdate.waiting = true;
			else if (sw.state === 'redundant' || sw.state === 'activated') appUpdate.waiting = false;
		};
		sw.addEventListener('statechange', seen);
		seen();
	};
	follow(reg.waiting);
	follow(reg.installing);
	reg.addEventListener('updatefound', () => follow(reg.installing));
	setInterval(() => void reg.update().catch(() => undefined), UPDATE_CHECK_MS);
}

/**
 * Asks the waiting build to take over; the page reloads onto it once it does. Callers make sure
 * nothing is in progress (the staff face refuses while a consultation is being written).
 */
export function applyUpdate(): void {
	if (!wb || !appUpdate.waiting) return;
	appUpdate.applying = true;
	wb.messageSkipWaiting();
}

/**
 * The kiosk is idle now (back on the bare scanner, nothing open): apply a waiting update, or
 * reload onto one that has already taken over.
 */
export function reloadIfUpdated(): void {
	if (appUpdate.waiting) applyUpdate();
	else if (pendingReload) location.reload();
}

/**
 * Whether the browser keeps this site's data, and how much it holds. At start the tablet asks for
 * persistent storage: an installed app usually gets it, and then the browser does not evict the
 * outbox under storage pressure.
 */
export async function checkStorage(request = false): Promise<void> {
	const s = typeof navigator === 'undefined' ? undefined : navigator.storage;
	if (!s) {
		appUpdate.storage = { persisted: null, usage: null, quota: null };
		return;
	}
	try {
		let persisted = s.persisted ? await s.persisted() : null;
		if (!persisted && request && s.persist) persisted = await s.persist();
		const estimate = s.estimate ? await s.estimate() : {};
		appUpdate.storage = { persisted, usage: estimate.usage ?? null, quota: estimate.quota ?? null };
	} catch {
		appUpdate.storage = { persisted: null, usage: null, quota: null };
	}
}
