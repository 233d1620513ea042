/**
 * The order test files start in. Vitest runs the files it has timed before longest first, and the
 * rest largest first; on a fresh machine it has timed nothing, and the unit project's two longest
 * files (the property tests, about 35 s each) started last: one worker ran them alone for half a
 * minute at the end (measured: 229 s for the unit project, against 178 s once timed). So the files
 * known to be long start first, longest first, whatever the cache holds; the rest keep vitest's order.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Measured on 2 cores, longest first (each 10 s or more on both stores). */
export const LONG_FIRST = [
	'src/lib/server/reports/facts.spec.ts',
	'src/lib/client/sync/chaos.spec.ts',
	'src/routes/api/v1/fuzz.spec.ts',
	'src/lib/server/seed/demo.spec.ts',
	'src/routes/centre/staff-pages.spec.ts',
	'src/lib/client/db/consultations.spec.ts',
	'src/lib/client/sync/engine.spec.ts',
	'src/routes/api/v1/trust.spec.ts'
];

export default class LongFirst extends BaseSequencer {
	override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
		const sorted = await super.sort(files);
		const rank = (f: TestSpecification) => {
			const i = LONG_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId));
			return i < 0 ? LONG_FIRST.length : i;
		};
		// Projects stay in vitest's order, and so do the files not named above.
		const projects = [...new Set(sorted.map((f) => f.project.name))];
		return sorted
			.map((f, i) => ({ f, i, p: projects.indexOf(f.project.name), r: rank(f) }))
			.sort((a, b) => a.p - b.p || a.r - b.r || a.i - b.i)
			.map((x) => x.f);
	}
}
