/**
 * One way for centre pages to read a query string or a form through a zod schema: the first value
 * of each field, a blank field as absent, and the schema's Japanese messages by field. Bad input is
 * an answer for the page, never an exception (never a 5xx).
 */
import type { z } from 'zod';

export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string> };

/** The first value of each name; empty (or all-space) values left out. */
export function fieldsOf(source: URLSearchParams | FormData): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of source.entries()) {
		if (typeof value !== 'string' || name in out || value.trim() === '') continue;
		out[name] = value;
	}
	return out;
}

export function parseFields<S extends z.ZodType>(schema: S, source: URLSearchParams | FormData): Parsed<z.infer<S>> {
	const r = schema.safeParse(fieldsOf(source));
	if (r.success) return { ok: true, data: r.data };
	const errors: Record<string, string> = {};
	for (const issue of r.error.issues) {
		const field = String(issue.path[0] ?? 'form');
		errors[field] ??= issue.message;
	}
	return { ok: false, errors };
}
