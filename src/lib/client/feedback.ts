/**
 * A short sound and a buzz to confirm a check-in, where the tablet allows them (audio needs a
 * user gesture first on some browsers; the kiosk's first tap or scan provides it).
 */
let audio: AudioContext | null = null;

export function chime(kind: 'ok' | 'warn' | 'error'): void {
	try {
		audio ??= new AudioContext();
		if (audio.state === 'suspended') void audio.resume();
		const notes = kind === 'ok' ? [880, 1318.5] : kind === 'warn' ? [660, 660] : [330, 262];
		const t0 = audio.currentTime;
		notes.forEach((freq, i) => {
			const osc = audio!.createOscillator();
			const gain = audio!.createGain();
			osc.type = 'sine';
			osc.frequency.value = freq;
			gain.gain.setValueAtTime(0.0001, t0 + i * 0.12);
			gain.gain.exponentialRampToValueAtTime(0.25, t0 + i * 0.12 + 0.02);
			gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.12 + 0.18);
			osc.connect(gain).connect(audio!.destination);
			osc.start(t0 + i * 0.12);
			osc.stop(t0 + i * 0.12 + 0.2);
		});
	} catch {
		// No audio here: the screen says it all.
	}
	navigator.vibrate?.(kind === 'ok' ? 60 : [60, 60, 60]);
}
