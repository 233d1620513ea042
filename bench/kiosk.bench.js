/**
 * Kiosk benchmarks (DESIGN.md "Performance budgets"), in headless Chromium against the built
 * server (PGlite, demo data), on a tablet set up as staff do it (kiosk.e2e.ts): /staff enrollment
 * with the banner's code, PIN unlock, today's session opened, then /kiosk. The camera is
 * Chromium's fake device (its test pattern: frames are decoded all along, as on a real kiosk).
 *
 * 1. Check-in latency: ≥ 60 distinct cards typed by a keyboard-wedge scanner (CDP key events),
 *    demo households' cards mixed with valid cards the tablet does not know; each confirmation is
 *    dismissed by a tap. Timed by the page's own marks: 'hiroba:code-read' (code in, before the
 *    IndexedDB transaction) → 'hiroba:confirmation-painted' (the frame after the overlay renders).
 * 2. First-load JavaScript of /kiosk: every script the page fetches on its own, to the last one
 *    (untouched until nothing new is requested for a few seconds), gzip -9 of each body; the
 *    decoder (worker + wasm) separately.
 * 3. Offline cold start: the profile (service worker installed) relaunched, network off, 4× CPU
 *    throttling, navigation → the Scanner's status line says 読み取り中; then one wedge check-in.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { releaseAll } from './lib/browser.js';
import { cardQrPayload, randomCardCode } from './lib/cards.js';
import { startServer } from './lib/server.js';
import { median, percentile, round } from './lib/stats.js';
import { launchTablet, scannerTypes, SCANNER_KEY_GAP_MS } from './lib/tablet.js';

export const title = 'Kiosk: check-in latency, first-load JavaScript, offline cold start';

const CHECK_INS = 64;
const UNKNOWN_EVERY = 3; // every third card is one the tablet has never seen
const COLD_RUNS = 6;
const THROTTLED_CHECK_INS = 31; // after the last cold start, offline, throttled, camera running: the tablet stand-in
/** The app under its own CSP, as it ships (the e2e tablet bypasses it to inject axe). */
const TABLET = { bypassCSP: false };
const CPU_SLOWDOWN = 4;
/** A scanner's keys, as stamped on the key events (scanners send a key every 1–20 ms). */
const LIVE_TEXT = '読み取り中';

/** @typedef {{ name: string, value: number | string, unit: string, budget: string, pass: boolean }} Budget */
/** @typedef {(s: string) => void} Log */
/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/**
 * What the init script records, in ms since navigation start (performance.now() of the document).
 * `cam` is the main-thread time of the camera's frame path, call by call (see kioskProbe).
 * @typedef {{ n: number, ms: number }} Calls
 * @typedef {{ callbacks: Calls, videoFrames: Calls, posts: Calls, results: Calls, bitmaps: Calls, roundTrips: number[] }} CameraCalls
 * @typedef {{ starting?: number, liveDom?: number, live?: number, worker?: number, workerUrl?: string, decoderReady?: number, csp: string[], cam: CameraCalls }} KioskTimes
 */

/** @param {number} x */
const ms = (x) => `${round(x, 1).toLocaleString('en-US')} ms`;
/** @param {number} bytes */
const kb = (bytes) => round(bytes / 1024, 1);

/**
 * Runs in every page at document start: notes when the Scanner's status line first says it is
 * starting and live (in the DOM, and one frame later, as the kiosk marks its own paints), and when
 * the decoder worker is created and says it is ready.
 *
 * And the main thread's share of the camera's frame path, as it ships (src/lib/client/scan): each
 * call below is wrapped and timed where it runs, on the page's main thread —
 * - the video's requestVideoFrameCallback callbacks (the camera controller's per-frame work: the
 *   grab, when it takes one, runs inside the callback up to handing the frame to the decoder);
 * - within them, `new VideoFrame(video)` and the decoder worker's `postMessage` of a decode request;
 * - the worker's answers (`onmessage` handlers of result messages), and each decode's round trip
 *   (request posted → result handled);
 * - `createImageBitmap`, the path for browsers without VideoFrame (counted, to show whether it ran).
 */
function kioskProbe() {
	/** @type {(c: { n: number, ms: number }, start: number) => void} */
	const add = (c, start) => {
		c.n++;
		c.ms += performance.now() - start;
	};
	const calls = () => ({ n: 0, ms: 0 });
	/** @type {KioskTimes} */
	const t = {
		csp: [],
		cam: { callbacks: calls(), videoFrames: calls(), posts: calls(), results: calls(), bitmaps: calls(), roundTrips: [] }
	};
	const cam = t.cam;
	/** @type {any} */ (window).__kiosk = t;
	document.addEventListener('securitypolicyviolation', (e) =>
		t.csp.push(`${e.effectiveDirective} ${e.blockedURI} from ${e.sourceFile.replace(/^.*\/immutable\//, '')}:${e.lineNumber}:${e.columnNumber}`)
	);
	const check = () => {
		for (const el of document.querySelectorAll('[role="status"]')) {
			const text = el.textContent ?? '';
			if (text.includes('カメラを起動') && t.starting === undefined) t.starting = performance.now();
			if (text.includes('読み取り中') && t.liveDom === undefined) {
				t.liveDom = performance.now();
				requestAnimationFrame(() => setTimeout(() => (t.live = performance.now()), 0));
			}
		}
	};
	new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });

	const video = /** @type {any} */ (HTMLVideoElement.prototype);
	const requestFrame = video.requestVideoFrameCallback;
	if (typeof requestFrame === 'function') {
		video.requestVideoFrameCallback = function (/** @type {(now: number, meta: unknown) => void} */ callback) {
			return requestFrame.call(this, (/** @type {number} */ now, /** @type {unknown} */ meta) => {
				const start = performance.now();
				try {
					return callback(now, meta);
				} finally {
					add(cam.callbacks, start);
				}
			});
		};
	}
	const NativeVideoFrame = /** @type {any} */ (window).VideoFrame;
	if (typeof NativeVideoFrame === 'function') {
		/** @type {any} */ (window).VideoFrame = new Proxy(NativeVideoFrame, {
			construct(target, args) {
				const start = performance.now();
				try {
					return Reflect.construct(target, args);
				} finally {
					if (args[0] instanceof HTMLVideoElement) add(cam.videoFrames, start);
				}
			}
		});
	}
	const grab = window.createImageBitmap;
	/** @type {any} */ (window).createImageBitmap = (/** @type {any[]} */ ...args) => {
		const start = performance.now();
		try {
			return grab.apply(window, /** @type {any} */ (args));
		} finally {
			add(cam.bitmaps, start);
		}
	};
	/** Decode requests in flight: id → when posted. @type {Map<number, number>} */
	const posted = new Map();
	const Native = window.Worker;
	window.Worker = class extends Native {
		/** @param {string | URL} url @param {WorkerOptions} [opts] */
		constructor(url, opts) {
			super(url, opts);
			t.worker ??= performance.now();
			t.workerUrl ??= new URL(url, location.href).href;
			this.addEventListener('message', (e) => {
				if (e.data?.type === 'ready') t.decoderReady ??= performance.now();
			});
		}
		/** @param {any} message @param {any} [transfer] */
		postMessage(message, transfer) {
			const start = performance.now();
			try {
				return super.postMessage(message, transfer);
			} finally {
				if (message?.type === 'decode') {
					add(cam.posts, start);
					posted.set(message.id, start);
				}
			}
		}
		get onmessage() {
			return super.onmessage;
		}
		set onmessage(handler) {
			super.onmessage =
				typeof handler === 'function'
					? (/** @type {MessageEvent} */ e) => {
							const start = performance.now();
							try {
								return handler.call(this, e);
							} finally {
								if (e.data?.type === 'result') {
									add(cam.results, start);
									const sent = posted.get(e.data.id);
									posted.delete(e.data.id);
									if (sent !== undefined) cam.roundTrips.push(performance.now() - sent);
								}
							}
						}
					: handler;
		}
	};
}

/**
 * The camera's frame path over a stretch of time, from two readings of the probe: what ran on the
 * main thread, per grabbed frame and per second.
 * @param {CameraCalls} a
 * @param {CameraCalls} b
 * @param {number} wallMs
 */
function cameraWork(a, b, wallMs) {
	/** @param {'callbacks' | 'videoFrames' | 'posts' | 'results' | 'bitmaps'} k */
	const d = (k) => ({ n: b[k].n - a[k].n, ms: b[k].ms - a[k].ms });
	const callbacks = d('callbacks');
	const videoFrames = d('videoFrames');
	const results = d('results');
	const grabs = videoFrames.n + d('bitmaps').n;
	// The grab (VideoFrame or createImageBitmap, and the postMessage) runs inside the callback.
	const mainMs = callbacks.ms + results.ms;
	return {
		wallMs,
		callbacks,
		videoFrames,
		posts: d('posts'),
		results,
		bitmaps: d('bitmaps'),
		roundTrips: b.roundTrips.slice(a.roundTrips.length),
		grabs,
		mainMs,
		perGrabMs: grabs ? mainMs / grabs : NaN,
		perSecondMs: mainMs / (wallMs / 1000)
	};
}

/**
 * A sentence on the camera's main-thread work, from cameraWork's figures.
 * @param {ReturnType<typeof cameraWork>} w
 */
function cameraText(w) {
	const ms2 = (/** @type {number} */ x) => `${round(x, 2).toLocaleString('en-US')} ms`;
	const each = (/** @type {{ n: number, ms: number }} */ c) => (c.n ? `${c.n} calls, ${ms(c.ms)} in all, ${ms2(c.ms / c.n)} each` : 'no call');
	const rest = w.callbacks.ms - w.videoFrames.ms - w.posts.ms - w.bitmaps.ms;
	return (
		`Meanwhile, in the ${ms(w.wallMs)}, the camera’s frame path on the main thread (each call timed where it runs, by the clock: time the thread waited for a core while in a call counts too): ` +
		`${w.callbacks.n} video-frame callbacks (${(w.callbacks.n / (w.wallMs / 1000)).toFixed(1)} a second) took ${ms(w.callbacks.ms)} in all; within them \`new VideoFrame(video)\` ${each(w.videoFrames)}, ` +
		`the decode requests’ \`postMessage\` ${each(w.posts)}, \`createImageBitmap\` (the path without VideoFrame) ${each(w.bitmaps)}, and the rest of the callbacks’ time ${ms(rest)} (${ms2(rest / Math.max(1, w.callbacks.n))} a callback); ` +
		`the worker’s answers were handled in ${each(w.results)}. ` +
		`${w.grabs} frames grabbed (${(w.grabs / (w.wallMs / 1000)).toFixed(1)} a second): **${ms2(w.perGrabMs)} of main-thread time per grabbed frame, ${ms(w.perSecondMs)} per second** ` +
		`(${((100 * w.perSecondMs) / 1000).toFixed(2)} % of the main thread), callbacks that grabbed nothing included. ` +
		(w.roundTrips.length
			? `A decode’s round trip (posted → answer handled, the worker’s time included): median ${ms(median(w.roundTrips))}, p95 ${ms(percentile(w.roundTrips, 95))}.`
			: '')
	);
}

/** @param {Page} page @returns {Promise<KioskTimes>} */
const kioskTimes = (page) => page.evaluate(() => /** @type {any} */ (window).__kiosk);

/** @param {Page} page */
async function waitLive(page, timeout = 30_000) {
	await page.waitForFunction(() => /** @type {any} */ (window).__kiosk?.live !== undefined, null, { timeout });
}

/** @param {Page} page @param {string} name @param {string} pin */
async function unlockStaff(page, name, pin) {
	await page.getByRole('button', { name }).click();
	for (const d of pin) await page.getByRole('button', { name: d, exact: true }).click();
	await page.getByRole('button', { name: 'OK' }).click();
}

/** @param {Page} page */
async function dismiss(page) {
	await page.getByTestId('confirmation').locator('button.close').click();
	await page.getByTestId('confirmation').waitFor({ state: 'detached' });
}

/**
 * Check the cards in one after another with the wedge scanner, each confirmation dismissed by a
 * tap; the time of each from the kiosk's marks. Known cards must be checked in (tone ok), unknown
 * ones welcomed as a household still to come (ようこそ).
 * @param {Page} page
 * @param {Array<{ code: string, known: boolean }>} plan
 * @returns {Promise<Array<{ known: boolean, ms: number, text: string }>>}
 */
async function checkInAll(page, plan) {
	const out = [];
	for (const { code, known } of plan) {
		await page.evaluate(() => {
			performance.clearMarks('hiroba:code-read');
			performance.clearMarks('hiroba:confirmation-painted');
		});
		await scannerTypes(page, cardQrPayload(code), { keyGapMs: SCANNER_KEY_GAP_MS });
		await page.waitForFunction(() => performance.getEntriesByName('hiroba:confirmation-painted').length > 0, null, { timeout: 15_000 });
		const m = await page.evaluate(() => {
			const read = performance.getEntriesByName('hiroba:code-read');
			const painted = performance.getEntriesByName('hiroba:confirmation-painted');
			const box = document.querySelector('[data-testid="confirmation"]');
			return {
				reads: read.length,
				ms: (painted[0]?.startTime ?? NaN) - (read[0]?.startTime ?? NaN),
				text: (box?.textContent ?? '').replace(/\s+/g, ' ').trim(),
				ok: box?.classList.contains('ok') ?? false
			};
		});
		if (m.reads !== 1) throw new Error(`expected one code-read mark, found ${m.reads}`);
		// A known family is greeted in its own language; an unknown card in the screen's (ja).
		if (!m.ok || (!known && !m.text.includes('ようこそ'))) throw new Error(`${known ? 'known' : 'unknown'} card ${code}: confirmation says "${m.text}"`);
		out.push({ known, ms: m.ms, text: m.text });
		await dismiss(page);
	}
	return out;
}

/**
 * A plain-JS busy loop, to check that the CPU throttling reached the page's renderer.
 * @param {Page} page
 */
const busyLoopMs = (page) =>
	page.evaluate(() => {
		const start = performance.now();
		let x = 0;
		for (let i = 0; i < 3e6; i++) x = (x * 31 + i) % 1000003;
		return { ms: performance.now() - start, x };
	});

/**
 * A CPU profile of the page's main thread (CDP Profiler, sampled every 200 µs) while `run` runs,
 * summed by where the time was spent: self time per function (name, script, line) and per script.
 * @param {import('playwright-core').CDPSession} session
 * @param {() => Promise<unknown>} run
 */
async function profiled(session, run) {
	await session.send('Profiler.enable');
	await session.send('Profiler.setSamplingInterval', { interval: 200 });
	await session.send('Profiler.start');
	await run();
	const { profile } =
		/** @type {{ profile: { nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number } }>, samples: number[], timeDeltas: number[] } }} */ (
			await session.send('Profiler.stop')
		);
	await session.send('Profiler.disable');
	const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
	/** @type {Map<string, number>} */
	const fns = new Map();
	/** @type {Map<string, number>} */
	const scripts = new Map();
	let total = 0;
	profile.samples.forEach((id, i) => {
		const us = profile.timeDeltas[i + 1] ?? 0;
		const f = byNode.get(id)?.callFrame;
		if (!f) return;
		total += us;
		const file = f.url ? f.url.replace(/^.*\/immutable\//, '').replace(/^https?:\/\/[^/]+\//, '/') : '';
		const fn = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
		fns.set(fn, (fns.get(fn) ?? 0) + us);
		const script = file || f.functionName || '(other)';
		scripts.set(script, (scripts.get(script) ?? 0) + us);
	});
	const top = (/** @type {Map<string, number>} */ m, /** @type {number} */ n) =>
		[...m]
			.sort((a, b) => b[1] - a[1])
			.slice(0, n)
			.map(([k, us]) => ({ what: k, ms: us / 1000 }));
	const appScriptsMs = [...scripts].filter(([k]) => /\.js$/.test(k)).reduce((a, [, us]) => a + us, 0) / 1000;
	const named = (/** @type {string} */ k) => (scripts.get(k) ?? 0) / 1000;
	return { totalMs: total / 1000, appScriptsMs, programMs: named('(program)'), idleMs: named('(idle)'), functions: top(fns, 12), scripts: top(scripts, 10) };
}

/**
 * A DevTools timeline trace of the page's renderer main thread while `run` runs, summed by what the
 * thread did: self time per trace event (style, layout, paint, HTML parsing, script compilation and
 * evaluation…), so that the CPU profile's `(program)` is broken down. Wall time on the thread, as
 * throttled.
 * @param {import('playwright-core').CDPSession} session
 * @param {() => Promise<unknown>} run
 */
async function traced(session, run) {
	/** @typedef {{ name: string, ph: string, ts: number, dur?: number, pid: number, tid: number, args?: { name?: string } }} TraceEvent */
	/** @type {TraceEvent[]} */
	const events = [];
	const onData = (/** @type {{ value: Array<Record<string, unknown>> }} */ e) => events.push(.../** @type {TraceEvent[]} */ (/** @type {unknown} */ (e.value)));
	session.on('Tracing.dataCollected', onData);
	await session.send('Tracing.start', {
		traceConfig: {
			includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink', 'loading'],
			recordMode: 'recordAsMuchAsPossible'
		},
		transferMode: 'ReportEvents'
	});
	await run();
	const complete = new Promise((resolve) => session.once('Tracing.tracingComplete', resolve));
	await session.send('Tracing.end');
	await complete;
	session.off('Tracing.dataCollected', onData);
	// The renderer main threads; the page's is the busiest one.
	const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`);
	/** @type {Map<string, Array<{ name: string, start: number, end: number }>>} */
	const spans = new Map(mains.map((k) => [k, []]));
	/** @type {Map<string, Array<{ name: string, ts: number }>>} */
	const open = new Map();
	for (const e of events.slice().sort((a, b) => a.ts - b.ts)) {
		const key = `${e.pid}:${e.tid}`;
		const list = spans.get(key);
		if (!list) continue;
		if (e.ph === 'X' && typeof e.dur === 'number') list.push({ name: e.name, start: e.ts, end: e.ts + e.dur });
		else if (e.ph === 'B') (open.get(key) ?? open.set(key, []).get(key))?.push({ name: e.name, ts: e.ts });
		else if (e.ph === 'E') {
			const b = open.get(key)?.pop();
			if (b) list.push({ name: b.name, start: b.ts, end: e.ts });
		}
	}
	const busiest = [...spans.values()].sort((a, b) => b.reduce((s, x) => s + x.end - x.start, 0) - a.reduce((s, x) => s + x.end - x.start, 0))[0] ?? [];
	// Self time: each span minus the spans nested directly in it.
	busiest.sort((a, b) => a.start - b.start || b.end - a.end);
	/** @type {Map<string, number>} */
	const self = new Map();
	/** @type {Array<{ name: string, end: number, child: number, start: number }>} */
	const stack = [];
	const close = (/** @type {{ name: string, end: number, child: number, start: number }} */ s) => {
		self.set(s.name, (self.get(s.name) ?? 0) + Math.max(0, s.end - s.start - s.child));
		const parent = stack.at(-1);
		if (parent) parent.child += s.end - s.start;
	};
	for (const sp of busiest) {
		while (stack.length && /** @type {{ end: number }} */ (stack.at(-1)).end <= sp.start) close(/** @type {any} */ (stack.pop()));
		stack.push({ ...sp, child: 0 });
	}
	while (stack.length) close(/** @type {any} */ (stack.pop()));
	const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
	return {
		totalMs: totalUs / 1000,
		top: [...self]
			.sort((a, b) => b[1] - a[1])
			.slice(0, 14)
			.map(([what, us]) => ({ what, ms: us / 1000 }))
	};
}

/**
 * A trace as report lines: the main thread's time by what it did, largest first.
 * @param {string} title
 * @param {Awaited<ReturnType<typeof traced>> | null} t
 */
function traceReport(title, t) {
	if (!t) return [];
	const pct = (/** @type {number} */ x) => `${Math.round((100 * x) / t.totalMs)} %`;
	return [
		`**${title}:** ${ms(t.totalMs)} of trace events on the renderer's main thread (4× throttled; \`RunTask\` is a task's time outside the events under it).`,
		'',
		'| trace event (self time) | ms | share |',
		'| --- | --- | --- |',
		...t.top.map((x) => `| \`${x.what}\` | ${round(x.ms, 1)} | ${pct(x.ms)} |`),
		''
	];
}

/**
 * A profile as report lines: self time by script and by function, largest first.
 * @param {string} title
 * @param {Awaited<ReturnType<typeof profiled>> | null} p
 */
function profileReport(title, p) {
	if (!p) return [];
	// Chunks by the module Vite named them after (the build's manifest), so a reader knows what runs.
	const manifest = join('.svelte-kit', 'output', 'client', '.vite', 'manifest.json');
	/** @type {Map<string, string>} */
	const names = new Map();
	if (existsSync(manifest))
		for (const v of Object.values(/** @type {Record<string, { file: string, name?: string }>} */ (JSON.parse(readFileSync(manifest, 'utf8')))))
			if (v.name) names.set(v.file.replace(/^_app\/immutable\//, ''), v.name);
	const named = (/** @type {string} */ what) => what.replace(/((?:chunks|nodes|entry)\/[\w.-]+\.js)/, (f) => (names.has(f) ? `${f} (${names.get(f)})` : f));
	const pct = (/** @type {number} */ x) => `${Math.round((100 * x) / p.totalMs)} %`;
	return [
		`**${title}:** ${ms(p.totalMs)} of samples in all (4× throttled): the app's and libraries' JavaScript ${ms(p.appScriptsMs)} (${pct(p.appScriptsMs)}), ` +
			`\`(program)\` ${ms(p.programMs)} (${pct(p.programMs)}: the browser's own work on the thread outside JavaScript — parsing, style, layout, paint, IndexedDB and media plumbing), ` +
			`\`(idle)\` ${ms(p.idleMs)} (${pct(p.idleMs)}).`,
		'',
		'| self time by script | ms | share |',
		'| --- | --- | --- |',
		...p.scripts.map((x) => `| \`${named(x.what)}\` | ${round(x.ms, 1)} | ${pct(x.ms)} |`),
		'',
		'| self time by function | ms | share |',
		'| --- | --- | --- |',
		...p.functions.map((x) => `| \`${named(x.what)}\` | ${round(x.ms, 1)} | ${pct(x.ms)} |`),
		''
	];
}

/**
 * A CSP violation as the probe noted it (`directive blocked from file:line:col`), with the code at
 * that place in the built file.
 * @param {string} origin
 * @param {string} violation
 */
async function describeViolation(origin, violation) {
	const m = /^(.*) from (.+):(\d+):(\d+)$/.exec(violation);
	if (!m) return violation;
	const [, what, file, line, col] = m;
	try {
		const text = await (await fetch(`${origin}/_app/immutable/${file}`)).text();
		const at = text.split('\n')[Number(line) - 1] ?? '';
		const c = Number(col) - 1;
		const code = `…${at.slice(Math.max(0, c - 90), c + 30)}…`;
		// Inline code whose fence is longer than any run of backticks in it (minified code has them).
		const fence = '`'.repeat(Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length)) + 1);
		return `${what} at \`${file}\` ${line}:${col}, in ${fence} ${code} ${fence}`;
	} catch {
		return violation;
	}
}

/** @param {{ log: Log }} ctx */
export async function run(ctx) {
	/** @type {Array<() => Promise<unknown> | unknown>} */
	const cleanup = [];
	/** @type {Budget[]} */
	const budgets = [];
	/** @type {string[]} */
	const md = [];
	const release = () => releaseAll(cleanup, ctx.log);
	try {
		ctx.log('starting the Hiroba server (PGlite, demo data)…');
		const server = await startServer();
		cleanup.push(() => server.stop());
		if (!server.enrollmentCode) throw new Error('no enrollment code in the server banner');
		const siteName = server.banner.match(/登録コード: [0-9A-Z-]+ {2}for (\S+)/)?.[1];
		/** @type {Array<{ id: string, nameJa: string, program: string }>} */
		const sites = server.admin(['sites']).sites;
		const featured = sites.find((s) => s.nameJa === siteName);
		if (!featured) throw new Error(`no site named ${siteName} in \`admin sites\``);
		// A tablet holds the families of its own sites only, and one site of the demo ward has too few
		// for this many distinct check-ins: the bench tablet is enrolled at every site of the featured
		// site's program (a tablet shared by several sites), so it holds enough families.
		const benchSites = sites.filter((s) => s.program === featured.program).map((s) => s.id);
		/** @type {{ code: string }} */
		const tabletCode = server.admin(['enroll-code', ...benchSites]);

		// A probe device at the same sites reads the card codes of the families the tablet holds.
		/** @type {{ code: string }} */
		const probeCode = server.admin(['enroll-code', ...benchSites]);
		const enrolled = await fetch(`${server.url}/api/v1/devices/enroll`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ code: probeCode.code, name: 'bench probe' })
		});
		if (!enrolled.ok) throw new Error(`probe enrollment: HTTP ${enrolled.status}`);
		const { token } = /** @type {{ token: string }} */ (await enrolled.json());
		/** @type {string[]} */
		const cards = [];
		for (let since = '0'; ;) {
			const r = await fetch(`${server.url}/api/v1/sync/pull?since=${since}&limit=5000`, { headers: { authorization: `Bearer ${token}` } });
			const body = /** @type {{ changes: Array<{ table: string, data: { cardCode: string } }>, cursor: string, more: boolean }} */ (await r.json());
			for (const c of body.changes) if (c.table === 'households') cards.push(c.data.cardCode);
			since = body.cursor;
			if (!body.more) break;
		}
		const knownNeeded = CHECK_INS - Math.floor(CHECK_INS / UNKNOWN_EVERY) + 2 * THROTTLED_CHECK_INS;
		if (cards.length < knownNeeded)
			throw new Error(`only ${cards.length} demo households at the bench tablet's ${benchSites.length} sites; need ${knownNeeded}`);

		const work = mkdtempSync(join(tmpdir(), 'hiroba-bench-kiosk-'));
		cleanup.push(() => rmSync(work, { recursive: true, force: true }));
		const profile = join(work, 'profile');

		// ── Set-up, as staff do it ─────────────────────────────────────────────────────────────
		ctx.log('tablet: enroll at /staff, unlock, open today’s session, start the kiosk…');
		/** @type {BrowserContext | null} */
		let tablet = await launchTablet(profile, null, TABLET);
		cleanup.push(() => tablet?.close());
		await tablet.addInitScript(kioskProbe);
		let page = tablet.pages()[0] ?? (await tablet.newPage());
		/** @type {string[]} */
		const pageErrors = [];
		page.on('pageerror', (e) => pageErrors.push(e.message));
		await page.goto(`${server.url}/staff`);
		await page.getByLabel('登録コード').fill(tabletCode.code);
		await page.getByLabel('端末の名前').fill(`${siteName} 受付（ベンチ）`);
		await page.getByRole('button', { name: '登録する' }).click();
		await page.getByRole('button', { name: '相談員 山田' }).waitFor({ timeout: 30_000 });
		await unlockStaff(page, '相談員 山田', '482193');
		await page.getByRole('heading', { name: '今日の開催' }).waitFor();
		await page.getByRole('button', { name: '開始する' }).first().click();
		await page.getByRole('button', { name: '受付画面（キオスク）へ' }).click();
		await page.waitForURL(`${server.url}/kiosk`);
		await waitLive(page);
		// The service worker: installed, activated and controlling this page (it claims clients).
		const controlled = await page.evaluate(async () => {
			await navigator.serviceWorker.ready;
			for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 50));
			return navigator.serviceWorker.controller !== null;
		});
		if (!controlled) throw new Error('the service worker does not control /kiosk');
		const unthrottledLoop = await busyLoopMs(page);
		/** @type {string[]} */
		const cspViolations = [];

		// ── 1. Check-in latency ────────────────────────────────────────────────────────────────
		ctx.log(`1. ${CHECK_INS} check-ins by the keyboard-wedge scanner…`);
		/** @type {Array<{ code: string, known: boolean }>} */
		const plan = [];
		let nextKnown = 0;
		for (let i = 0; i < CHECK_INS; i++) {
			if (i % UNKNOWN_EVERY === UNKNOWN_EVERY - 1) plan.push({ code: randomCardCode(), known: false });
			else plan.push({ code: /** @type {string} */ (cards[nextKnown++]), known: true });
		}
		/** @type {Array<{ code: string, known: boolean }>} */
		const offlinePlan = [];
		for (let i = 0; i < 2 * THROTTLED_CHECK_INS; i++) offlinePlan.push({ code: /** @type {string} */ (cards[nextKnown++]), known: true });
		const camBefore = (await kioskTimes(page)).cam;
		const wallBefore = await page.evaluate(() => performance.now());
		const checkIns = await checkInAll(page, plan);
		const camAfter = (await kioskTimes(page)).cam;
		const camera = cameraWork(camBefore, camAfter, (await page.evaluate(() => performance.now())) - wallBefore);
		// Every check-in is a visit in the tablet's IndexedDB.
		const stored = await page.evaluate(
			(codes) =>
				new Promise((resolve, reject) => {
					const open = indexedDB.open('hiroba');
					open.onerror = () => reject(open.error);
					open.onsuccess = () => {
						const index = open.result.transaction('visits').objectStore('visits').index('cardCode');
						let found = 0;
						let left = codes.length;
						for (const c of codes)
							index.count(c).onsuccess = (e) => {
								if (/** @type {IDBRequest<number>} */ (e.target).result > 0) found++;
								if (--left > 0) return;
								open.result.close();
								resolve(found);
							};
					};
				}),
			plan.map((p) => p.code)
		);
		cspViolations.push(...(await kioskTimes(page)).csp);
		if (stored !== CHECK_INS) throw new Error(`only ${stored} of ${CHECK_INS} check-ins are visits in IndexedDB`);
		const all = checkIns.map((c) => c.ms);
		const known = checkIns.filter((c) => c.known).map((c) => c.ms);
		const unknown = checkIns.filter((c) => !c.known).map((c) => c.ms);
		const p95 = percentile(all, 95);
		budgets.push({
			name: `code read → visit in IndexedDB → confirmation painted: p50 (${CHECK_INS} wedge check-ins)`,
			value: round(median(all), 1),
			unit: 'ms',
			budget: 'information',
			pass: true
		});
		budgets.push({
			name: `… p95, unthrottled (the budget is held on the tablet stand-in, below)`,
			value: round(p95, 1),
			unit: 'ms',
			budget: 'information',
			pass: true
		});
		budgets.push({
			name: 'camera running, unthrottled: main-thread time of the frame path, per grabbed frame / per second',
			value: `${round(camera.perGrabMs, 2)} / ${round(camera.perSecondMs, 1)}`,
			unit: 'ms',
			budget: 'information',
			pass: true
		});

		// ── 2. First-load JavaScript ───────────────────────────────────────────────────────────
		ctx.log('2. first-load JavaScript of /kiosk (HTTP cache cleared, service worker bypassed)…');
		await page.close();
		page = await tablet.newPage();
		page.on('pageerror', (e) => pageErrors.push(e.message));
		/** @type {Map<string, Buffer>} */
		const bodies = new Map();
		/** @type {Promise<unknown>[]} */
		const reading = [];
		page.on('response', (r) => {
			if (/\.(m?js|wasm)(\?|$)/.test(r.url()) && r.ok())
				reading.push(
					r.body().then(
						(b) => bodies.set(r.url(), b),
						() => undefined
					)
				);
		});
		const cdp = await tablet.newCDPSession(page);
		await cdp.send('Network.enable');
		await cdp.send('Network.clearBrowserCache');
		await cdp.send('Network.setBypassServiceWorker', { bypass: true });
		/** @type {string[]} */
		const workerResources = [];
		page.on('worker', (w) => {
			void w
				.evaluate(async () => {
					// The worker posts 'ready' once its WebAssembly is compiled; by then it is fetched.
					for (let i = 0; i < 200 && !performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')); i++)
						await new Promise((r) => setTimeout(r, 50));
					return performance.getEntriesByType('resource').map((e) => e.name);
				})
				.then(
					(names) => workerResources.push(...names),
					() => undefined
				);
		});
		await page.goto(`${server.url}/kiosk`);
		await waitLive(page);
		await page.waitForFunction(() => /** @type {any} */ (window).__kiosk?.decoderReady !== undefined, null, { timeout: 30_000 });
		await page.waitForLoadState('networkidle');
		// The first network idle is not the end of the load: the page may fetch more by itself later
		// (idle-time imports). Count to the last script it fetches on its own: wait until nothing new
		// has been requested for QUIET_MS (without touching the page), at most LOAD_CAP_MS.
		const QUIET_MS = 6000;
		const LOAD_CAP_MS = 30_000;
		const settleStart = Date.now();
		for (let seen = -1, quietSince = Date.now(); Date.now() - settleStart < LOAD_CAP_MS; await page.waitForTimeout(250)) {
			const n = await page.evaluate(() => performance.getEntriesByType('resource').length);
			if (n !== seen) [seen, quietSince] = [n, Date.now()];
			else if (Date.now() - quietSince >= QUIET_MS) break;
		}
		const settledMs = Date.now() - settleStart;
		const firstLoadTimes = await kioskTimes(page);
		/** @type {Array<{ name: string, startTime: number, initiatorType: string }>} */
		const resources = await page.evaluate(() =>
			performance
				.getEntriesByType('resource')
				.map((e) => ({ name: e.name, startTime: e.startTime, initiatorType: /** @type {PerformanceResourceTiming} */ (e).initiatorType }))
		);
		await Promise.all(reading);
		const workerAt = firstLoadTimes.worker ?? Infinity;
		const workerUrl = firstLoadTimes.workerUrl ?? '';
		const isDecoder = (/** @type {string} */ u) => u === workerUrl || /\.wasm(\?|$)/.test(u) || workerResources.includes(u);
		const scripts = resources.filter((r) => /\.m?js(\?|$)/.test(r.name) && r.name.startsWith(server.url) && !isDecoder(r.name));
		/** @param {string} url */
		const sizeOf = async (url) => {
			let body = bodies.get(url);
			if (!body) {
				const r = await fetch(url);
				if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
				body = Buffer.from(await r.arrayBuffer());
			}
			return { url, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
		};
		const first = await Promise.all(scripts.filter((r) => r.startTime < workerAt).map((r) => sizeOf(r.name)));
		const later = await Promise.all(scripts.filter((r) => r.startTime >= workerAt).map((r) => sizeOf(r.name)));
		const lastScriptAt = Math.max(0, ...scripts.map((r) => r.startTime));
		const decoderUrls = [...new Set([workerUrl, ...workerResources.filter((u) => u.startsWith(server.url))].filter(Boolean))];
		const decoder = await Promise.all(decoderUrls.map(sizeOf));
		const sum = (/** @type {Array<{ raw: number, gzip: number }>} */ xs, /** @type {'raw' | 'gzip'} */ k) => xs.reduce((a, x) => a + x[k], 0);
		const firstGzip = sum(first, 'gzip');
		const ownGzip = firstGzip + sum(later, 'gzip');
		budgets.push({
			name: `/kiosk first-load JavaScript: every script the page fetched on its own (${first.length + later.length}, the decoder aside), gzip -9`,
			value: kb(ownGzip),
			unit: 'KB',
			budget: '≤ 120 KB',
			pass: ownGzip <= 120 * 1024
		});
		budgets.push({
			name: `… of which before the decoder worker was created (${first.length} scripts)`,
			value: kb(firstGzip),
			unit: 'KB',
			budget: 'information',
			pass: true
		});
		budgets.push({ name: 'lazily loaded decoder (worker + wasm), gzip -9', value: kb(sum(decoder, 'gzip')), unit: 'KB', budget: 'information', pass: true });

		// ── 3. Offline cold start ──────────────────────────────────────────────────────────────
		await tablet.close();
		tablet = null;
		ctx.log(`3. offline cold start, ${CPU_SLOWDOWN}× CPU throttling, ${COLD_RUNS} relaunches…`);
		/** @type {Array<KioskTimes & { nav: { responseEnd: number, dcl: number, load: number, fcp: number | null }, controlled: boolean, loop: number }>} */
		const cold = [];
		/** @type {Array<{ known: boolean, ms: number, text: string }>} */
		let throttled = [];
		/** @type {ReturnType<typeof cameraWork> | null} */
		let throttledCamera = null;
		/** @type {Awaited<ReturnType<typeof profiled>> | null} */
		let coldProfile = null;
		/** @type {Awaited<ReturnType<typeof traced>> | null} */
		let coldTrace = null;
		let coldTraceLive = NaN;
		/** @type {Awaited<ReturnType<typeof profiled>> | null} */
		let checkInProfile = null;
		// Run −1 is traced and not counted (a trace costs the page more than the profiler does).
		for (let i = -1; i < COLD_RUNS; i++) {
			tablet = await launchTablet(profile, null, TABLET);
			await tablet.addInitScript(kioskProbe);
			await tablet.setOffline(true);
			const p = tablet.pages()[0] ?? (await tablet.newPage());
			p.on('pageerror', (e) => pageErrors.push(e.message));
			const session = await tablet.newCDPSession(p);
			await session.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
			const load = async () => {
				await p.goto(`${server.url}/kiosk`);
				await waitLive(p);
			};
			// The last start is profiled (the others are not, so the profiler's cost is in one run only).
			if (i === COLD_RUNS - 1) coldProfile = await profiled(session, load);
			else if (i === -1) coldTrace = await traced(session, load);
			else await load();
			const times = await kioskTimes(p);
			const nav = await p.evaluate(() => {
				const n = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0]);
				const fcp = performance.getEntriesByName('first-contentful-paint')[0];
				return { responseEnd: n.responseEnd, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, fcp: fcp ? fcp.startTime : null };
			});
			const controlled = await p.evaluate(() => navigator.serviceWorker.controller !== null);
			const loop = (await busyLoopMs(p)).ms;
			cspViolations.push(...times.csp);
			if (i === -1) {
				coldTraceLive = times.live ?? NaN;
				await tablet.close();
				tablet = null;
				continue;
			}
			cold.push({ ...times, nav, controlled, loop });
			if (i === COLD_RUNS - 1) {
				// Still offline and throttled: families check in with the barcode scanner.
				const before = { cam: (await kioskTimes(p)).cam, at: await p.evaluate(() => performance.now()) };
				checkInProfile = await profiled(session, async () => (throttled = await checkInAll(p, offlinePlan.slice(0, THROTTLED_CHECK_INS))));
				const after = await kioskTimes(p);
				throttledCamera = cameraWork(before.cam, after.cam, (await p.evaluate(() => performance.now())) - before.at);
				cspViolations.push(...after.csp);
			}
			await tablet.close();
			tablet = null;
		}
		// The same, with the camera refused (getUserMedia rejects; the wedge scanner still works):
		// how much of the check-in time under throttling is the camera's frame grabbing.
		ctx.log('   …and the throttled check-ins again with no camera…');
		tablet = await launchTablet(profile, null, TABLET);
		await tablet.addInitScript(kioskProbe);
		await tablet.addInitScript(() => {
			navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no camera (benchmark)', 'NotFoundError'));
		});
		await tablet.setOffline(true);
		const noCameraPage = tablet.pages()[0] ?? (await tablet.newPage());
		await (await tablet.newCDPSession(noCameraPage)).send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
		await noCameraPage.goto(`${server.url}/kiosk`);
		await noCameraPage.getByRole('button', { name: 'はじめての方' }).waitFor({ timeout: 30_000 });
		const noCamera = await checkInAll(noCameraPage, offlinePlan.slice(THROTTLED_CHECK_INS));
		await tablet.close();
		tablet = null;
		const noCameraMs = noCamera.map((c) => c.ms);

		const live = cold.map((c) => c.live ?? NaN);
		const liveMedian = median(live);
		const liveMax = Math.max(...live);
		budgets.push({
			name: `offline cold start → scanner ${LIVE_TEXT}, ${CPU_SLOWDOWN}× CPU throttling: median of ${COLD_RUNS}`,
			value: Math.round(liveMedian),
			unit: 'ms',
			budget: '≤ 1,500 ms',
			pass: liveMedian <= 1500
		});
		budgets.push({ name: `… slowest of ${COLD_RUNS}`, value: Math.round(liveMax), unit: 'ms', budget: '≤ 1,500 ms', pass: liveMax <= 1500 });
		const offlineCheckIn = throttled[0]?.text ?? '';
		const offlineOk = throttled.length === THROTTLED_CHECK_INS;
		budgets.push({
			name: 'offline, throttled, after a cold start: wedge check-ins are confirmed',
			value: `${throttled.length} of ${THROTTLED_CHECK_INS}`,
			unit: '',
			budget: 'all',
			pass: offlineOk
		});
		const throttledMs = throttled.map((c) => c.ms);
		// DESIGN.md holds the check-in budget on the tablet stand-in: 4× CPU throttling with the
		// camera running. Every check-in after the cold start counts, the first one included.
		const standInP95 = percentile(throttledMs, 95);
		budgets.push({
			name: `code read → visit in IndexedDB → confirmation painted, tablet stand-in (${CPU_SLOWDOWN}× throttled, camera running, offline after a cold start): p95 of ${throttledMs.length}`,
			value: round(standInP95, 1),
			unit: 'ms',
			budget: '≤ 100 ms',
			pass: standInP95 <= 100
		});
		budgets.push({
			name: `… the first after the cold start / p50 of all`,
			value: `${round(throttledMs[0] ?? NaN, 1)} / ${round(median(throttledMs), 1)}`,
			unit: 'ms',
			budget: 'information',
			pass: true
		});
		if (throttledCamera)
			budgets.push({
				name: `… camera running, ${CPU_SLOWDOWN}× throttled: main-thread time of the frame path, per grabbed frame / per second`,
				value: `${round(throttledCamera.perGrabMs, 2)} / ${round(throttledCamera.perSecondMs, 1)}`,
				unit: 'ms',
				budget: 'information',
				pass: true
			});
		budgets.push({
			name: `… the same with no camera (getUserMedia refused), after the first: p50 / p95`,
			value: `${round(median(noCameraMs.slice(1)), 1)} / ${round(percentile(noCameraMs.slice(1), 95), 1)}`,
			unit: 'ms',
			budget: 'information',
			pass: true
		});
		const notControlled = cold.filter((c) => !c.controlled).length;

		// ── Report ─────────────────────────────────────────────────────────────────────────────
		const name = (/** @type {string} */ url) => new URL(url).pathname.replace(/^\/_app\/immutable\//, '');
		const rows = (/** @type {Array<{ url: string, raw: number, gzip: number }>} */ xs) =>
			[...xs]
				.sort((a, b) => b.gzip - a.gzip)
				.map((x) => `| \`${name(x.url)}\` | ${kb(x.raw)} KB | ${kb(x.gzip)} KB |`)
				.join('\n');
		md.push(
			'### 1. Code read → visit committed → confirmation painted',
			'',
			`${CHECK_INS} check-ins of distinct cards, typed by a keyboard-wedge scanner (all key events of \`HIROBA:XXXX-…\` and Enter sent at once through CDP, stamped ${SCANNER_KEY_GAP_MS} ms apart as a scanner’s are), ` +
				`on the set-up tablet (enrolled at /staff with the banner code, today’s session opened), camera live on Chromium’s fake device, no CPU throttling. ` +
				`Each confirmation is dismissed by a tap before the next card. Time = \`hiroba:confirmation-painted\` − \`hiroba:code-read\`, the kiosk’s own marks: ` +
				`the IndexedDB transaction (session, the day’s visits, household lookup, visit and outbox writes), the overlay’s render, and the next frame. ` +
				`Every check-in was found as a visit in the tablet’s IndexedDB afterwards.`,
			'',
			'| cards | n | p50 | p95 | max |',
			'| --- | --- | --- | --- | --- |',
			...[
				['all', all],
				['demo households (checked in, greeted in the family’s language)', known],
				['valid cards unknown to the tablet (ようこそ, household pending)', unknown]
			].map(([label, xs]) => {
				const v = /** @type {number[]} */ (xs);
				return `| ${label} | ${v.length} | ${ms(median(v))} | ${ms(percentile(v, 95))} | ${ms(Math.max(...v))} |`;
			}),
			'',
			`In order (ms): ${all.map((x) => Math.round(x)).join(', ')}.`,
			'',
			cameraText(camera),
			'',
			'### 2. First-load JavaScript of /kiosk',
			'',
			`A new tab on the set-up tablet, HTTP cache cleared and the service worker bypassed (so every byte comes from the network), navigated to /kiosk. ` +
				`Counted: every same-origin script the page requested on its own (Resource Timing, modulepreloads included), the decoder (its worker and what the worker fetched) aside. ` +
				`The table lists those requested before the Scanner created its decoder worker (${ms(workerAt)} after navigation start); gzip -9 of each body with Node’s zlib: ` +
				`${kb(sum(first, 'raw'))} KB raw → ${kb(firstGzip)} KB gzip in ${first.length} scripts.`,
			'',
			'| script | raw | gzip -9 |',
			'| --- | --- | --- |',
			rows(first),
			'',
			later.length
				? `Fetched after the worker was requested, by the page on its own (not the decoder; counted in the budget): ${later.map((x) => `\`${name(x.url)}\` ${kb(x.gzip)} KB gzip at ${ms(scripts.find((r) => r.name === x.url)?.startTime ?? NaN)}`).join(', ')}; ` +
						`with them, **${kb(ownGzip)} KB gzip**.`
				: `No other script was fetched after the worker was requested, apart from the decoder; the last script was requested ${ms(lastScriptAt)} after navigation start.`,
			`The page was left untouched until no resource had been requested for ${QUIET_MS / 1000} s (it settled ${ms(settledMs)} after the first network idle, wall clock, quiet period included).`,
			'',
			`**Lazily loaded decoder** (fetched only when the Scanner starts, ${ms(workerAt)} → ready at ${ms(firstLoadTimes.decoderReady ?? NaN)}): ` +
				`${kb(sum(decoder, 'raw'))} KB raw → ${kb(sum(decoder, 'gzip'))} KB gzip.`,
			'',
			'| decoder file | raw | gzip -9 |',
			'| --- | --- | --- |',
			rows(decoder),
			'',
			'### 3. Offline cold start to a live scanner',
			'',
			`The set-up profile (service worker installed and controlling) closed and relaunched ${COLD_RUNS} times; each time: network off (\`context.setOffline(true)\`), ` +
				`\`Emulation.setCPUThrottlingRate {rate: ${CPU_SLOWDOWN}}\` on the page, then navigation to /kiosk. Time from navigation start until the Scanner’s status line ` +
				`(role=status) says ${LIVE_TEXT}, taken one frame after the text appears. The throttling reached the renderer: a fixed busy loop took ` +
				`${ms(median(cold.map((c) => c.loop)))} (median) in the throttled pages against ${ms(unthrottledLoop.ms)} unthrottled ` +
				`(${round(median(cold.map((c) => c.loop)) / unthrottledLoop.ms, 1)}×). ${notControlled ? `**${notControlled} run(s) were not controlled by the service worker.**` : 'Every run was controlled by the service worker.'} ` +
				`(The throttling applies to the page’s main thread, not to the service worker or the decoder worker.)`,
			'',
			'| run | shell from SW (responseEnd) | first contentful paint | DOMContentLoaded | status カメラを起動 | status 読み取り中 (painted) | worker created | decoder ready |',
			'| --- | --- | --- | --- | --- | --- | --- | --- |',
			...cold.map(
				(c, i) =>
					`| ${i + 1} | ${ms(c.nav.responseEnd)} | ${c.nav.fcp === null ? '—' : ms(c.nav.fcp)} | ${ms(c.nav.dcl)} | ${c.starting === undefined ? '—' : ms(c.starting)} | **${ms(c.live ?? NaN)}** | ${c.worker === undefined ? '—' : ms(c.worker)} | ${c.decoderReady === undefined ? '—' : ms(c.decoderReady)} |`
			),
			'',
			`Median ${ms(liveMedian)}, slowest ${ms(liveMax)}. ${LIVE_TEXT} means the camera is live; the QR decoder may still be loading then ` +
				`(median ready at ${ms(median(cold.map((c) => c.decoderReady ?? NaN)))}); the wedge scanner works from the start.`,
			'',
			`After the last cold start, still offline and throttled, ${THROTTLED_CHECK_INS} demo cards checked in by the wedge scanner; the first said “${offlineCheckIn}”. ` +
				`Code read → confirmation painted (ms, in order): ${throttledMs.map((x) => Math.round(x)).join(', ')}. ` +
				(throttledCamera ? `${cameraText(throttledCamera)} (${CPU_SLOWDOWN}× throttled, profiler running.)` : ''),
			'',
			`The same once more with the camera refused (a further relaunch, offline, ${CPU_SLOWDOWN}×; the wedge scanner still works), ${THROTTLED_CHECK_INS} other cards: ` +
				`${noCameraMs.map((x) => Math.round(x)).join(', ')} ms — p50 ${ms(median(noCameraMs.slice(1)))} and p95 ${ms(percentile(noCameraMs.slice(1), 95))} after the first, ` +
				`against ${ms(median(throttledMs.slice(1)))} and ${ms(percentile(throttledMs.slice(1), 95))} with the camera running.`,
			'',
			...profileReport(
				`Where the main thread's time went in the last cold start (navigation → ${LIVE_TEXT}, profiled; its own time is in the table above)`,
				coldProfile
			),
			...traceReport(
				`The same, broken down by what the main thread did, from a DevTools trace of one more cold start, before the six and not counted in them (traced, not profiled; 読み取り中 at ${ms(coldTraceLive)})`,
				coldTrace
			),
			...profileReport(`Where the main thread's time went during the ${THROTTLED_CHECK_INS} stand-in check-ins after it (camera running)`, checkInProfile),
			cspViolations.length
				? `**CSP violations reported by the page** (the app runs under its own CSP here), ${cspViolations.length} in all: ` +
						(await Promise.all([...new Set(cspViolations)].map((v) => describeViolation(server.url, v)))).join('; ')
				: 'The app ran under its own CSP; the pages reported no CSP violation.',
			...(pageErrors.length ? ['', `Page errors: ${[...new Set(pageErrors)].slice(0, 5).join('; ')}`] : [])
		);
		return { markdown: md.join('\n'), budgets };
	} finally {
		await release();
	}
}
