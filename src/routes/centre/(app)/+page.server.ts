import { getStore } from '$lib/server/db';
import { loadOverview } from '$lib/server/centre/overview';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async () => ({ overview: await loadOverview(await getStore()) });
