/** Build the app if build/handler.js is missing or older than its sources; otherwise do nothing. */
import { ensureBuild } from './lib/build.js';

try {
	const built = await ensureBuild();
	if (!built) console.error('[hiroba] the build is up to date');
} catch (e) {
	console.error(`[hiroba] ${e instanceof Error ? e.message : String(e)}`);
	process.exit(1);
}
