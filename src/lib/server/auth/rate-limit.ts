import type { Queryable } from '../db/store';
import { ApiError } from '$lib/sync/errors';

/**
 * Fixed-window counter kept in the store, so that every server process behind a load balancer
 * shares it. Counts this attempt and refuses once `limit` attempts fall within `windowSeconds`.
 */
export async function hitRateLimit(db: Queryable, key: string, limit: number, windowSeconds: number): Promise<void> {
	const r = await db.query<{ count: number }>(
		`insert into rate_limits (key, window_start, count) values ($1, now(), 1)
		 on conflict (key) do update set
		   count = case when rate_limits.window_start < now() - make_interval(secs => $2) then 1 else rate_limits.count + 1 end,
		   window_start = case when rate_limits.window_start < now() - make_interval(secs => $2) then now() else rate_limits.window_start end
		 returning count`,
		[key, windowSeconds]
	);
	if ((r.rows[0]?.count ?? 0) > limit) {
		throw new ApiError('rate_limited', `too many attempts; try again in ${Math.ceil(windowSeconds / 60)} minutes`);
	}
}
