import { requireStaff } from '$lib/server/auth/guard';
import { getStore } from '$lib/server/db';
import { listStaff, mayManage, staffSiteOptions } from '$lib/server/centre/staff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event, ['coordinator', 'admin']);
	const store = await getStore();
	const [staff, sites] = await Promise.all([listStaff(store), staffSiteOptions(store)]);
	return {
		staff: staff.map(({ version: _version, ...m }) => ({ ...m, manageable: mayManage(user, m), self: m.id === user.id })),
		siteNames: Object.fromEntries(sites.map((s) => [s.id, s.nameJa]))
	};
};
