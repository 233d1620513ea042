import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '$lib/sync/errors';
import { syncErrorJa } from './error-text';

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

describe('syncErrorJa', () => {
	it('says a network failure in Japanese, and that the records wait on the tablet', () => {
		expect(syncErrorJa('network')).toBe('センターに接続できません。ネットワークを確認してください。記録はこの端末に残り、つながると自動で送信します。');
	});

	it('has Japanese for every code the centre can answer and the engine can make', () => {
		for (const code of [...Object.keys(ERROR_STATUS), 'network', 'bad_response', 'not_enrolled']) {
			const text = syncErrorJa(code);
			expect(text, code).toMatch(JAPANESE);
			expect(text, code).not.toMatch(/TypeError|Failed to fetch|the centre/);
		}
		expect(syncErrorJa('device_retired')).toContain('使用終了');
	});

	it('names an unknown code inside a Japanese sentence', () => {
		expect(syncErrorJa('brand_new_code')).toBe('同期できませんでした（コード: brand_new_code）。しばらくして自動でやり直します。');
	});
});
