import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from './db/store';
import { openForSuite, testStores } from '../../../tests/stores';
import { describeError, isDatabaseError, logError } from './log';

/** A value no log line may ever contain: it stands for a family's data. */
const MARKER = 'MARKER-山田はる-0312';

/** What logError printed while `fn` ran. */
async function logged(fn: () => Promise<void> | void): Promise<string> {
	const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
	try {
		await fn();
		return spy.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
	} finally {
		spy.mockRestore();
	}
}

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<unknown> {
	try {
		await p;
	} catch (e) {
		return e;
	}
	throw new Error('expected the query to fail');
}

describe.each(testStores())('logError with real database errors on $name', (ts) => {
	let store: Store;
	openForSuite(ts, (s) => (store = s));

	it('logs the SQLSTATE of a refused parameter, not the value its message quotes', async () => {
		const e = await failure(store.query('select $1::uuid', [MARKER]));
		expect(isDatabaseError(e)).toBe(true);
		expect(String((e as Error).message)).toContain(MARKER); // what would have leaked
		const text = await logged(() => logError('test', e));
		expect(text).toContain('SQLSTATE 22P02');
		expect(text).not.toContain(MARKER);
		expect(text).not.toContain('0312');
	});

	it('logs a unique violation by its constraint and table, not the key its detail quotes', async () => {
		const e = await failure(
			store.transaction(async (tx) => {
				await tx.exec('create temp table log_spec_cards (card_code text constraint log_spec_cards_code unique)');
				await tx.query('insert into log_spec_cards values ($1), ($1)', [MARKER]);
			})
		);
		expect(JSON.stringify(e, Object.getOwnPropertyNames(e))).toContain(MARKER); // in detail, and params on PGlite
		const text = await logged(() => logError('test', e));
		expect(text).toContain('SQLSTATE 23505');
		expect(text).toContain('constraint log_spec_cards_code');
		expect(text).toContain('table log_spec_cards');
		expect(text).not.toContain(MARKER);
	});

	it('logs a refused JSON document by its SQLSTATE, not the JSON its `where` quotes', async () => {
		const e = await failure(store.query('select $1::jsonb', [JSON.stringify({ note: `\u0000${MARKER}` })]));
		const text = await logged(() => logError('test', e));
		expect(text).toMatch(/SQLSTATE 22P05/);
		expect(text).not.toContain(MARKER);
	});
});

describe('describeError', () => {
	afterEach(() => vi.restoreAllMocks());

	it('never prints the fields of a database error that quote values, whatever the driver puts there', () => {
		const e = Object.assign(new Error(`bad value "${MARKER}"`), {
			code: '23505',
			severity: 'ERROR',
			detail: `Key (card_code)=(${MARKER}) already exists.`,
			hint: MARKER,
			where: MARKER,
			internalQuery: MARKER,
			query: `insert into households values ('${MARKER}')`,
			params: [MARKER],
			table: 'households',
			constraint: 'households_card_code',
			routine: '_bt_check_unique'
		});
		const text = describeError(e);
		expect(text).toMatch(
			/^database error SQLSTATE 23505 \(severity ERROR, table households, constraint households_card_code, routine _bt_check_unique\)\n {4}at /
		);
		expect(text).not.toContain(MARKER);
	});

	it('prints name, message and frames of other errors, and what caused them, safely', () => {
		const cause = Object.assign(new Error('x'), { code: '40001', params: [MARKER] });
		const text = describeError(new TypeError('cannot read x of undefined', { cause }));
		expect(text).toMatch(/^TypeError: cannot read x of undefined\n {4}at .*log\.spec\.ts/);
		expect(text).toContain('caused by: database error SQLSTATE 40001');
		expect(text).not.toContain(MARKER);
	});

	it('does not take a system error for a database error', () => {
		const e = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
		expect(isDatabaseError(e)).toBe(false);
		expect(describeError(e)).toMatch(/^Error: write EPIPE/);
	});

	it('escapes line breaks and controls, so that a message cannot forge log lines', () => {
		const text = describeError(new Error('one\n[api] forged line\u0000\ud800'));
		expect(text.split('\n')[0]).toBe('Error: one\\u000a[api] forged line\\u0000\\ud800');
	});

	it('says only the type of a thrown non-Error, which could hold anything', () => {
		expect(describeError(MARKER)).toBe('a thrown string (not an Error)');
		expect(describeError({ household: MARKER })).toBe('a thrown object (not an Error)');
		expect(describeError(null)).toBe('a thrown null (not an Error)');
	});

	it('logs through console.error with its context', async () => {
		const text = await logged(() => logError('api POST /x', new RangeError('too far')));
		expect(text).toMatch(/^\[api POST \/x\] RangeError: too far\n/);
	});
});
