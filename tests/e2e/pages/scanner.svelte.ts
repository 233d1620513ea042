// Mounts the Scanner component alone, for tests/e2e/scanner.e2e.ts. A .svelte.ts module so that
// its props can be rune state (the pause switch changes `paused` while it is mounted).
import { mount } from 'svelte';
import Scanner from '$lib/components/Scanner.svelte';

const list = document.querySelector<HTMLUListElement>('[data-testid="scans"]')!;
const pause = document.querySelector<HTMLInputElement>('#paused')!;
const memo = document.querySelector<HTMLInputElement>('#memo')!;
const memoValue = document.querySelector<HTMLParagraphElement>('[data-testid="memo-value"]')!;

const props = $state({
	paused: false,
	onscan: (text: string, method: 'camera' | 'scanner') => {
		const item = document.createElement('li');
		item.dataset.method = method;
		item.textContent = text;
		list.append(item);
	}
});

mount(Scanner, { target: document.getElementById('viewport')!, props });
pause.addEventListener('change', () => (props.paused = pause.checked));
// What a bound field (bind:value) would show: it follows `input` events, as the wedge's undo sends.
memo.addEventListener('input', () => (memoValue.textContent = memo.value));
