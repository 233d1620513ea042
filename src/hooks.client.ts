import * as z from 'zod/mini';

// zod probes whether it may compile validators with `new Function`; under our CSP (no
// 'unsafe-eval') that probe is refused and logged as a violation on every page load. Tell zod
// up front not to try.
z.config({ jitless: true });
