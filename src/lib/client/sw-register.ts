/**
 * Register the service worker with workbox-window, from the tablet faces only. In development
 * there is none (Vite serves modules, not a build).
 */
import { dev } from '$app/environment';

export async function registerServiceWorker(): Promise<void> {
	if (dev || !('serviceWorker' in navigator)) return;
	const { Workbox } = await import('workbox-window');
	const wb = new Workbox('/service-worker.js', { scope: '/', type: dev ? 'module' : 'classic' });
	// A new build activates at once (skipWaiting in the worker); reload onto it only when the
	// kiosk is idle, never in the middle of a family's registration.
	wb.addEventListener('controlling', (e) => {
		if (e.isUpdate) pendingReload = true;
	});
	await wb.register();
}

let pendingReload = false;

/** Called by the kiosk when it is back on the scan screen with nothing in progress. */
export function reloadIfUpdated(): void {
	if (pendingReload) location.reload();
}
