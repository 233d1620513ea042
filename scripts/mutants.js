/**
 * Do the properties bite? Plant each known bug in turn (a small edit of the source): sync bugs
 * against the hostile-network sync property, report-facts bugs against the property that holds the
 * attendance facts equal to the count from the visits, season bugs against the model of the season
 * rule; say whether the property failed, as it must.
 *
 *   npm run mutants                 # every planted bug, 200 runs each, PGlite
 *   npm run mutants -- replay 300   # one bug, 300 runs
 *
 * Each file is restored right after its run, and on Ctrl+C. A bug that survives is a hole in the
 * property: make the property stronger, never the bug weaker.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/build.js';

/**
 * A mutant's first edit may name the property that must catch it (`spec`, default the sync chaos
 * property) and how many runs it gets there (`runs`, default the command line's).
 * @typedef {{ name: string, what: string, file: string, from: string, to: string, spec?: string, runs?: number }} Edit
 */
/** @type {Array<[Edit, ...Edit[]]>} */
const MUTANTS = [
	[
		{
			name: 'replay',
			what: 'the centre re-applies a replayed push (a new sequence number and pushed count, the row sent again to other tablets)',
			file: 'src/lib/server/sync/push.ts',
			from: '} else if (prev === change.hlc) {',
			to: '} else if (prev === change.hlc && false) {'
		},
		{
			name: 'replay',
			what: '',
			file: 'src/lib/server/sync/push.ts',
			from: 'if (stored.get(change.id)?.hlc === change.hlc && !verdicts.has(i))',
			to: 'if (stored.get(change.id)?.hlc === change.hlc && !verdicts.has(i) && false)'
		},
		{ name: 'replay', what: '', file: 'src/lib/server/sync/records.ts', from: 'where ${t}.hlc < excluded.hlc', to: 'where ${t}.hlc <= excluded.hlc' }
	],
	[
		{
			name: 'pulled-overwrites',
			what: 'the tablet stores a pulled row whatever its stamp (an edit made while the page was on its way is overwritten)',
			file: 'src/lib/client/sync/merge.ts',
			from: 'if (wins(c.hlc, local?.hlc))',
			to: 'if (c.hlc || wins(c.hlc, local?.hlc))'
		}
	],
	[
		{
			name: 'page-boundary',
			what: 'the pull’s cursor skips the first row of the next page',
			file: 'src/lib/server/sync/pull.ts',
			from: 'const cursor = more ? rows[rows.length - 1]!.seq : high;',
			to: 'const cursor = more ? r.rows[limit]!.seq : high;'
		}
	],
	[
		{
			name: 'no-merge-rule',
			what: 'the centre applies an older version over a newer one',
			file: 'src/lib/server/sync/push.ts',
			from: '} else if (prev !== undefined && prev > change.hlc) {',
			to: '} else if (prev !== undefined && prev > change.hlc && false) {'
		},
		{ name: 'no-merge-rule', what: '', file: 'src/lib/server/sync/records.ts', from: 'where ${t}.hlc < excluded.hlc', to: 'where true' }
	],
	[
		{
			name: 'restamp-below-taken',
			what: 'a change refused as stamped ahead is stamped again on the corrected clock alone, possibly below a version the centre already took',
			file: 'src/lib/client/sync/engine.ts',
			from: 'const hlc = clock.tickAfter(taken.reduce<string | null>((a, b) => maxHlc(a, b), null));',
			to: 'const hlc = clock.tickAfter(taken.length < 0 ? taken[0] : null);'
		}
	],
	[
		{
			name: 'ack-too-much',
			what: 'the tablet deletes a whole batch’s range from its outbox even when an entry in it was refused for a retry',
			file: 'src/lib/client/sync/engine.ts',
			from: 'if (acked.length === batch.length && inRange === batch.length)',
			to: 'if (inRange === batch.length)'
		}
	],
	[
		{
			name: 'floor-past-deferred',
			what: 'the outbox’s floor moves past a batch with an entry held back for another pass, which no later read of the outbox then finds',
			file: 'src/lib/client/sync/engine.ts',
			from: 'if (fromFloor && deferred === 0 &&',
			to: 'if (fromFloor &&'
		}
	],
	...[
		[
			'facts-child-birth',
			'a child’s corrected birth month does not recount the sessions it came to (延べ by band goes stale)',
			'src/lib/server/reports/facts.ts',
			"where v.data->'childIds' ? c.id::text and v.session_id is not null",
			"where v.data->'childIds' ? c.id::text and v.session_id is null"
		],
		[
			'facts-card-only',
			'a visit that names only a card is not counted with its household',
			'src/lib/server/reports/facts.ts',
			'		from hh join visits v on v.card_code = hh.card_code and v.household_id is null',
			'		from hh join visits v on v.card_code = hh.card_code and v.household_id is null and false'
		],
		[
			'facts-fiscal-first',
			'a household’s first visit in the 年度 is taken across years (年度内初回 lost)',
			'src/lib/server/reports/facts.ts',
			'min(m.first_date) over (partition by m.lvl, m.key, m.hid, m.fy)',
			'min(m.first_date) over (partition by m.lvl, m.key, m.hid)'
		],
		[
			'facts-site-program',
			'a site moved to another program is not recounted',
			'src/lib/server/reports/facts.ts',
			"insert into report_dirty (kind, key) select 'S', s.id::text from d join sessions s on s.site_id = d.key::uuid",
			"insert into report_dirty (kind, key) select 'S', s.id::text from d join sessions s on s.site_id = d.key::uuid and false"
		],
		[
			'facts-session-households',
			'a session moved, rained off or deleted does not recount its families',
			'src/lib/server/reports/facts.ts',
			"\t select 'h', coalesce(v.household_id, h.id)::text\n\t from d join visits v on v.session_id = d.key::uuid",
			"\t select 'h', coalesce(v.household_id, h.id)::text\n\t from d join visits v on v.session_id = d.key::uuid and false"
		],
		[
			'facts-undone-visit',
			'an undone visit still counts in 延べ',
			'src/lib/server/reports/facts.ts',
			'where v.session_id = any($1::uuid[]) and not v.deleted',
			'where v.session_id = any($1::uuid[])'
		],
		[
			'facts-union-firsts',
			'across a consultant’s sites, who is new is judged from the period’s rows only',
			'src/lib/server/reports/attendance.ts',
			'r.key = any(${keys}::uuid[]) and length(r.period) = 4',
			'r.key = any(${keys}::uuid[]) and r.period = ${fy}::text'
		],
		[
			'facts-totals-left',
			'the kept totals are not moved down for the month or 年度 a family’s rows leave',
			'src/lib/server/reports/facts.ts',
			"\tawait addToTotals(tx, ids, -1);\n\tawait tx.query('delete from report_households",
			"\tawait tx.query('delete from report_households"
		]
	].map(([name, what, file, from, to]) => /** @type {[Edit]} */ ([{ name, what, file, from, to, spec: 'src/lib/server/reports/facts.spec.ts', runs: 30 }])),
	...[
		['season-new-year', '3 January is not part of the 年末年始 closure', "return md >= '12-29' || md <= '01-03';", "return md >= '12-29' || md < '01-03';"],
		[
			'season-touching',
			'a session ending when the new one starts counts as taken',
			'return a.startTime < b.endTime && b.startTime < a.endTime;',
			'return a.startTime <= b.endTime && b.startTime <= a.endTime;'
		],
		[
			'season-last-day',
			'the range’s last day gets no session',
			'for (let date = rule.from; date <= rule.to; date = addDays(date, 1)) {',
			'for (let date = rule.from; date < rule.to; date = addDays(date, 1)) {'
		],
		[
			'season-holiday-first',
			'a holiday that is already taken is reported as taken, not as the holiday',
			"else if (holiday) plan.skipped.push({ date, reason: { kind: 'holiday', name: holiday } });\n\t\telse if ((taken.get(date) ?? []).some((s) => overlaps(s, rule))) plan.skipped.push({ date, reason: { kind: 'existing' } });",
			"else if ((taken.get(date) ?? []).some((s) => overlaps(s, rule))) plan.skipped.push({ date, reason: { kind: 'existing' } });\n\t\telse if (holiday) plan.skipped.push({ date, reason: { kind: 'holiday', name: holiday } });"
		]
	].map(
		([name, what, from, to]) =>
			/** @type {[Edit]} */ ([{ name, what, file: 'src/lib/server/centre/season.ts', from, to, spec: 'src/lib/server/centre/season.spec.ts', runs: 200 }])
	)
];

const [only, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? (only && /^\d+$/.test(only) ? only : 200));
const chosen = MUTANTS.filter((m) => !only || /^\d+$/.test(only) || m[0].name === only);
if (chosen.length === 0) {
	console.error(`no planted bug called ${only}; there are: ${MUTANTS.map((m) => m[0].name).join(', ')}`);
	process.exit(2);
}

/** @type {Map<string, string>} original contents of files being mutated */
const originals = new Map();
function restore() {
	for (const [file, text] of originals) writeFileSync(join(ROOT, file), text);
	originals.clear();
}
process.on('SIGINT', () => {
	restore();
	process.exit(130);
});

const results = [];
for (const edits of chosen) {
	const name = edits[0].name;
	try {
		for (const e of edits) {
			const path = join(ROOT, e.file);
			const text = originals.get(e.file) ?? readFileSync(path, 'utf8');
			if (!originals.has(e.file)) originals.set(e.file, text);
			const current = readFileSync(path, 'utf8');
			if (!current.includes(e.from)) throw new Error(`${e.file} no longer contains ${JSON.stringify(e.from)}: update this mutant`);
			writeFileSync(path, current.replace(e.from, e.to));
		}
		const started = Date.now();
		const own = edits[0].runs ?? runs;
		/** @type {NodeJS.ProcessEnv} */
		const env = { ...process.env, HIROBA_PROPERTY_RUNS: String(runs), FACTS_RUNS: String(own), FACTS_NO_SHRINK: '1' };
		delete env.TEST_DATABASE_URL;
		const spec = edits[0].spec ?? 'src/lib/client/sync/chaos.spec.ts';
		const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'unit', spec], {
			cwd: ROOT,
			env,
			encoding: 'utf8'
		});
		const out = `${r.stdout}\n${r.stderr}`;
		const after = out.match(/Property failed after (\d+) tests/);
		const caught = r.status !== 0 && after !== null;
		results.push({ name, what: edits[0].what, caught, after: after ? Number(after[1]) : null, of: own, seconds: Math.round((Date.now() - started) / 1000) });
		console.log(`${caught ? 'caught  ' : 'SURVIVED'} ${name}${after ? ` (failed after ${after[1]} runs)` : ''}`);
	} finally {
		restore();
	}
}
console.log('\n| planted bug | caught | after runs |\n| --- | --- | --- |');
for (const r of results) console.log(`| ${r.name}: ${r.what} | ${r.caught ? 'yes' : '**no**'} | ${r.after ?? '—'} of ${r.of} |`);
process.exit(results.every((r) => r.caught) ? 0 : 1);
