// See https://svelte.dev/docs/kit/types#app.d.ts
import type { Device } from '$lib/server/auth/devices';
import type { StaffUser } from '$lib/server/auth/staff-sessions';

declare global {
	namespace App {
		/** What leaves the server for an unexpected error: a stable code and a safe message. */
		interface Error {
			code: string;
			message: string;
		}
		interface Locals {
			/** The enrolled tablet behind a device-API request, once authenticated. */
			device?: Device;
			/** The signed-in centre user (centre face): null when looked up and absent. */
			staff?: StaffUser | null;
		}
		// interface PageData {}
		// interface PageState {}
		// interface Platform {}
	}
}

export {};
