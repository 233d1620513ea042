/**
 * zod's own messages, in English, for the whole server process. The schemas shared with the tablet
 * are zod/mini, which registers no locale (so that the tablet downloads none): without this, a
 * refusal by a rule with no message of its own (a too-long nickname, a missing field) would reach
 * the API's answer, and the tablet's list of rejected records, as a bare "Invalid input". Classic
 * zod registers English only when it first builds a schema, which a request may never have done.
 * Imported for its effect by hooks.server.ts and by the device API's plumbing (http.ts), which
 * tests call without the hooks.
 */
import * as z from 'zod/mini';

z.config(z.locales.en());
