// The kiosk runs from the tablet's own IndexedDB: an empty shell, prerendered so the service
// worker can precache it and the face starts with no network.
export const ssr = false;
export const prerender = true;
