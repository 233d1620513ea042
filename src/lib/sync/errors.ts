/**
 * Error codes that cross the wire as `{ error: { code, message } }`. The code is stable and is
 * what clients branch on; the message is for people and logs.
 */
export const ERROR_STATUS = {
	bad_request: 400,
	malformed_json: 400,
	invalid_body: 400,
	unknown_table: 400,
	unsupported_protocol: 400,
	invalid_cursor: 400,
	too_many_changes: 413,
	payload_too_large: 413,
	unsupported_media_type: 415,
	unauthorized: 401,
	invalid_token: 401,
	device_revoked: 401,
	device_retired: 401,
	forbidden: 403,
	enrollment_code_invalid: 403,
	enrollment_code_used: 410,
	enrollment_code_expired: 410,
	not_found: 404,
	method_not_allowed: 405,
	rate_limited: 429,
	internal: 500
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ApiErrorBody {
	error: { code: ErrorCode; message: string };
}

export class ApiError extends Error {
	readonly code: ErrorCode;
	readonly status: number;
	constructor(code: ErrorCode, message: string) {
		super(message);
		this.code = code;
		this.status = ERROR_STATUS[code];
	}
	toJSON(): ApiErrorBody {
		return { error: { code: this.code, message: this.message } };
	}
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
	if (typeof value !== 'object' || value === null || !('error' in value)) return false;
	const e = (value as { error: unknown }).error;
	return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string';
}

/**
 * Reasons a single pushed change is rejected (per-change, not the whole push). `clock_ahead` is the
 * one a tablet acts on by itself: it corrects its clock from the answer's Date header and stamps
 * again what it has not delivered; the others stay on the tablet for staff to see.
 */
export const REJECT_REASONS = [
	'invalid_data',
	'read_only_table',
	'wrong_node',
	'clock_ahead',
	'stamped_after_retirement',
	'forbidden_site',
	'forbidden_household',
	'forbidden_staff',
	'unknown_session',
	'unknown_household',
	'unknown_child',
	'card_code_taken',
	'unknown_seal_key'
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
