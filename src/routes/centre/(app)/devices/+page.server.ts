import { fail } from '@sveltejs/kit';
import QRCode from 'qrcode';
import { z } from 'zod';
import { uuid } from '$lib/domain/schemas';
import { enrollQrPayload } from '$lib/sync/protocol';
import { ApiError } from '$lib/sync/errors';
import { getStore } from '$lib/server/db';
import { requireStaff } from '$lib/server/auth/guard';
import { createEnrollmentCode, setDeviceState } from '$lib/server/auth/devices';
import { listDeviceHealth } from '$lib/server/centre/device-health';
import { listSiteOptions } from '$lib/server/centre/overview';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS = ['coordinator', 'admin'] as const;

export const load: PageServerLoad = async (event) => {
	await requireStaff(event, [...MANAGERS]);
	const store = await getStore();
	const now = Date.now();
	const [devices, sites] = await Promise.all([listDeviceHealth(store, now), listSiteOptions(store)]);
	// `now` travels with the data, so "3時間前" reads the same on the server and in the browser.
	return { devices, sites, now };
};

const deviceAction = z.object({ deviceId: uuid });

export const actions: Actions = {
	code: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const siteIds = (await event.request.formData()).getAll('siteId');
		const parsed = z.array(uuid).min(1).max(50).safeParse(siteIds);
		if (!parsed.success) return fail(400, { codeError: '会場を1つ以上選んでください' });
		try {
			const created = await createEnrollmentCode(await getStore(), parsed.data, `staff:${user.id}`);
			const qr = await QRCode.toDataURL(enrollQrPayload(created.code), { errorCorrectionLevel: 'M', margin: 2, scale: 8 });
			return { created: { ...created, qr } };
		} catch (e) {
			if (e instanceof ApiError && e.code === 'not_found') return fail(400, { codeError: '選んだ会場が見つかりません。ページを再読み込みしてください。' });
			throw e;
		}
	},
	revoke: async (event) => changeState(event, 'revoked'),
	retire: async (event) => changeState(event, 'retired')
};

async function changeState(event: Parameters<Actions[string]>[0], state: 'revoked' | 'retired') {
	const user = await requireStaff(event, [...MANAGERS]);
	const parsed = deviceAction.safeParse(Object.fromEntries(await event.request.formData()));
	if (!parsed.success) return fail(400, { stateError: '端末の指定が正しくありません' });
	try {
		const device = await setDeviceState(await getStore(), parsed.data.deviceId, state, `staff:${user.id}`);
		return { changed: { name: device.name, state } };
	} catch (e) {
		if (e instanceof ApiError)
			return fail(e.status, { stateError: e.code === 'not_found' ? 'その端末は見つかりません' : 'その端末はすでに無効化されています' });
		throw e;
	}
}
