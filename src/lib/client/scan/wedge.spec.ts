import { describe, expect, it, vi } from 'vitest';
import { isEditable, listenForWedge, normalizeWedgeText, usCharOf } from './wedge';

/** A text field as far as wedge.ts can tell: an EventTarget with a tag name and a value. */
class FakeInput extends EventTarget {
	tagName = 'INPUT';
	type = 'text';
	value = '';
}

interface KeyInit {
	key: string;
	code?: string;
	at: number;
	shiftKey?: boolean;
	isComposing?: boolean;
	ctrlKey?: boolean;
	repeat?: boolean;
}

function keydown(init: KeyInit): Event {
	const event = new Event('keydown', { cancelable: true, bubbles: true });
	Object.defineProperties(event, {
		key: { value: init.key },
		code: { value: init.code ?? '' },
		shiftKey: { value: init.shiftKey ?? false },
		isComposing: { value: init.isComposing ?? false },
		ctrlKey: { value: init.ctrlKey ?? false },
		repeat: { value: init.repeat ?? false },
		timeStamp: { value: init.at }
	});
	return event;
}

/** Dispatch `text` then Enter, one key every `gap` ms from `start`; what a field would receive is typed into it. */
function type(target: EventTarget, text: string, gap: number, start = 1000, opts: { enterGap?: number; field?: FakeInput } = {}): Event {
	let at = start;
	for (const ch of text) {
		const event = keydown({ key: ch, at });
		target.dispatchEvent(event);
		if (opts.field && !event.defaultPrevented) opts.field.value += ch;
		at += gap;
	}
	const enter = keydown({ key: 'Enter', code: 'Enter', at: at - gap + (opts.enterGap ?? gap) });
	target.dispatchEvent(enter);
	return enter;
}

const CARD = 'HIROBA:ABCD-EFGH-JKMN-PQRS-T';

describe('listenForWedge', () => {
	it('takes a fast burst ended by Enter as a scan, and stops its Enter', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		const enter = type(target, CARD, 4);
		expect(onCode).toHaveBeenCalledExactlyOnceWith(CARD);
		expect(enter.defaultPrevented).toBe(true);
	});

	it('ignores a person typing, however long, and leaves their Enter alone', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		const enter = type(target, CARD, 120);
		expect(onCode).not.toHaveBeenCalled();
		expect(enter.defaultPrevented).toBe(false);
	});

	it('ignores fast bursts shorter than minLength, and a burst without Enter', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		type(target, 'ABC1234', 3); // 7 characters
		expect(onCode).not.toHaveBeenCalled();
		for (const [i, ch] of [...'ABCDEFGHJK'].entries()) target.dispatchEvent(keydown({ key: ch, at: 5000 + i * 3 }));
		expect(onCode).not.toHaveBeenCalled();
		// …and a late Enter (a person pressing it after the burst) does not complete it either.
		target.dispatchEvent(keydown({ key: 'Enter', at: 5500 }));
		expect(onCode).not.toHaveBeenCalled();
	});

	it('takes the scan after a slow prefix typed by a person (the burst starts fresh after a gap)', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		target.dispatchEvent(keydown({ key: 'x', at: 0 }));
		target.dispatchEvent(keydown({ key: 'y', at: 300 }));
		type(target, CARD, 5, 900);
		expect(onCode).toHaveBeenCalledExactlyOnceWith(CARD);
	});

	it('takes a burst whose keys are fast on average, though one came late (radio packets, a busy tablet)', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		let at = 1000;
		for (const [i, ch] of [...CARD].entries()) target.dispatchEvent(keydown({ key: ch, at: (at += i === 3 ? 90 : 4) }));
		target.dispatchEvent(keydown({ key: 'Enter', at: at + 4 }));
		expect(onCode).toHaveBeenCalledExactlyOnceWith(CARD);
	});

	it('ignores a person who types a burst or two fast: a pause over breakGapMs starts afresh', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		// Two fast runs of four keys (rollover) with a 150 ms pause between, then Enter.
		const times = [0, 20, 40, 60, 210, 230, 250, 270];
		for (const [i, t] of times.entries()) target.dispatchEvent(keydown({ key: 'ABCDEFGH'[i]!, at: t }));
		target.dispatchEvent(keydown({ key: 'Enter', at: 290 }));
		expect(onCode).not.toHaveBeenCalled();
	});

	it('uses the threshold given: gaps of 30 ms pass at 35 ms, not at 20 ms', () => {
		const a = vi.fn();
		const b = vi.fn();
		const t1 = new EventTarget();
		const t2 = new EventTarget();
		listenForWedge(t1, a);
		listenForWedge(t2, b, { maxGapMs: 20 });
		type(t1, CARD, 30);
		type(t2, CARD, 30);
		expect(a).toHaveBeenCalledOnce();
		expect(b).not.toHaveBeenCalled();
	});

	it('is not broken by Shift presses between characters, but is by other keys', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		let at = 0;
		for (const ch of 'ABCDEFGHJK') {
			target.dispatchEvent(keydown({ key: 'Shift', code: 'ShiftLeft', at: at++ }));
			target.dispatchEvent(keydown({ key: ch, shiftKey: true, at: at++ }));
		}
		target.dispatchEvent(keydown({ key: 'Enter', at: at++ }));
		expect(onCode).toHaveBeenCalledExactlyOnceWith('ABCDEFGHJK');

		for (const ch of 'ABCDE') target.dispatchEvent(keydown({ key: ch, at: at++ }));
		target.dispatchEvent(keydown({ key: 'Backspace', at: at++ }));
		for (const ch of 'FGH') target.dispatchEvent(keydown({ key: ch, at: at++ }));
		target.dispatchEvent(keydown({ key: 'Enter', at }));
		expect(onCode).toHaveBeenCalledOnce();
	});

	it('reads the physical keys when the Japanese IME is on', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		// With the IME in hiragana mode every keydown is "Process"; Shift is reported as pressed.
		const keys: [string, boolean][] = [
			['KeyH', true],
			['KeyI', true],
			['KeyR', true],
			['KeyO', true],
			['KeyB', true],
			['KeyA', true],
			['Semicolon', true],
			['KeyA', true],
			['Digit1', false],
			['Minus', false],
			['KeyZ', true],
			['Digit9', false]
		];
		let at = 0;
		for (const [code, shiftKey] of keys) target.dispatchEvent(keydown({ key: 'Process', code, shiftKey, isComposing: true, at: (at += 3) }));
		target.dispatchEvent(keydown({ key: 'Process', code: 'Enter', isComposing: true, at: at + 3 }));
		expect(onCode).toHaveBeenCalledExactlyOnceWith('HIROBA:A1-Z9');
	});

	it('puts back a text field the scan was typed into', () => {
		const field = new FakeInput();
		field.value = 'メモ';
		const onInput = vi.fn();
		field.addEventListener('input', onInput);
		const onCode = vi.fn();
		listenForWedge(field, onCode);
		const enter = type(field, CARD, 3, 1000, { field });
		expect(onCode).toHaveBeenCalledExactlyOnceWith(CARD);
		expect(field.value).toBe('メモ');
		expect(onInput).toHaveBeenCalledOnce(); // so a bound value (Svelte bind:value) follows
		expect(enter.defaultPrevented).toBe(true); // the form is not submitted with the scan in it
	});

	it('leaves a person typing into a text field alone', () => {
		const field = new FakeInput();
		const onCode = vi.fn();
		listenForWedge(field, onCode);
		const enter = type(field, 'ABCD-EFGH-JKMN-PQRS-T', 90, 1000, { field });
		expect(onCode).not.toHaveBeenCalled();
		expect(field.value).toBe('ABCD-EFGH-JKMN-PQRS-T');
		expect(enter.defaultPrevented).toBe(false);
	});

	it('ignores shortcuts and key repeat', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		listenForWedge(target, onCode);
		let at = 0;
		for (const ch of 'ABCDEFGHJK') target.dispatchEvent(keydown({ key: ch, ctrlKey: ch === 'E', at: at++ }));
		target.dispatchEvent(keydown({ key: 'Enter', at: at++ }));
		expect(onCode).not.toHaveBeenCalled();
		for (const ch of 'ABCDEFGHJK') target.dispatchEvent(keydown({ key: ch, repeat: ch === 'K', at: at++ }));
		target.dispatchEvent(keydown({ key: 'Enter', at }));
		expect(onCode).not.toHaveBeenCalled();
	});

	it('stops listening when unsubscribed', () => {
		const target = new EventTarget();
		const onCode = vi.fn();
		const stop = listenForWedge(target, onCode);
		stop();
		type(target, CARD, 3);
		expect(onCode).not.toHaveBeenCalled();
	});
});

describe('normalizeWedgeText', () => {
	it('restores the colon a keyboard-layout mismatch changed, for our prefixes only', () => {
		expect(normalizeWedgeText('HIROBA+ABCD-EFGH-JKMN-PQRS-T')).toBe(CARD); // US scanner, JIS tablet
		expect(normalizeWedgeText("HIROBA'ABCD-EFGH-JKMN-PQRS-T")).toBe(CARD); // JIS scanner, US tablet
		expect(normalizeWedgeText('HIROBA-ENROLL+ABCDE-FGHJK')).toBe('HIROBA-ENROLL:ABCDE-FGHJK');
		expect(normalizeWedgeText('hiroba:abcd')).toBe('HIROBA:abcd');
		expect(normalizeWedgeText('OTHER+THING')).toBe('OTHER+THING');
	});

	it('turns full-width input into ASCII', () => {
		expect(normalizeWedgeText('ＨＩＲＯＢＡ：ＡＢＣＤ－ＥＦＧＨ')).toBe('HIROBA:ABCD-EFGH');
	});
});

describe('usCharOf and isEditable', () => {
	it('maps physical keys as a US keyboard does', () => {
		expect(usCharOf('KeyQ', true)).toBe('Q');
		expect(usCharOf('KeyQ', false)).toBe('q');
		expect(usCharOf('Digit7', false)).toBe('7');
		expect(usCharOf('Semicolon', true)).toBe(':');
		expect(usCharOf('Minus', false)).toBe('-');
		expect(usCharOf('ArrowLeft', false)).toBeNull();
	});

	it('knows text fields from other elements', () => {
		expect(isEditable({ tagName: 'INPUT', type: 'text' })).toBe(true);
		expect(isEditable({ tagName: 'INPUT', type: 'search' })).toBe(true);
		expect(isEditable({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
		expect(isEditable({ tagName: 'INPUT', type: 'text', readOnly: true })).toBe(false);
		expect(isEditable({ tagName: 'TEXTAREA' })).toBe(true);
		expect(isEditable({ tagName: 'DIV', isContentEditable: true })).toBe(true);
		expect(isEditable({ tagName: 'BUTTON' })).toBe(false);
		expect(isEditable(null)).toBe(false);
	});
});
