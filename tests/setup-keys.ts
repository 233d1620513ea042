/**
 * Every test process seals to keys of its own, in a temporary folder, never in the project's
 * `./keys` (the default of a server started by hand). Servers started as child processes get a
 * folder beside their data folder (tests/server-process.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.HIROBA_KEY_DIR ||= mkdtempSync(join(tmpdir(), 'hiroba-keys-'));
