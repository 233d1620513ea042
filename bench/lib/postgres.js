/** Whether a PostgreSQL server answers at `url` (within 2 s): the benchmarks' PostgreSQL parts run only then. */

/** @param {string} url */
export async function postgresAnswers(url) {
	try {
		const pg = (await import('pg')).default;
		const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
		await c.connect();
		await c.end();
		return true;
	} catch {
		return false;
	}
}
