import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import { devDown } from '../../src/cluster/devDown.js';
import { devUp } from '../../src/cluster/devUp.js';
import { migrateFleet, type MigrateInput } from '../../src/migrate/migrateFleet.js';
import { statusFleet } from '../../src/migrate/statusFleet.js';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { freePort, MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { MAJORS, VERSIONS, type Version } from '../helpers/evolutionVersions.js';
import { until } from '../helpers/poll.js';

// A real mixed fleet (usa PostgreSQL 10 routing, gbr 11 and aus 18 native)
// walked through a sequence of regions.yaml versions. Each step is generated,
// then applied with `migrate up --all` while a writer keeps calling the API
// with the seed's call signature. Then every step is reverted, newest first.

let fleet: Fleet;
let canPort: number;
const configs: Config[] = [];

function yamlOf(v: Version): string {
  const ports: Record<string, number> = { ...fleet.ports, can: canPort };
  return [
    'mode: auto',
    // the dev fleet's TLS files, relative to each server's data directory (as the scratch fleet writes them)
    'link: { sslcert: ../../.tls/link.crt, sslkey: ../../.tls/link.key }',
    'regions:',
    ...v.regions.map(
      (r) =>
        `  - { name: ${r}, url: "postgres://postgres@127.0.0.1:${ports[r]}/residency", postgres: ${MAJORS[r]}, fdw: { sslrootcert: ../../.tls/ca.crt } }`,
    ),
    'entities:',
    v.entities,
  ].join('\n');
}

test.before(async () => {
  fleet = await startFleet({ regions: MIXED, migrate: false });
  canPort = await freePort();
});
test.after.always(async () => {
  const withCan = configs.find((c) => c.regions.some((r) => r.name === 'can'));
  if (withCan)
    await devDown({ ...withCan, regions: withCan.regions.filter((r) => r.name === 'can') }, { stateDir: fleet.stateDir, purge: true });
  await fleet?.stop();
});

/** One query on any region of the test, `can` included (the scratch fleet knows only its first three). */
async function query<T extends pg.QueryResultRow>(region: string, sql: string): Promise<T[]> {
  if (region !== 'can') return fleet.query<T>(region, sql);
  const client = new pg.Client({
    host: '127.0.0.1',
    port: canPort,
    user: 'postgres',
    password: fleet.env.PGPASSWORD,
    database: 'residency',
  });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface Written {
  readonly key: string;
  readonly region: string;
}

/** Calls upsert_identity with the seed's four arguments in a loop, from every region in turn, until stopped. */
function startWriter(regions: readonly string[]) {
  const written: Written[] = [];
  const failures: string[] = [];
  let stop = false;
  const run = (async () => {
    const clients = await Promise.all(regions.map((r) => fleet.client(r)));
    for (let i = 0; !stop && i < 5000; i += 1) {
      const key = randomUUID();
      const region = regions[i % regions.length]!;
      try {
        await clients[(i + 1) % clients.length]!.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [key, `person ${i}`, region, 'n']);
        written.push({ key, region });
      } catch (error) {
        failures.push(`${regions[(i + 1) % clients.length]}: ${(error as Error).message} | ${(error as { where?: string }).where ?? ''}`);
      }
    }
    await Promise.all(clients.map((c) => c.end()));
  })();
  return {
    written,
    failures,
    async stop() {
      stop = true;
      await run;
    },
  };
}

async function generate(v: Version, config: Config) {
  return genMigrations({
    config,
    templates: await loadTemplates(),
    outDir: fleet.dir,
    check: false,
    force: false,
    name: v.name,
    allowDestructive: v.destructive ?? false,
    fs: nodeGeneratedFs,
  });
}

const migrate = (config: Config, input: Partial<MigrateInput>) =>
  migrateFleet({ config, regions: [], all: true, direction: 'up', dir: fleet.dir, env: fleet.env, dryRun: false, ...input });

/** What a region's catalog holds of the managed objects: columns, foreign tables and their targets, functions with arguments. */
async function catalog(region: string): Promise<string[]> {
  const rows = await query<{ s: string }>(
    region,
    `SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS s
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f')
        AND n.nspname IN ('shared', 'billing', 'usa', 'gbr', 'aus', 'can', 'residency')
     UNION ALL
     SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('shared', 'billing', 'residency')
     UNION ALL
     SELECT 'server ' || srvname FROM pg_foreign_server
     UNION ALL
     SELECT 'registry ' || name || ' ' || is_local FROM residency.regions
     ORDER BY 1`,
  );
  return rows.map((r) => r.s);
}

async function fleetCatalog(config: Config): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const r of config.regions) out[r.name] = await catalog(r.name);
  return out;
}

test.serial(
  'a fleet evolves through seven versions of regions.yaml while a writer keeps calling the old signature; then each step reverts',
  async (t) => {
    const catalogs: Record<string, string[]>[] = [];
    const allWritten: Written[] = [];
    for (const [index, v] of VERSIONS.entries()) {
      const yaml = yamlOf(v);
      writeFileSync(fleet.configPath, yaml);
      const config = parseConfig(yaml, fleet.configPath, {});
      configs.push(config);
      const before = new Map(config.regions.map((r) => [r.name, existingFiles(r.name)]));
      const generated = await generate(v, config);
      t.true(
        generated.every((r) => r.status === (index === 0 ? 'unchanged' : 'written')),
        `${v.name}: ${JSON.stringify(generated)}`,
      );
      // earlier files are never rewritten
      for (const [region, files] of before)
        for (const [name, bytes] of files) t.is(readFileSync(join(fleet.dir, region, name), 'utf8'), bytes, `${v.name}: ${region}/${name}`);
      // regenerating writes nothing
      t.deepEqual(
        (await generate(v, config)).map((r) => r.status),
        config.regions.map(() => 'unchanged'),
      );
      if (v.regions.includes('can') && !configs[index - 1]?.regions.some((r) => r.name === 'can')) {
        const [up] = await devUp(
          { ...config, regions: config.regions.filter((r) => r.name === 'can') },
          { stateDir: fleet.stateDir, env: {} },
        );
        if (up?.error) throw up.error;
      }
      const functionsBefore = await functionVersions('usa');
      if (v.name === 'remove-can') {
        // refused while the region owns personal rows: the error says how many and what to do
        await query('usa', "SELECT shared.upsert_identity('00000000-0000-4000-8000-00000000ca11', 'Canadian', 'can', 'n')");
        const refused = await migrate(config, {});
        t.regex(
          refused.find((r) => r.status === 'failed')?.error?.message ?? '',
          /region can still owns 1 personal row\(s\) of identity: rehome them \("shared"\."rehome_identity"\) or erase them \("shared"\."erase_identity"\) first, then run migrate up again \[SQLSTATE RS020\]/,
        );
        await query('usa', "SELECT shared.erase_identity('00000000-0000-4000-8000-00000000ca11')");
      }
      const writer = index === 0 ? undefined : startWriter(['usa', 'gbr', 'aus']);
      // the step runs while writes are under way: wait for the first ones
      if (writer) await until('the writer to write under the old functions', () => writer.written.length + writer.failures.length > 0);
      const writtenBefore = writer?.written.length ?? 0;
      const results = await migrate(config, {});
      if (v.name === 'add-can') {
        // adding a region replaced no function: it added a row, a server and foreign tables
        t.deepEqual(await functionVersions('usa'), functionsBefore);
        // and writes route to it at once, from a region on another major
        await query('usa', "SELECT shared.upsert_identity('00000000-0000-4000-8000-0000000000ca', 'New region', 'can', 'n')");
        t.deepEqual(await query('can', "SELECT name FROM can.identity_details WHERE uuid = '00000000-0000-4000-8000-0000000000ca'"), [
          { name: 'New region' },
        ]);
        t.deepEqual(
          await query('usa', "SELECT count(*)::int AS n FROM usa.identity_details WHERE uuid = '00000000-0000-4000-8000-0000000000ca'"),
          [{ n: 0 }],
        );
        await query('gbr', "SELECT shared.erase_identity('00000000-0000-4000-8000-0000000000ca')");
      }
      t.deepEqual(
        results.filter((r) => r.status !== 'applied').map((r) => [r.region, r.status, r.error?.message]),
        [],
        v.name,
      );
      // and writes go on under the new ones
      if (writer)
        await until('the writer to write under the new functions', () => writer.written.length + writer.failures.length > writtenBefore);
      if (writer) {
        await writer.stop();
        t.deepEqual(writer.failures.slice(0, 3), [], `${v.name}: calls failed during the step`);
        t.true(writer.written.length > 0, v.name);
        allWritten.push(...writer.written);
      }
      const synced = await syncFleet(config, [], true, fleet.env);
      t.deepEqual(
        synced.filter((s) => s.error || s.entities.some((e) => e.pending > 0)),
        [],
      );
      // every row written so far: its directory row in every region, its personal row in its owner only
      for (const region of config.regions) {
        const directory = await query<{ uuid: string; region: string }>(region.name, 'SELECT uuid::text, region FROM shared.identity');
        const byKey = new Map(directory.map((r) => [r.uuid, r.region]));
        t.deepEqual(allWritten.filter((w) => byKey.get(w.key) !== w.region).slice(0, 3), [], `${v.name}: directory of ${region.name}`);
        const leaf = await query<{ uuid: string }>(region.name, `SELECT uuid::text FROM ${JSON.stringify(region.name)}.identity_details`);
        const local = new Set(leaf.map((r) => r.uuid));
        t.deepEqual(
          allWritten.filter((w) => local.has(w.key) !== (w.region === region.name)).slice(0, 3),
          [],
          `${v.name}: personal rows in ${region.name}`,
        );
      }
      catalogs.push(await fleetCatalog(config));
      const status = await statusFleet(config, [], true, fleet.dir, fleet.env);
      t.deepEqual(
        status.filter((s) => s.pending.length > 0 || s.error),
        [],
      );
    }
    // the catalog after each step, by what it must hold
    t.true(catalogs[1]!.usa!.includes("column shared.identity.tier text default 'basic'::text"));
    // writes reach gbr through dblink: no foreign directory table there to add the column to
    t.false(catalogs[1]!.usa!.some((s) => s.startsWith('column gbr.identity.')));
    t.true(catalogs[2]!.aus!.includes('column usa.identity_details.email text'));
    t.true(catalogs[3]!.gbr!.includes('function billing.upsert_account(id bigint, iban text, region text, plan text)'));
    t.true(catalogs[4]!.usa!.includes('registry can false'));
    t.true(catalogs[4]!.can!.includes('registry can true'));
    t.false(catalogs[5]!.usa!.some((s) => s.includes('.tier ')));
    t.true(
      catalogs[5]!.usa!.some((s) => s.startsWith('function shared.upsert_identity(') && s.includes('tier text')),
      'the retired parameter stays',
    );
    t.false(
      catalogs[6]!.usa!.some((s) => /\bcan\b/.test(s)),
      'nothing of region can is left in usa',
    );

    // down, one step at a time: back to the previous step's catalog
    for (let i = VERSIONS.length - 1; i >= 1; i -= 1) {
      // the regions.yaml of the step being reverted: a removed region's server comes back bound to where it was
      // (issue 18, finding 5: this failed with RS007 when regions.yaml no longer named the region)
      const config = configs[i]!;
      // the regions that took part in the step
      const down = await migrate(config, {
        direction: 'down',
        steps: 1,
        allowDestructive: true,
        all: false,
        regions: configs[i]!.regions.map((r) => r.name),
      });
      t.deepEqual(
        down.filter((r) => r.status === 'failed').map((r) => [r.region, r.error?.message]),
        [],
        `down ${VERSIONS[i]!.name}`,
      );
      const previous = configs[i - 1]!;
      const expected = catalogs[i - 1]!;
      for (const region of previous.regions) {
        if (!config.regions.some((r) => r.name === region.name) && region.name !== 'can') continue;
        t.deepEqual(await catalog(region.name), expected[region.name], `down ${VERSIONS[i]!.name}: ${region.name}`);
      }
    }
  },
);

test.serial('dev down stops the server of a region that regions.yaml no longer lists', async (t) => {
  const withCan = configs.find((c) => c.regions.some((r) => r.name === 'can'));
  const without = configs.at(-1);
  if (withCan === undefined || without === undefined) return t.fail('the evolution test did not run');
  const down = await devDown(without, { stateDir: fleet.stateDir, stopUnlisted: true });
  t.deepEqual(
    down.filter((r) => r.region === 'can').map((r) => [r.status, r.error?.message]),
    [['stopped', undefined]],
  );
  await t.throwsAsync(query('can', 'SELECT 1'));
});

/** Each function's oid and row version: a replaced function changes them. */
async function functionVersions(region: string): Promise<string[]> {
  const rows = await query<{ s: string }>(
    region,
    `SELECT p.proname || ' ' || p.oid || ' ' || p.xmin AS s FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname IN ('shared', 'billing') ORDER BY 1`,
  );
  return rows.map((r) => r.s);
}

function existingFiles(region: string): Map<string, string> {
  const dir = join(fleet.dir, region);
  try {
    return new Map(
      readdirSync(dir)
        .map((n) => [n, readFileSync(join(dir, n), 'utf8')] as const)
        .filter(([n]) => n.endsWith('.sql')),
    );
  } catch {
    return new Map();
  }
}
