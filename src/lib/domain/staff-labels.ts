/** How the centre names staff roles. */
import type { StaffData } from './schemas';

export const STAFF_ROLE_LABEL: Record<StaffData['role'], string> = { consultant: '相談員', coordinator: 'コーディネーター', admin: '管理者' };
