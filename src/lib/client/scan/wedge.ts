/**
 * Keyboard-wedge barcode scanners (USB or Bluetooth HID): the scanner "types" what it read, much
 * faster than a person, and ends with Enter. listenForWedge() picks such bursts out of the keyboard
 * events and hands over the text, whatever has the focus:
 *
 * - a burst is at least `minLength` characters typed `maxGapMs` apart on average, none more than
 *   `breakGapMs` apart, ended by Enter; a person cannot type like that, so typing into a form is
 *   left alone. The average, not every gap: a Bluetooth scanner's keys come in radio packets, and
 *   a busy tablet can hold one key back, without it being a person;
 * - when a burst lands in a focused text field, the field gets its earlier value back and the
 *   Enter neither submits the form nor presses a focused button;
 * - with the Japanese IME on, keys arrive as "Process" and the text is read from the physical keys
 *   (`code`) instead; a scanner set up for a US keyboard on a JIS tablet (or the other way round)
 *   turns the `:` of our payloads into `+` or `'`, which is put right for our own prefixes.
 *
 * Times come from event.timeStamp, when the key was pressed, not when the handler ran: a main
 * thread busy for 100 ms must not make a person look fast or a scanner look slow.
 */

export interface WedgeOptions {
	/** Longest average gap between the keys of a burst. Scanners send a key every 1–20 ms. */
	maxGapMs?: number;
	/** A gap longer than this ends any burst (default 3 × maxGapMs). */
	breakGapMs?: number;
	/** Shortest burst taken as a scan; our payloads are 20+ characters. */
	minLength?: number;
	/** Longest gap before the closing Enter (some scanners pause before their suffix). */
	enterGapMs?: number;
	/** When a key was pressed; tests replace it. */
	timeOf?: (event: Event) => number;
}

/** The key event fields we read (KeyboardEvent is not a global in Node, where the unit tests run). */
interface KeyLike {
	key?: string;
	code?: string;
	keyCode?: number;
	shiftKey?: boolean;
	ctrlKey?: boolean;
	altKey?: boolean;
	metaKey?: boolean;
	repeat?: boolean;
	isComposing?: boolean;
}

interface TextField {
	value: string;
	dispatchEvent(event: Event): boolean;
}

const MODIFIERS = new Set([
	'Shift',
	'CapsLock',
	'Control',
	'Alt',
	'AltGraph',
	'Meta',
	'OS',
	'Fn',
	'Hyper',
	'Super',
	'KanaMode',
	'Hiragana',
	'Katakana',
	'HiraganaKatakana',
	'Zenkaku',
	'Hankaku',
	'ZenkakuHankaku',
	'Eisu',
	'Alphanumeric'
]);

const NON_TEXT_INPUT_TYPES = new Set(['button', 'checkbox', 'color', 'file', 'hidden', 'image', 'radio', 'range', 'reset', 'submit']);

/** A text field, a text area or contenteditable: where a person's typing is meant to go. */
export function isEditable(target: unknown): boolean {
	if (!target || typeof target !== 'object') return false;
	const el = target as { tagName?: unknown; type?: unknown; isContentEditable?: unknown; readOnly?: unknown; disabled?: unknown };
	if (el.isContentEditable === true) return true;
	const tag = typeof el.tagName === 'string' ? el.tagName.toUpperCase() : '';
	if (tag === 'TEXTAREA') return el.readOnly !== true && el.disabled !== true;
	if (tag === 'INPUT') {
		const type = typeof el.type === 'string' ? el.type.toLowerCase() : 'text';
		return !NON_TEXT_INPUT_TYPES.has(type) && el.readOnly !== true && el.disabled !== true;
	}
	return false;
}

function textField(target: unknown): TextField | null {
	if (!isEditable(target)) return null;
	const el = target as Partial<TextField>;
	return typeof el.value === 'string' && typeof el.dispatchEvent === 'function' ? (el as TextField) : null;
}

// The US layout's characters by physical key, for keys that arrive without a usable `key`.
const US_SHIFTED_DIGITS = ')!@#$%^&*(';
const US_PUNCTUATION: Record<string, [string, string]> = {
	Minus: ['-', '_'],
	Equal: ['=', '+'],
	BracketLeft: ['[', '{'],
	BracketRight: [']', '}'],
	Backslash: ['\\', '|'],
	Semicolon: [';', ':'],
	Quote: ["'", '"'],
	Backquote: ['`', '~'],
	Comma: [',', '<'],
	Period: ['.', '>'],
	Slash: ['/', '?'],
	Space: [' ', ' '],
	NumpadSubtract: ['-', '-'],
	NumpadAdd: ['+', '+'],
	NumpadDecimal: ['.', '.'],
	NumpadMultiply: ['*', '*'],
	NumpadDivide: ['/', '/']
};

/** The character a physical key makes on a US keyboard, or null. */
export function usCharOf(code: string, shift: boolean): string | null {
	let m = /^Key([A-Z])$/.exec(code);
	if (m) return shift ? m[1]! : m[1]!.toLowerCase();
	m = /^Digit([0-9])$/.exec(code);
	if (m) return shift ? US_SHIFTED_DIGITS[Number(m[1])]! : m[1]!;
	m = /^Numpad([0-9])$/.exec(code);
	if (m) return m[1]!;
	const pair = US_PUNCTUATION[code];
	return pair ? pair[shift ? 1 : 0] : null;
}

type KeyKind = { kind: 'char'; char: string } | { kind: 'enter' } | { kind: 'modifier' } | { kind: 'other' };

function classify(e: KeyLike): KeyKind {
	if (e.key === 'Enter' || e.code === 'Enter' || e.code === 'NumpadEnter') return { kind: 'enter' };
	if (e.key && MODIFIERS.has(e.key)) return { kind: 'modifier' };
	if (e.ctrlKey || e.altKey || e.metaKey) return { kind: 'other' }; // shortcuts, not typed text
	const composing = e.isComposing === true || e.key === 'Process' || e.key === 'Unidentified' || e.keyCode === 229;
	if (!composing && e.key && [...e.key].length === 1) return { kind: 'char', char: e.key };
	if (composing && e.code) {
		const char = usCharOf(e.code, e.shiftKey === true);
		if (char) return { kind: 'char', char };
		if (/^(Shift|Control|Alt|Meta|CapsLock)/.test(e.code)) return { kind: 'modifier' };
	}
	return { kind: 'other' };
}

/**
 * Tidy what a scanner typed: full-width characters (a JIS IME in 全角 mode) become ASCII, and the
 * colon after our prefixes, which a keyboard-layout mismatch turns into another character, is
 * restored. Anything else is left for the parsers (parseCardInput, parseEnrollInput) to judge.
 */
export function normalizeWedgeText(text: string): string {
	const t = text.normalize('NFKC').trim();
	return t.replace(/^(hiroba(?:-enroll)?)[:+*'"]/i, (_m, prefix: string) => `${prefix.toUpperCase()}:`);
}

/** Listen for scanner bursts on `target` (usually window); returns the function that stops it. */
export function listenForWedge(target: EventTarget, onCode: (text: string) => void, opts: WedgeOptions = {}): () => void {
	const maxGapMs = opts.maxGapMs ?? 35;
	const breakGapMs = opts.breakGapMs ?? maxGapMs * 3;
	const minLength = opts.minLength ?? 8;
	const enterGapMs = opts.enterGapMs ?? 100;
	const timeOf = opts.timeOf ?? ((e: Event) => e.timeStamp);

	let chars: string[] = [];
	let firstAt = -Infinity;
	let lastAt = -Infinity;
	// The focused field when the burst began and its value then, to undo what the scanner typed.
	let field: { el: TextField; value: string } | null = null;

	const reset = () => {
		chars = [];
		field = null;
		firstAt = -Infinity;
		lastAt = -Infinity;
	};

	const onKeyDown = (event: Event) => {
		const e = event as Event & KeyLike;
		const at = timeOf(event);
		const kind = classify(e);
		if (kind.kind === 'modifier') return; // a scanner presses Shift between characters
		if (e.repeat || kind.kind === 'other') return reset();
		const origin = event.composedPath?.()[0] ?? event.target;

		if (kind.kind === 'char') {
			if (at - lastAt > breakGapMs) {
				reset();
				firstAt = at;
				const el = textField(origin);
				if (el) field = { el, value: el.value };
			}
			chars.push(kind.char);
			lastAt = at;
			return;
		}

		// Enter: a scan if it closes a long enough burst; otherwise it is a person's Enter.
		const fast = (lastAt - firstAt) / Math.max(1, chars.length - 1) <= maxGapMs;
		const burst = chars.length >= minLength && fast && at - lastAt <= enterGapMs;
		const text = chars.join('');
		const typedInto = field;
		reset();
		if (!burst) return;
		event.preventDefault();
		event.stopImmediatePropagation();
		if (typedInto && typedInto.el.value !== typedInto.value) {
			typedInto.el.value = typedInto.value;
			typedInto.el.dispatchEvent(new Event('input', { bubbles: true }));
		}
		onCode(normalizeWedgeText(text));
	};

	// Capture, so the scan is seen (and its Enter stopped) before any handler of the focused element.
	target.addEventListener('keydown', onKeyDown, { capture: true });
	return () => target.removeEventListener('keydown', onKeyDown, { capture: true });
}
