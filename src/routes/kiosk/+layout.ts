// The kiosk runs from the tablet's own IndexedDB: nothing to render on the server.
export const ssr = false;
