/**
 * `npm test`: Debian's Chromium if it is missing; then the unit tests and the build side by side
 * (the integration tests and journeys need the build; the unit tests do not), then the integration
 * tests and journeys in one vitest run. The build's output is held back and shown once the unit
 * tests are done, so the two do not interleave. Measured on 2 cores: the build (~38 s) mostly fits
 * in the unit tests' spare time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './lib/build.js';

/**
 * @param {string[]} args node's arguments
 * @param {boolean} hold keep the output and hand it back instead of showing it
 * @returns {Promise<{ code: number, output: string }>}
 */
function run(args, hold = false) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, { cwd: ROOT, stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
		let output = '';
		child.stdout?.setEncoding('utf8').on('data', (d) => (output += d));
		child.stderr?.setEncoding('utf8').on('data', (d) => (output += d));
		child.on('error', reject);
		child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
	});
}

const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const chromium = await run([join(ROOT, 'scripts', 'ensure-chromium.js')]);
if (chromium.code !== 0) process.exit(chromium.code);

const build = run([join(ROOT, 'scripts', 'ensure-build.js')], true);
const unit = await run([vitest, 'run', '--project', 'unit']);
const built = await build;
process.stderr.write(built.output);
if (unit.code !== 0) process.exit(unit.code);
if (built.code !== 0) process.exit(built.code);

const rest = await run([vitest, 'run', '--project', 'integration', '--project', 'e2e']);
process.exit(rest.code);
