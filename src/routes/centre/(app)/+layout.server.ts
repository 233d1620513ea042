import { requireStaff } from '$lib/server/auth/guard';
import { canManageDevices } from '$lib/server/auth/staff-sessions';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async (event) => {
	const user = await requireStaff(event);
	return { user: { displayName: user.displayName, role: user.role }, canManageDevices: canManageDevices(user) };
};
