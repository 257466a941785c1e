import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { regionPaths } from '../../src/cluster/regionPaths.js';
import type { Config } from '../../src/config/types.js';
import { renderSum } from '../../src/format/checksum.js';
import { appliedMigrations } from '../../src/migrate/appliedMigrations.js';
import { connectRegion } from '../../src/migrate/connect.js';
import { migrateFleet } from '../../src/migrate/migrateFleet.js';
import { statusFleet } from '../../src/migrate/statusFleet.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { recordCase } from '../helpers/catalogue.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Migrate under faults, on a durable mixed fleet that starts with nothing applied.
let fleet: Fleet;
const scratch: string[] = [];
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, migrate: false });
});
test.after.always(async () => {
  await fleet?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** The fleet's migrations generated for another link role, in a folder of their own. */
async function withLinkRole(role: string): Promise<{ config: Config; dir: string }> {
  const config: Config = { ...fleet.config, link: { ...fleet.config.link, role } };
  const dir = mkdtempSync(join(tmpdir(), 'rsd-role-'));
  scratch.push(dir);
  await genMigrations({ config, templates: await loadTemplates(), outDir: dir, check: false, force: false, fs: nodeGeneratedFs });
  return { config, dir };
}

const roleOf = async (region: string, role: string) =>
  (await fleet.query(region, 'SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = $1', [role]))[0];

test.serial('issue 8 #2: migrate refuses a link role it did not create, or one with too many rights, and alters neither', async (t) => {
  recordCase(t, 2);
  await fleet.query('usa', 'CREATE ROLE victim LOGIN SUPERUSER');
  await fleet.query('gbr', `CREATE ROLE victim2 LOGIN CREATEDB; COMMENT ON ROLE victim2 IS 'managed by pg-residency'`);
  try {
    const foreign = await withLinkRole('victim');
    const results = await migrateFleet({
      config: foreign.config,
      regions: [],
      all: true,
      direction: 'up',
      dir: foreign.dir,
      env: fleet.env,
      dryRun: false,
    });
    t.deepEqual(
      results.map((r) => [r.region, r.status]),
      [
        ['usa', 'failed'],
        ['gbr', 'skipped'],
        ['aus', 'skipped'],
      ],
    );
    t.regex(
      results[0]!.error!.message,
      /^region "usa": 0004_link_role\.sql failed: region "usa": the role "victim" already exists and pg-residency did not create it \(it lacks the comment 'managed by pg-residency'\); pg-residency creates and alters only roles it created\. Set link\.role in regions\.yaml to a new name, or drop the role \(DROP ROLE victim\) if nothing else uses it \[SQLSTATE 42710\]/,
    );
    t.deepEqual(await roleOf('usa', 'victim'), { rolsuper: true, rolcreatedb: false }, 'victim untouched');
    t.deepEqual(await roleOf('usa', 'postgres'), { rolsuper: true, rolcreatedb: true }, 'the cluster keeps its superuser');

    const strong = await withLinkRole('victim2');
    const [gbr] = await migrateFleet({
      config: strong.config,
      regions: ['gbr'],
      all: false,
      direction: 'up',
      dir: strong.dir,
      env: fleet.env,
      dryRun: false,
    });
    t.is(gbr?.status, 'failed');
    t.regex(gbr!.error!.message, /the link role "victim2" has more rights than a link needs .* \[SQLSTATE 42501\]/);
    t.deepEqual(await roleOf('gbr', 'victim2'), { rolsuper: false, rolcreatedb: true }, 'victim2 untouched');
    for (const region of ['usa', 'gbr']) {
      const client = await connectRegion(
        fleet.config.regions.find((r) => r.name === region)!,
        fleet.env,
      );
      t.deepEqual(await appliedMigrations(client), [], `${region}: nothing applied`);
      await client.end();
    }
  } finally {
    await fleet.query('usa', 'DROP ROLE victim');
    await fleet.query('gbr', 'DROP ROLE victim2');
  }
});

test.serial(
  'issue 8 #4: aus (PG 18) SIGKILLed mid up --all: the run reports only what committed, status tells the truth, the next up --all completes',
  async (t) => {
    recordCase(t, 4);
    // A test-only pause in aus's last local migration makes the kill land inside its transaction
    // (first in the file: pg_stat_activity shows only the start of a long query).
    const dir = join(fleet.dir, 'aus');
    const names = readdirSync(dir)
      .filter((n) => n.endsWith('.sql'))
      .sort();
    const entityFile = names.find((n) => n.includes('_entity_'))!;
    const original = readFileSync(join(dir, entityFile), 'utf8');
    const originalSum = readFileSync(join(dir, 'residency.sum'), 'utf8');
    writeFileSync(join(dir, entityFile), original.replace('-- Up Migration\n', '-- Up Migration\nSELECT pg_sleep(30);\n'));
    writeFileSync(join(dir, 'residency.sum'), renderSum(names.map((n) => ({ name: n, content: readFileSync(join(dir, n), 'utf8') }))));
    try {
      const run = fleet.migrate({});
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const sleeping = await fleet.query(
          'aus',
          "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
        );
        if (sleeping.length > 0) break;
        await sleep(50);
      }
      const pidFile = join(regionPaths(fleet.stateDir, 'aus', fleet.ports.aus!).dataDir, 'postmaster.pid');
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      const results = await run;
      // Wait until the kernel has ended it (a zombie or gone), as after a crash.
      const state = () => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch {
          return 'gone';
        }
      };
      while (!['Z', 'X', 'gone'].includes(state())) await sleep(10);
      const local = (region: string) =>
        readdirSync(join(fleet.dir, region))
          .filter((n) => n.endsWith('.sql') && /pg-residency-phase: local/.test(readFileSync(join(fleet.dir, region, n), 'utf8')))
          .map((n) => n.replace(/\.sql$/, ''))
          .sort();
      t.deepEqual(
        results.map((r) => [r.region, r.status, r.migrations]),
        [
          ['usa', 'applied', local('usa')],
          ['gbr', 'applied', local('gbr')],
          ['aus', 'failed', []],
        ],
      );
      t.regex(
        results[2]!.error!.message,
        /^region "aus": .*Nothing of this run was applied in "aus" \(one transaction\); fix the cause and run migrate up again\.$/s,
      );

      await fleet.startRegion('aus');
      const status = await statusFleet(fleet.config, [], true, fleet.dir, fleet.env);
      for (const s of status) {
        t.is(s.error, undefined, s.region);
        const applied = s.region === 'aus' ? [] : local(s.region);
        t.deepEqual(s.applied, applied, `${s.region}: applied is what committed`);
        t.is(s.applied.length + s.pending.length, readdirSync(join(fleet.dir, s.region)).filter((n) => n.endsWith('.sql')).length);
      }

      writeFileSync(join(dir, entityFile), original);
      writeFileSync(join(dir, 'residency.sum'), originalSum);
      const again = await fleet.migrate({});
      t.deepEqual(
        again.map((r) => [r.region, r.status, r.error?.message]),
        [
          ['usa', 'applied', undefined],
          ['gbr', 'applied', undefined],
          ['aus', 'applied', undefined],
        ],
      );
      for (const s of await statusFleet(fleet.config, [], true, fleet.dir, fleet.env)) {
        t.deepEqual([s.pending, s.modified, s.unknown], [[], [], []], s.region);
        const client = await connectRegion(
          fleet.config.regions.find((r) => r.name === s.region)!,
          fleet.env,
        );
        t.true(
          (await appliedMigrations(client)).every((a) => a.sha256 !== undefined),
          `${s.region}: every applied file has its checksum`,
        );
        await client.end();
      }
      const [row] = await fleet.query('aus', "SELECT (shared.upsert_identity(gen_random_uuid(), 'After', 'usa', 'n')).owned_here");
      t.deepEqual(row, { owned_here: false });
    } finally {
      writeFileSync(join(dir, entityFile), original);
      writeFileSync(join(dir, 'residency.sum'), originalSum);
    }
  },
);
