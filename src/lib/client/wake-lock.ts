/**
 * Keeps a kiosk's screen on while it is open: a tablet that dims and locks on a quiet morning
 * cannot read the next family's card. The browser drops a screen wake lock whenever the page is
 * hidden, so it is asked for again each time the page becomes visible. A browser without the API,
 * or one that refuses (battery saver, no user gesture yet), leaves the screen to its own timeout:
 * the kiosk works the same, so a failure is ignored.
 */
export function keepScreenAwake(): () => void {
	let sentinel: WakeLockSentinel | null = null;
	let stopped = false;

	async function request() {
		if (stopped || document.visibilityState !== 'visible' || !('wakeLock' in navigator)) return;
		try {
			const lock = await navigator.wakeLock.request('screen');
			if (stopped) void lock.release().catch(() => undefined);
			else sentinel = lock;
		} catch {
			// Refused or unsupported: harmless, see above.
		}
	}

	const onVisibility = () => {
		if (document.visibilityState === 'visible') void request();
	};
	document.addEventListener('visibilitychange', onVisibility);
	void request();

	return () => {
		stopped = true;
		document.removeEventListener('visibilitychange', onVisibility);
		void sentinel?.release().catch(() => undefined);
		sentinel = null;
	};
}
