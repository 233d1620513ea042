/**
 * The one way server code reports an unexpected error. The centre logs no record data and no SQL
 * parameters (DESIGN.md, "Data minimisation"), and an error logged whole breaks that: a PostgreSQL
 * error's message quotes the value it refused (`invalid input syntax for type uuid: "…"`), its
 * `detail` and `where` quote rows and JSON (`Key (card_code)=(…) already exists`), and PGlite hangs
 * the query and its parameters on the error object. So a database error is logged by its SQLSTATE
 * and the names of what it concerns, never by its text; any other error by name, message and
 * stack frames.
 */

/** SQLSTATE: five digits or capital letters, e.g. `22P02`, `23505`. */
const SQLSTATE_RE = /^[0-9A-Z]{5}$/;

/**
 * Fields of a PostgreSQL error that name things (catalog identifiers) rather than quote values.
 * Deliberately absent: message, detail, hint, where, position, internalQuery, query, params, file,
 * line.
 */
const SAFE_DB_FIELDS = ['severity', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;

const MAX_MESSAGE = 1000;
const MAX_FRAMES = 20;
const MAX_DEPTH = 3;

export interface DatabaseErrorLike {
	code: string;
	severity?: string;
	schema?: string;
	table?: string;
	column?: string;
	dataType?: string;
	constraint?: string;
	routine?: string;
}

/**
 * An error from PostgreSQL or PGlite: it carries a SQLSTATE `code`. Node's system errors have
 * five-letter codes too (`EPIPE`), but also a `syscall`; taking one of them for a database error
 * would only log less of it.
 */
export function isDatabaseError(e: unknown): e is Error & DatabaseErrorLike {
	if (typeof e !== 'object' || e === null) return false;
	const code = (e as { code?: unknown }).code;
	return typeof code === 'string' && SQLSTATE_RE.test(code) && !('syscall' in e);
}

/** Control characters and lone surrogates escaped, so that a message cannot forge log lines. */
function printable(text: string): string {
	// eslint-disable-next-line no-control-regex -- finding control characters is the point
	return text.replace(/[\u0000-\u001f\u007f-\u009f\p{Cs}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The frames of a stack (`    at f (file:line:col)`): where it happened, without the message line(s). */
function frames(e: Error): string[] {
	return (e.stack ?? '')
		.split('\n')
		.filter((line) => /^\s+at /.test(line))
		.slice(0, MAX_FRAMES)
		.map((line) => `    ${printable(line.trim())}`);
}

/** What may be logged of an error: see the file comment. */
export function describeError(error: unknown, depth = 0): string {
	if (!(error instanceof Error)) {
		if (isDatabaseError(error)) return describeDatabaseError(error);
		// A thrown non-Error could be anything, record data included: its type is enough to go on.
		return `a thrown ${error === null ? 'null' : Array.isArray(error) ? 'array' : typeof error} (not an Error)`;
	}
	const lines = [isDatabaseError(error) ? describeDatabaseError(error) : describePlainError(error), ...frames(error)];
	if (depth < MAX_DEPTH) {
		if (error.cause !== undefined) lines.push(`  caused by: ${describeError(error.cause, depth + 1)}`);
		if (error instanceof AggregateError) {
			for (const inner of error.errors.slice(0, 3)) lines.push(`  including: ${describeError(inner, depth + 1)}`);
		}
	}
	return lines.join('\n');
}

function describeDatabaseError(e: DatabaseErrorLike): string {
	const facts = SAFE_DB_FIELDS.flatMap((k) => (typeof e[k] === 'string' && e[k] ? [`${k} ${printable(e[k]!)}`] : []));
	return `database error SQLSTATE ${e.code}${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

function describePlainError(e: Error): string {
	const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE)}… (${e.message.length} characters)` : e.message;
	return `${printable(e.name)}: ${printable(message)}`;
}

/** Log an unexpected error under a context such as `api POST /api/v1/sync/push`. */
export function logError(context: string, error: unknown): void {
	console.error(`[${printable(context)}] ${describeError(error)}`);
}
