/**
 * `npm run bench`: runs every benchmark in bench/*.bench.js (or those named on the command line,
 * e.g. `npm run bench -- sync`) and writes bench/RESULTS.md: one section per benchmark, with its
 * measurements and the DESIGN.md budget each is held to. Sections of benchmarks not run this time
 * are kept from the previous RESULTS.md, marked with the date they were measured.
 *
 * A benchmark module exports `title` and `run(ctx)`, which returns
 *   { markdown: string, budgets: Array<{ name, value, unit, budget, pass }> }.
 * ctx offers helpers from bench/lib (server, browser, vite page server) and `log`.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'RESULTS.md');

const only = process.argv.slice(2);
const files = readdirSync(HERE)
	.filter((f) => f.endsWith('.bench.js'))
	.filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
	.sort();

/** Previous sections, by benchmark file name, so a partial run keeps the others. */
function previousSections() {
	if (!existsSync(RESULTS)) return new Map();
	const text = readFileSync(RESULTS, 'utf8');
	const map = new Map();
	for (const m of text.matchAll(/<!-- bench:([\w.-]+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g)) map.set(m[1], m[2]);
	return map;
}

function chromiumVersion() {
	try {
		return execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
	} catch {
		return 'not installed';
	}
}

const sections = previousSections();
const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
let failures = 0;

for (const file of files) {
	const name = file.replace(/\.bench\.js$/, '');
	const mod = await import(pathToFileURL(join(HERE, file)).href);
	console.error(`\n▶ ${mod.title} (${file})`);
	const started = Date.now();
	try {
		const { markdown, budgets } = await mod.run({ log: (/** @type {string} */ s) => console.error(`  ${s}`) });
		const rows = budgets.map(
			(/** @type {{ name: string, value: number, unit: string, budget: string, pass: boolean }} */ b) =>
				`| ${b.name} | ${typeof b.value === 'number' ? b.value.toLocaleString('en-US', { maximumFractionDigits: 1 }) : b.value} ${b.unit} | ${b.budget} | ${b.pass ? '✅' : '❌'} |`
		);
		for (const b of budgets) if (!b.pass) failures++;
		const body = [
			`## ${mod.title}`,
			'',
			`_Measured ${date}, ${((Date.now() - started) / 1000).toFixed(0)} s._`,
			'',
			...(rows.length ? ['| measure | result | budget | |', '| --- | --- | --- | --- |', ...rows, ''] : []),
			markdown.trim(),
			''
		].join('\n');
		sections.set(name, body);
		console.error(
			budgets
				.map((/** @type {{ name: string, value: number, unit: string, pass: boolean }} */ b) => `  ${b.pass ? 'ok  ' : 'FAIL'} ${b.name}: ${b.value} ${b.unit}`)
				.join('\n')
		);
	} catch (e) {
		failures++;
		console.error(`  ✖ ${name} failed:`, e);
		sections.set(name, `## ${mod.title}\n\n_Run ${date} failed: ${String(e instanceof Error ? e.message : e).split('\n')[0]}_\n`);
	}
}

const out = [
	'# Benchmark results',
	'',
	'Written by `npm run bench` (bench/run.js); budgets from DESIGN.md "Performance budgets".',
	'',
	`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${chromiumVersion()}.`,
	'',
	...[...sections.entries()]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([name, body]) => `<!-- bench:${name} -->\n${body.trimEnd()}\n<!-- /bench:${name} -->\n`)
].join('\n');
writeFileSync(RESULTS, out);
console.error(`\nwrote ${RESULTS}${failures ? ` — ${failures} budget(s) missed or benchmark(s) failed` : ''}`);
