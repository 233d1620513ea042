/**
 * Sync protocol v1, shared by the tablet and the centre (DESIGN.md "Sync protocol").
 */
import * as z from 'zod/mini';
import {
	cardCode,
	cardRetirementData,
	childData,
	consultationData,
	hlcStamp,
	householdData,
	programData,
	sessionData,
	siteData,
	staffData,
	topicData,
	townData,
	uuid,
	visitData
} from '$lib/domain/schemas';
import { KEY_ID_RE } from '$lib/domain/seal-format';
import type { SealPublicKey } from '$lib/domain/seal';
import { cleanText } from '$lib/domain/text';

export const PROTOCOL_VERSION = 1;
export const MAX_PUSH_CHANGES = 500;
export const MAX_PUSH_BYTES = 1024 * 1024;
export const DEFAULT_PULL_LIMIT = 1000;
export const MAX_PULL_LIMIT = 5000;

/** Every table that syncs, in the order a tablet applies a pulled page's rows (parents first). */
export const SYNC_TABLES = [
	'programs',
	'sites',
	'sessions',
	'topics',
	'towns',
	'staff',
	'households',
	'children',
	'visits',
	'consultations',
	'card_retirements'
] as const;
export type SyncTable = (typeof SYNC_TABLES)[number];

/** Tables a tablet may write. The rest is reference data that only flows down. */
export const PUSHABLE_TABLES = ['sessions', 'households', 'children', 'visits', 'consultations'] as const;
export type PushableTable = (typeof PUSHABLE_TABLES)[number];

/**
 * Tables that flow down to tablets. Consultations never do: a tablet keeps only what it needs.
 * Towns and card retirements go to every tablet, whatever families it holds: a family may register
 * or show a retired card anywhere.
 */
export const PULLED_TABLES = ['programs', 'sites', 'sessions', 'topics', 'towns', 'staff', 'households', 'children', 'visits', 'card_retirements'] as const;

export function isPushable(table: SyncTable): table is PushableTable {
	return (PUSHABLE_TABLES as readonly string[]).includes(table);
}

export const TABLE_SCHEMAS = {
	programs: programData,
	sites: siteData,
	sessions: sessionData,
	topics: topicData,
	towns: townData,
	staff: staffData,
	households: householdData,
	children: childData,
	visits: visitData,
	consultations: consultationData,
	card_retirements: cardRetirementData
} as const satisfies Record<SyncTable, z.ZodMiniType>;

export type TableData = { [T in SyncTable]: z.infer<(typeof TABLE_SCHEMAS)[T]> };

/** The envelope of one change. `data` is checked per table, so one bad record rejects only itself. */
export const changeEnvelope = z.strictObject({
	table: z.enum(SYNC_TABLES),
	id: uuid,
	hlc: hlcStamp,
	deleted: z.boolean(),
	data: z.unknown()
});
export type ChangeEnvelope = z.infer<typeof changeEnvelope>;

export interface Change<T extends SyncTable = SyncTable> {
	table: T;
	id: string;
	hlc: string;
	deleted: boolean;
	data: TableData[T];
}

export const pushRequest = z.strictObject({
	protocol: z.number().check(z.int()),
	changes: z.array(z.unknown())
});

export const PUSH_STATUSES = ['applied', 'duplicate', 'stale', 'rejected'] as const;
export type PushStatus = (typeof PUSH_STATUSES)[number];

export interface PushResult {
	id: string;
	status: PushStatus;
	error?: { code: string; message: string };
}

export interface PushResponse {
	results: PushResult[];
}

export const pushResponse = z.object({
	results: z.array(
		z.object({
			id: z.string(),
			status: z.enum(PUSH_STATUSES),
			error: z.optional(z.object({ code: z.string(), message: z.string() }))
		})
	)
});

/**
 * A tablet tells the centre, on every push and pull, how many of its changes wait in its outbox,
 * so a coordinator sees a tablet that holds records the centre lacks. A diagnostic only: a request
 * without it, or with a value that is not a non-negative whole number, is served all the same and
 * the value is ignored (an older app sends none); an absurd count is capped.
 */
export const PENDING_HEADER = 'x-hiroba-pending';
export const MAX_REPORTED_PENDING = 1_000_000;

export function parsePendingHeader(value: string | null): number | null {
	if (value === null) return null;
	const text = value.trim();
	if (!/^\d{1,12}$/.test(text)) return null;
	return Math.min(Number(text), MAX_REPORTED_PENDING);
}

/** Cursors are the centre's sequence numbers, as decimal strings; never tablet clocks. */
export const cursor = z.string().check(z.regex(/^(0|[1-9]\d{0,18})$/, 'must be a cursor from a previous pull'));

export const pullQuery = z.strictObject({
	since: z._default(cursor, '0'),
	limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PULL_LIMIT)), DEFAULT_PULL_LIMIT)
});

/** What a pull may tell a tablet to drop: a family no longer seen at its sites, a staff member who left them. */
export const EVICTABLE_TABLES = ['households', 'staff'] as const;
export type EvictableTable = (typeof EVICTABLE_TABLES)[number];

export interface PullResponse {
	changes: Change[];
	/** Rows to remove from the tablet (not deletions at the centre): a household goes with its children. */
	evict: Array<{ table: EvictableTable; id: string }>;
	cursor: string;
	more: boolean;
	/** How many changes this device has ever had applied at the centre (eviction warning). */
	devicePushed: number;
	/** The key notes are sealed to now (seal.ts). */
	sealKey: SealPublicKey;
}

export const pullResponse = z.object({
	changes: z.array(
		z.object({
			table: z.enum(SYNC_TABLES),
			id: z.string(),
			hlc: z.string(),
			deleted: z.boolean(),
			data: z.unknown()
		})
	),
	evict: z._default(z.array(z.object({ table: z.enum(EVICTABLE_TABLES), id: z.string() })), []),
	cursor,
	more: z.boolean(),
	devicePushed: z.number().check(z.int(), z.minimum(0)),
	sealKey: z.object({
		kid: z.string().check(z.regex(KEY_ID_RE)),
		// Checked in full when the tablet imports it (seal.ts importSealRecipient: the id is the key's hash).
		jwk: z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string() })
	})
});

/** `GET /api/v1/households/lookup?card=<code>`: one family by its card, while the centre is reachable. */
export const lookupQuery = z.strictObject({ card: cardCode });

export interface LookupResponse {
	household: Change<'households'>;
	children: Change<'children'>[];
}

export const lookupResponse = z.object({
	household: z.object({ table: z.literal('households'), id: z.string(), hlc: z.string(), deleted: z.boolean(), data: z.unknown() }),
	children: z.array(z.object({ table: z.literal('children'), id: z.string(), hlc: z.string(), deleted: z.boolean(), data: z.unknown() }))
});

export const enrollRequest = z.strictObject({
	// Only normalised and hashed, never stored: any text is safe here, and a wrong one is a 403.
	code: z.string().check(z.trim(), z.minLength(1), z.maxLength(40)),
	// Stored as the device's name and written to the audit log.
	name: cleanText().check(z.trim(), z.minLength(1), z.maxLength(60))
});

export interface EnrollResponse {
	deviceId: string;
	token: string;
	name: string;
	sites: { id: string; nameJa: string; programId: string }[];
}

/**
 * The merge rule, the same on both ends: a version replaces another when its stamp is greater.
 * Stamps are unique per change (they carry the device id and a counter), so there are no ties
 * between different changes; an equal stamp is the same change seen again.
 */
export function wins(incoming: string, stored: string | null | undefined): boolean {
	return stored == null || incoming > stored;
}

/** What an enrollment QR code holds: the prefix and the short code (the tablet knows the centre's origin). */
export const ENROLL_QR_PREFIX = 'HIROBA-ENROLL:';

export function enrollQrPayload(code: string): string {
	return ENROLL_QR_PREFIX + code;
}

/** The code from a scanned enrollment QR or from typed text; null when it is neither. */
export function parseEnrollInput(input: string): string | null {
	let text = input.normalize('NFKC').trim().toUpperCase();
	if (text.startsWith(ENROLL_QR_PREFIX)) text = text.slice(ENROLL_QR_PREFIX.length);
	const compact = text.replace(/[\s-]/g, '');
	return /^[0-9A-Z]{10}$/.test(compact) ? `${compact.slice(0, 5)}-${compact.slice(5)}` : null;
}
