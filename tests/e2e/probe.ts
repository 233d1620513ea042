/**
 * A second device enrolled through the real API at a site, for browser journeys to read what the
 * centre holds as a tablet there would (its share of families, what reached the centre).
 */
import { runAdmin, type RunningServer } from '../server-process';

export interface Probe {
	token: string;
	siteId: string;
}

/** The families a device at the probe's site holds: registered or seen there (not the ward's 300). */
export async function households(server: RunningServer, probe: Probe): Promise<Array<{ id: string; cardCode: string }>> {
	const r = await fetch(`${server.url}/api/v1/sync/pull?since=0&limit=5000`, { headers: { authorization: `Bearer ${probe.token}` } });
	const body = (await r.json()) as { changes: Array<{ table: string; id: string; data: { cardCode: string } }> };
	return body.changes.filter((c) => c.table === 'households').map((c) => ({ id: c.id, cardCode: c.data.cardCode }));
}

export async function enrollProbe(server: RunningServer, dataDir: string, siteId: string): Promise<Probe> {
	const code = (await runAdmin(['enroll-code', siteId, '--json'], { dataDir })).json<{ code: string }>().code;
	const enrolled = (await (
		await fetch(`${server.url}/api/v1/devices/enroll`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ code, name: 'probe' })
		})
	).json()) as { token: string };
	return { token: enrolled.token, siteId };
}
