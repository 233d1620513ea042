/**
 * `npm start`: build the app if needed, then serve everything from this one process (see
 * scripts/lib/host.js). Environment: PORT, HOST, HIROBA_DATA_DIR, DATABASE_URL, TLS_CERT_FILE,
 * TLS_KEY_FILE, ORIGIN, ADDRESS_HEADER, HIROBA_NO_DEMO (README.md).
 */
import { ensureBuild } from './lib/build.js';
import { errorMessage, serve } from './lib/host.js';

try {
	await ensureBuild();
	await serve();
} catch (e) {
	console.error(`[hiroba] ${errorMessage(e)}`);
	process.exit(1);
}
