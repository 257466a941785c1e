import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import type { TemplateSources } from '../../src/render/renderRegion.js';
import { FLEET_LOCK } from '../../src/migrate/fleetLock.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 18, finding 6: a new pg-residency version whose templates render the
// runtime (the two-phase library, the registry's functions, apply_<entity>)
// differently reaches an existing fleet by an appended step, not by
// regenerating: on a history from the version before (no runtime objects
// recorded), and on a current one whose two-phase template changed.

const LEGACY = fileURLToPath(new URL('../fixtures/history-0.2', import.meta.url));
const REGIONS = MIXED.map((r) => r.name);

let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, migrate: false });
});
test.after.always(async () => {
  await fleet?.stop();
});

/** Replaces the fleet's generated history with another. */
function useHistory(from: string) {
  for (const region of REGIONS) {
    rmSync(join(fleet.dir, region), { recursive: true, force: true });
    cpSync(join(from, region), join(fleet.dir, region), { recursive: true });
  }
}

async function generate(templates: TemplateSources, options: { force?: boolean; name?: string } = {}) {
  return genMigrations({
    config: fleet.config,
    templates,
    outDir: fleet.dir,
    check: false,
    force: options.force ?? false,
    ...(options.name === undefined ? {} : { name: options.name }),
    fs: nodeGeneratedFs,
  });
}

async function migrateOk(input: Parameters<Fleet['migrate']>[0]) {
  const results = await fleet.migrate(input);
  const failed = results.find((r) => r.error);
  if (failed) throw failed.error ?? new Error(`region ${failed.region} failed`);
  return results;
}

/** One write from each region, each read back in every region. */
async function writesWork(t: ExecutionContext, tag: string) {
  for (const region of REGIONS) {
    const [row] = await fleet.query<{ r: string }>(region, `SELECT (shared.upsert_identity($1::uuid, $2, $3, $4)).uuid::text AS r`, [
      randomUUID(),
      `${tag} ${region}`,
      region,
      tag,
    ]);
    for (const reader of REGIONS) {
      const found = await fleet.query<{ region: string }>(reader, 'SELECT region FROM shared.identity WHERE uuid = $1', [row!.r]);
      t.deepEqual(
        found.map((f) => f.region),
        [region],
        `${tag}: the write from ${region} is in ${reader}'s directory`,
      );
    }
  }
}

const probeSql = (version: string) =>
  `CREATE FUNCTION {{qualified registrySchema "probe"}}() RETURNS text LANGUAGE sql AS $probe$ SELECT '${version}'::text $probe$;\n`;

/** The shipped templates with one more runtime function whose body returns `version`. */
function withProbe(templates: TemplateSources, version: string): TemplateSources {
  const source = templates.two_phase!;
  const upEnd = source.indexOf('{{/if}}\n\n-- Down Migration');
  const downStart = source.indexOf('{{#if code}}\n', source.indexOf('-- Down Migration')) + '{{#if code}}\n'.length;
  if (upEnd < 0 || downStart < '{{#if code}}\n'.length) throw new Error('two_phase.sql.hbs has no code part to extend');
  const patched =
    source.slice(0, upEnd) +
    probeSql(version) +
    source.slice(upEnd, downStart) +
    'DROP FUNCTION {{qualified registrySchema "probe"}}();\n' +
    source.slice(downStart);
  return { ...templates, two_phase: patched };
}

const probe = async (region: string) =>
  (
    await fleet.query<{ v: string | null }>(
      region,
      `SELECT CASE WHEN to_regproc('residency.probe') IS NULL THEN NULL ELSE residency.probe() END AS v`,
    )
  )[0]!.v;

test.serial('a history from the version before gets one runtime step per region, which a live fleet applies and reverts', async (t) => {
  useHistory(LEGACY);
  await migrateOk({});
  await writesWork(t, 'before');

  const results = await generate(await loadTemplates(), { name: 'upgrade' });
  for (const r of results) {
    t.is(r.status, 'written', r.region);
    const sql = r.files.filter((f) => f.endsWith('.sql'));
    // the app group (new in this version: expand creates it, app_group grants it the API), the runtime,
    // the reads (new too) and the entity functions that call them; no config step
    t.deepEqual(
      sql,
      [
        `${r.region}/0010_upgrade_expand.sql`,
        `${r.region}/0011_upgrade_runtime.sql`,
        `${r.region}/0012_upgrade_reads.sql`,
        `${r.region}/0013_upgrade_functions_identity.sql`,
        `${r.region}/0014_upgrade_app_group.sql`,
      ],
      `${r.region}: only code steps are appended`,
    );
  }
  const step = readFileSync(join(fleet.dir, 'usa', '0011_upgrade_runtime.sql'), 'utf8');
  t.regex(step, /replace the runtime functions of two_phase/);
  t.regex(step, /pg-residency-phase: remote/);
  t.deepEqual(
    (await generate(await loadTemplates())).map((r) => r.status),
    ['unchanged', 'unchanged', 'unchanged'],
    'generating again appends nothing',
  );

  await migrateOk({});
  await writesWork(t, 'upgraded');
  for (const region of REGIONS) {
    const [row] = await fleet.query<{ n: number }>(region, `SELECT count(*)::int AS n FROM residency.commit_records`);
    t.true(row!.n >= 0, `${region} keeps its commit records`);
  }
  await migrateOk({ direction: 'down', steps: 1 });
  await writesWork(t, 'reverted');
  await migrateOk({});
});

test.serial('a changed two-phase template appends a step that replaces only the runtime, and the fleet runs the new body', async (t) => {
  const shipped = await loadTemplates();
  // a fleet on the current version, one runtime function returning v1
  await migrateOk({ direction: 'down', allowDestructive: true });
  for (const region of REGIONS) {
    const applied = await fleet.query<{ n: number }>(region, 'SELECT count(*)::int AS n FROM public.pg_residency_migrations');
    t.is(applied[0]!.n, 0, `${region} reverted everything`);
  }
  await generate(withProbe(shipped, 'v1'), { force: true });
  await migrateOk({});
  for (const region of REGIONS) t.is(await probe(region), 'v1', region);

  const results = await generate(withProbe(shipped, 'v2'), { name: 'fix' });
  for (const r of results) {
    t.deepEqual(
      r.files.filter((f) => f.endsWith('.sql')),
      [`${r.region}/0011_fix_runtime.sql`],
      `${r.region}: one runtime step`,
    );
    const step = readFileSync(join(fleet.dir, r.region, '0011_fix_runtime.sql'), 'utf8');
    t.regex(step, /replace the runtime functions of two_phase \(before: 0005_two_phase\.sql\)/);
    t.notRegex(step, /replace the runtime functions of registry|replace apply/, 'nothing else is replaced');
  }
  await migrateOk({});
  for (const region of REGIONS) t.is(await probe(region), 'v2', `${region} runs the new body`);
  await writesWork(t, 'fixed');

  await migrateOk({ direction: 'down', steps: 1 });
  for (const region of REGIONS) t.is(await probe(region), 'v1', `${region} runs the old body again after down`);
  await writesWork(t, 'fix reverted');
  t.deepEqual(readdirSync(join(fleet.dir, 'usa')).filter((f) => f.endsWith('.sql')).length, 11);
});

// Issue 18, finding 7: one lock for the whole fleet run.
test.serial('a migrate run stops before touching any region while another run holds the fleet lock', async (t) => {
  await migrateOk({ direction: 'down', count: 1 });
  const pending = async () =>
    Promise.all(
      REGIONS.map(
        async (r) => (await fleet.query<{ n: number }>(r, 'SELECT count(*)::int AS n FROM public.pg_residency_migrations'))[0]!.n,
      ),
    );
  const before = await pending();
  // another run, as its session holds the lock in gbr (the second region in regions.yaml)
  const holder = await fleet.client('gbr');
  await holder.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [FLEET_LOCK.classid, FLEET_LOCK.objid]);
  const results = await fleet.migrate({});
  await holder.end();
  t.deepEqual(
    results.map((r) => [r.region, r.status]),
    [
      ['usa', 'skipped'],
      ['gbr', 'failed'],
      ['aus', 'skipped'],
    ],
  );
  t.regex(results[1]!.error!.message, /^region "gbr": another pg-residency migrate is running on the fleet \(backend pid \d+/);
  t.deepEqual(await pending(), before, 'no region applied anything, usa (locked first) included');

  // two runs at once: one applies everything, the other changes nothing
  const [a, b] = await Promise.all([fleet.migrate({}), fleet.migrate({})]);
  const statuses = [a, b].map((run) => run.map((r) => r.status).join(','));
  t.true(statuses.includes('applied,applied,applied'), statuses.join(' | '));
  t.true(
    statuses.some((s) => s !== 'applied,applied,applied' && !s.includes('applied')),
    `the other run applied nothing: ${statuses.join(' | ')}`,
  );
  t.deepEqual(await pending(), [11, 11, 11]);
});
