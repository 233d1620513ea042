/**
 * Who may see which consultations and cases at the centre: a 相談員 (consultant) those recorded at
 * the sites on their own roster (`staff.data.siteIds`); coordinators and admins all of them.
 */
import type { Queryable } from '../db/store';
import type { StaffUser } from '../auth/staff-sessions';

/** `siteIds: null` means every site. */
export interface SiteScope {
	siteIds: string[] | null;
}

export async function siteScope(db: Queryable, user: StaffUser): Promise<SiteScope> {
	if (user.role === 'coordinator' || user.role === 'admin') return { siteIds: null };
	const r = await db.query<{ site_ids: string[] | null }>(
		`select array(select jsonb_array_elements_text(data->'siteIds')) as site_ids from staff where id = $1::uuid and not deleted`,
		[user.id]
	);
	return { siteIds: r.rows[0]?.site_ids ?? [] };
}

export function inScope(scope: SiteScope, siteId: string | null): boolean {
	return scope.siteIds === null || (siteId !== null && scope.siteIds.includes(siteId));
}

/**
 * How the centre's staff pickers order the staff: the 相談員 first (the consultations and the cases
 * are theirs), then the others, each group by name. An `order by` clause over `staff.data`.
 */
export const STAFF_PICKER_ORDER = `case when data->>'role' = 'consultant' then 0 else 1 end, data->>'displayName', id`;
