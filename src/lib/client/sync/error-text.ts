/**
 * What staff read about a failed sync. The engine keeps the centre's code and an English message
 * for logs; the screen shows only Japanese, chosen by the code, so a browser's own words (such as
 * `TypeError: Failed to fetch`) never reach it.
 */
const TEXT: Record<string, string> = {
	network: 'センターに接続できません。ネットワークを確認してください。記録はこの端末に残り、つながると自動で送信します。',
	bad_response: 'センターから読み取れない応答がありました。しばらくして自動でやり直します。',
	internal: 'センターで問題が起きました。しばらくして自動でやり直します。',
	rate_limited: 'センターが混み合っています。しばらくして自動でやり直します。',
	unauthorized: 'この端末の登録を確認できません。センターに連絡してください。',
	invalid_token: 'この端末の登録を確認できません。センターに連絡してください。',
	forbidden: 'この端末には許可されていない操作です。センターに連絡してください。',
	device_revoked: 'この端末はセンターで無効化されました。',
	device_retired: 'この端末は使用終了になりました。残りの記録を送信してから消去します。',
	not_enrolled: 'この端末はまだ登録されていません。',
	unsupported_protocol: 'アプリが古いため同期できません。更新してください。',
	too_many_changes: '一度に送る記録が多すぎました。分けて自動でやり直します。',
	payload_too_large: '一度に送る記録が大きすぎました。分けて自動でやり直します。',
	invalid_cursor: '受信の位置が正しくありません。自動でやり直します。',
	unknown_table: 'センターが受け付けない種類の記録があります。センターに連絡してください。'
};

/** The Japanese text for a sync error code; an unknown code says so, with the code for the centre. */
export function syncErrorJa(code: string): string {
	return TEXT[code] ?? `同期できませんでした（コード: ${code}）。しばらくして自動でやり直します。`;
}
