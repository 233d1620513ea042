import { getStore } from '$lib/server/db';
import { requireStaff } from '$lib/server/auth/guard';
import { canManageDevices } from '$lib/server/auth/staff-sessions';
import { loadOverview } from '$lib/server/centre/overview';
import { overdueDeviceCount } from '$lib/server/centre/device-health';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event);
	const store = await getStore();
	const [overview, overdueDevices] = await Promise.all([
		loadOverview(store),
		// Only those who manage the tablets are told (and can follow the link to them).
		canManageDevices(user) ? overdueDeviceCount(store) : Promise.resolve(null)
	]);
	return { overview, overdueDevices };
};
