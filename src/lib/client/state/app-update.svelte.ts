/**
 * The tablet's app as staff see it on the device panel: which build runs, whether a newer one has
 * installed and waits, and whether the browser keeps the tablet's data safe from eviction. Written
 * by sw-register.ts; one instance for the page, shared by the kiosk and staff faces.
 */
import { formatDateTimeJa } from '$lib/domain/dates';

export interface StorageState {
	/** Whether the browser promised not to evict this site's data; null where it cannot say. */
	persisted: boolean | null;
	/** Bytes used and available, as the browser estimates them; null where it cannot say. */
	usage: number | null;
	quota: number | null;
}

export class AppUpdateState {
	/** A new build has installed and waits to take over. */
	waiting = $state(false);
	/** The switch was asked for; the page reloads as soon as the new build controls it. */
	applying = $state(false);
	storage = $state<StorageState | null>(null);
}

export const appUpdate = new AppUpdateState();

/**
 * A build's version as staff read it. SvelteKit's default version is the build's time in
 * milliseconds; that reads better as a date and time in Tokyo. Any other version shows as it is.
 */
export function formatVersion(version: string): string {
	if (/^\d{12,14}$/.test(version)) return `${formatDateTimeJa(Number(version))} 版`;
	return version;
}

/** Bytes as megabytes with one decimal, the way staff compare them with the tablet's settings. */
export function formatMegabytes(bytes: number): string {
	return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
