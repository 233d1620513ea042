import { error, fail, type RequestEvent } from '@sveltejs/kit';
import { requireStaff } from '$lib/server/auth/guard';
import { MIN_PASSWORD_LENGTH } from '$lib/server/auth/passwords';
import { SESSION_COOKIE } from '$lib/server/auth/staff-sessions';
import { getStore } from '$lib/server/db';
import { fieldsOf, parseFields } from '$lib/server/forms';
import {
	assignableRoles,
	getStaff,
	mayManage,
	parseSiteIds,
	passwordForm,
	pinForm,
	resetPin,
	setPassword,
	setStaffActive,
	staffEditForm,
	staffSiteOptions,
	STALE_MESSAGE,
	updateStaff,
	type StaffOutcome
} from '$lib/server/centre/staff';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS = ['coordinator', 'admin'] as const;
const NOT_FOUND = { code: 'not_found', message: '職員が見つかりません' };

export const load: PageServerLoad = async (event) => {
	const user = await requireStaff(event, [...MANAGERS]);
	const store = await getStore();
	const member = await getStaff(store, event.params.id);
	if (!member) error(404, NOT_FOUND);
	// A PIN may be on this page once, as the answer to the action that issued it: never kept by a cache.
	event.setHeaders({ 'cache-control': 'no-store' });
	return {
		member,
		sites: await staffSiteOptions(store),
		roles: assignableRoles(user),
		manageable: mayManage(user, member),
		self: member.id === user.id,
		added: event.url.searchParams.has('added'),
		minPasswordLength: MIN_PASSWORD_LENGTH
	};
};

type Section = 'update' | 'pin' | 'password' | 'active';

/** A refusal of a command as the page shows it: 403/404 as errors, the rest at the form. */
function refused(result: Exclude<StaffOutcome<unknown>, { status: 'ok' }>, section: Section, values: Record<string, unknown> = {}) {
	if (result.status === 'not_found') error(404, NOT_FOUND);
	if (result.status === 'forbidden') error(403, { code: 'forbidden', message: result.message });
	if (result.status === 'stale') return fail(409, { section, values, errors: { form: STALE_MESSAGE } as Record<string, string> });
	return fail(400, { section, values, errors: result.errors });
}

async function setActive(event: RequestEvent<{ id: string }>, active: boolean) {
	const user = await requireStaff(event, [...MANAGERS]);
	const result = await setStaffActive(await getStore(), user, event.params.id, active);
	if (result.status !== 'ok') return refused(result, 'active');
	return { activeChanged: { active, displayName: result.value.displayName } };
}

export const actions: Actions = {
	update: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const form = await event.request.formData();
		const values = { ...fieldsOf(form), siteIds: form.getAll('siteId').filter((v): v is string => typeof v === 'string') };
		const parsed = parseFields(staffEditForm, form);
		const sites = parseSiteIds(form);
		if (!parsed.ok || !sites.ok)
			return fail(400, { section: 'update' as const, values, errors: { ...(parsed.ok ? {} : parsed.errors), ...(sites.ok ? {} : { siteId: sites.error }) } });
		const result = await updateStaff(await getStore(), user, event.params.id, { ...parsed.data, siteIds: sites.siteIds });
		if (result.status !== 'ok') return refused(result, 'update', values);
		return { updated: true };
	},
	pin: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const parsed = parseFields(pinForm, await event.request.formData());
		// A typed PIN is never sent back, not even to show the form again.
		if (!parsed.ok) return fail(400, { section: 'pin' as const, values: {}, errors: parsed.errors });
		const result = await resetPin(await getStore(), user, event.params.id, parsed.data.mode === 'typed' ? parsed.data.pin : undefined);
		if (result.status !== 'ok') return refused(result, 'pin');
		return result.value.pin === null ? { pinSet: true } : { pinIssued: { pin: result.value.pin, displayName: result.value.displayName } };
	},
	password: async (event) => {
		const user = await requireStaff(event, [...MANAGERS]);
		const form = await event.request.formData();
		// Only the login name goes back to the form; passwords never do.
		const values = { loginName: typeof form.get('loginName') === 'string' ? String(form.get('loginName')).slice(0, 60) : '' };
		const parsed = parseFields(passwordForm, form);
		if (!parsed.ok) return fail(400, { section: 'password' as const, values, errors: parsed.errors });
		const result = await setPassword(await getStore(), user, event.params.id, parsed.data, event.cookies.get(SESSION_COOKIE));
		if (result.status !== 'ok') return refused(result, 'password', values);
		return { passwordSet: { loginName: result.value.loginName } };
	},
	deactivate: async (event) => setActive(event, false),
	reactivate: async (event) => setActive(event, true)
};
