import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { buildCli } from '../../src/cli/buildCli.js';
import type { AdoptJson } from '../../src/cli/commands/adopt.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { MIXED, SEED_ENTITY, startFleet, type Fleet } from '../helpers/fleet.js';
import { until } from '../helpers/poll.js';

// adopt on a mixed fleet (usa on 10, gbr on 11, aus on 18) from a source
// database "legacy" on aus's server: a CRM-like table of people mapped to
// regions with CASE, some with a country no region takes.
let fleet: Fleet;
let source: pg.Client;
let sourceUrl: string;
const PEOPLE = 6_000;

test.before(async () => {
  fleet = await startFleet({
    regions: MIXED,
    entities: `${SEED_ENTITY}
  - name: account
    schema: crm
    key: { name: code, type: text }
    mirrored: [{ name: plan, type: text }]
    resident: [{ name: email, type: text }]
`,
  });
  await fleet.query('aus', 'CREATE DATABASE legacy');
  sourceUrl = `postgres://postgres@127.0.0.1:${fleet.ports.aus}/legacy`;
  source = new pg.Client({
    host: '127.0.0.1',
    port: fleet.ports.aus,
    user: 'postgres',
    database: 'legacy',
    password: fleet.env.PGPASSWORD,
  });
  source.on('error', () => undefined);
  await source.connect();
  await source.query(`CREATE TABLE people (id uuid PRIMARY KEY, country text, note text, created timestamptz NOT NULL, full_name text)`);
  // countries: GB, AU, US, and every 50th FR (no region), every 97th NULL; names with tabs, newlines, backslashes, quotes
  await source.query(
    `INSERT INTO people SELECT md5('p' || i)::uuid,
        CASE WHEN i % 97 = 0 THEN NULL WHEN i % 50 = 0 THEN 'FR' ELSE (ARRAY['GB', 'AU', 'US'])[i % 3 + 1] END,
        CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ' || i END,
        timestamptz '2020-01-01 00:00:00+00' + i * interval '1 minute',
        'Person ' || i || CASE WHEN i % 11 = 0 THEN E'\\t"quoted"\\nback\\\\slash ' || chr(233) ELSE '' END
       FROM generate_series(1, ${PEOPLE}) i`,
  );
});
test.after.always(async () => {
  await source?.end().catch(() => undefined);
  await fleet?.stop();
});

const QUERY = `SELECT id AS uuid, CASE country WHEN 'GB' THEN 'gbr' WHEN 'AU' THEN 'aus' WHEN 'US' THEN 'usa' END AS region,
  note, created AS created_on, full_name AS name FROM people`;

async function adopt(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: [
      'adopt',
      '--config',
      fleet.configPath,
      '--state-dir',
      fleet.stateDir,
      '--entity',
      'shared.identity',
      '--from',
      sourceUrl,
      ...argv,
    ],
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr, json: argv.includes('--json') && stdout !== '' ? (JSON.parse(stdout) as AdoptJson) : undefined };
}

/** What the source says each region must hold: directory rows (all placed keys) and personal rows (its own). */
async function expected() {
  const { rows } = await source.query<{ key: string; region: string; note: string | null; created: string; name: string | null }>(
    `SELECT id::text AS key, r AS region, note, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created, full_name AS name
       FROM (SELECT p.*, CASE country WHEN 'GB' THEN 'gbr' WHEN 'AU' THEN 'aus' WHEN 'US' THEN 'usa' END AS r FROM people p) q
      WHERE r IS NOT NULL ORDER BY 1`,
  );
  return rows;
}

/** Every region's directory equals the source's placed rows; each leaf holds exactly its own people's names, and nothing personal is anywhere else. */
async function assertFleetEqualsSource(t: ExecutionContext) {
  const want = await expected();
  for (const region of ['usa', 'gbr', 'aus']) {
    const directory = await fleet.query<{ key: string; region: string; note: string | null; created: string }>(
      region,
      `SELECT uuid::text AS key, region, note, to_char(created_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created FROM ONLY shared.identity ORDER BY 1`,
    );
    t.deepEqual(
      directory,
      want.map(({ key, region: r, note, created }) => ({ key, region: r, note, created })),
      `${region}: directory`,
    );
    const leaf = await fleet.query<{ key: string; region: string; name: string | null }>(
      region,
      `SELECT uuid::text AS key, region, name FROM ONLY ${region}.identity_details ORDER BY 1`,
    );
    t.deepEqual(
      leaf,
      want.filter((w) => w.region === region).map(({ key, region: r, name }) => ({ key, region: r, name })),
      `${region}: its own people's personal rows, and only theirs`,
    );
  }
}

test.serial(
  'maps rows with CASE: directory everywhere, names only in the owner, unknown regions reported by key and copied nowhere; a second run writes nothing',
  async (t) => {
    const first = await adopt('--query', QUERY, '--batch', '1000', '--json');
    t.is(first.code, 0, first.stdout + first.stderr);
    const r = first.json!;
    t.true(r.ok);
    t.is(r.source.rows, PEOPLE);
    const unplaced = await source.query<{ key: string; country: string | null }>(
      `SELECT id::text AS key, country FROM people WHERE country IS NULL OR country = 'FR' ORDER BY 1`,
    );
    t.is(r.unplaced.count, unplaced.rows.length);
    t.deepEqual(
      [...r.unplaced.keys].sort((a, b) => a.key.localeCompare(b.key)),
      unplaced.rows.map((u) => ({ key: u.key, region: null })),
    );
    t.is(r.source.placed, PEOPLE - unplaced.rows.length);
    for (const s of r.regions) t.is(s.directoryRows, r.source.placed, s.region);
    t.is(
      r.regions.reduce((n, s) => n + s.personalRows, 0),
      r.source.placed,
    );
    await assertFleetEqualsSource(t);
    // the JSON names keys only: no name, no note
    t.false(first.stdout.includes('Person '));
    t.false(first.stdout.includes('note '));
    // checkpoints: one per range and region, keys and hashes only
    const [cp] = await fleet.query<{ n: number }>(
      'gbr',
      `SELECT count(*)::int AS n FROM residency_adopt.ranges WHERE entity = 'shared.identity'`,
    );
    t.is(cp!.n, r.source.ranges);

    const second = await adopt('--query', QUERY, '--batch', '1000', '--json');
    t.is(second.code, 0, second.stderr);
    for (const s of second.json!.regions) {
      t.is(s.directoryRows + s.personalRows + s.moved + s.deleted, 0, s.region);
      t.is(s.rangesSame, second.json!.source.ranges, s.region);
    }
    const check = await adopt('--query', QUERY, '--batch', '1000', '--check');
    t.is(check.code, 0, check.stdout + check.stderr);
    t.regex(check.stdout, /^ok: shared\.identity: 6000 source rows in 6 ranges, \d+ placed, compared in/m);
  },
);

/** An empty fleet again (directory, leaves, checkpoints), the source as the before hook made it. */
async function resetFleet() {
  for (const region of ['usa', 'gbr', 'aus'])
    await fleet.query(
      region,
      `TRUNCATE shared.identity, ${region}.identity_details; DO $$ BEGIN IF to_regclass('residency_adopt.ranges') IS NOT NULL THEN TRUNCATE residency_adopt.ranges; END IF; END $$`,
    );
}

test.serial(
  'cut-over pass: only changed rows are copied; an owner change moves the personal row; deletions are reported, then removed with --delete',
  async (t) => {
    await resetFleet();
    t.is((await adopt('--query', QUERY, '--batch', '500')).code, 0);
    // the old system keeps running: an edit, a new person, a move from GB to AU, a deletion
    const [edited, moved, deleted] = (
      await source.query<{ id: string }>(`SELECT id::text FROM people WHERE country = 'GB' ORDER BY id LIMIT 3`)
    ).rows.map((r) => r.id);
    await source.query(`UPDATE people SET full_name = 'Edited', note = 'edited' WHERE id = $1`, [edited]);
    await source.query(`UPDATE people SET country = 'AU' WHERE id = $1`, [moved]);
    await source.query(`DELETE FROM people WHERE id = $1`, [deleted]);
    await source.query(`INSERT INTO people VALUES ('00000000-0000-4000-8000-000000000001', 'US', 'new', now(), 'Newcomer')`);

    const pass = await adopt('--query', QUERY, '--batch', '500', '--json');
    t.is(pass.code, 1, 'the deleted key is still in the fleet');
    const r = pass.json!;
    const byRegion = Object.fromEntries(r.regions.map((s) => [s.region, s]));
    // directory: the edit, the move, the newcomer in every region; personal: edit in gbr, move into aus, newcomer in usa
    for (const region of ['usa', 'gbr', 'aus']) t.is(byRegion[region]!.directoryRows, 3, region);
    t.is(byRegion.gbr!.personalRows, 1);
    t.is(byRegion.aus!.personalRows, 1);
    t.is(byRegion.usa!.personalRows, 1);
    t.is(byRegion.gbr!.moved, 1, "the moved person's name left gbr");
    t.deepEqual(
      [...r.extra.keys].sort((a, b) => a.region.localeCompare(b.region)),
      [
        { region: 'aus', key: deleted },
        { region: 'gbr', key: deleted }, // its directory and personal rows: one key
        { region: 'usa', key: deleted },
      ].sort((a, b) => a.region.localeCompare(b.region)),
    );
    t.is(r.mismatched.count, 0);
    const text = await adopt('--query', QUERY, '--batch', '500');
    t.is(text.code, 1);
    t.regex(
      text.stdout,
      new RegExp(
        `^keys in the fleet that the source does not yield \\(kept\\): 3\n  usa ${deleted}\n  gbr ${deleted}\n  aus ${deleted}\n  run again with --delete to remove them$`,
        'm',
      ),
    );

    const removal = await adopt('--query', QUERY, '--batch', '500', '--delete', '--json');
    t.is(removal.code, 0, removal.stdout + removal.stderr);
    t.deepEqual(
      removal.json!.regions.map((s) => [s.region, s.deleted]),
      [
        ['usa', 1],
        ['gbr', 2],
        ['aus', 1],
      ],
    );
    await assertFleetEqualsSource(t);
    // and the fleet's own audit agrees: no finding in any region (adopt's checkpoint schema is not the application's)
    const audit = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
    t.deepEqual(audit.findings, []);
    t.true(audit.ok);
  },
);

test.serial('verification: a planted mismatch makes --check exit 1 naming the key and region; adopt repairs it and exits 0', async (t) => {
  await resetFleet();
  t.is((await adopt('--query', QUERY)).code, 0);
  const [{ id } = { id: '' }] = (await source.query<{ id: string }>(`SELECT id::text FROM people WHERE country = 'US' ORDER BY id LIMIT 1`))
    .rows;
  await fleet.query('aus', `UPDATE shared.identity SET note = 'planted' WHERE uuid = $1`, [id]);
  await fleet.query('usa', `UPDATE usa.identity_details SET name = 'planted' WHERE uuid = $1`, [id]);
  const check = await adopt('--query', QUERY, '--check', '--json');
  t.is(check.code, 1);
  t.deepEqual(check.json!.mismatched, {
    count: 2,
    keys: [
      { region: 'usa', key: id },
      { region: 'aus', key: id },
    ],
  });
  t.false(check.stdout.includes('planted'));
  const text = await adopt('--query', QUERY, '--check');
  t.is(text.code, 1);
  t.regex(text.stdout, new RegExp(`keys that differ from the source: 2\\n  usa ${id}\\n  aus ${id}\\n`));
  t.regex(text.stdout, /^FAILED: shared\.identity/m);
  const fix = await adopt('--query', QUERY, '--json');
  t.is(fix.code, 0);
  t.deepEqual(
    fix.json!.regions.map((s) => [s.region, s.directoryRows, s.personalRows, s.rangesWritten]),
    [
      ['usa', 0, 1, 1],
      ['gbr', 0, 0, 0],
      ['aus', 1, 0, 1],
    ],
  );
  await assertFleetEqualsSource(t);
});

const checkpoints = async (region: string) =>
  (await fleet.query<{ n: number }>(region, `SELECT count(*)::int AS n FROM residency_adopt.ranges`).catch(() => [{ n: 0 }]))[0]!.n;

test.serial(
  'resume after SIGKILL of the CLI mid-run: the same command completes; every row once, nothing personal outside its owner',
  async (t) => {
    await resetFleet();
    const ranges = Math.ceil((await source.query<{ n: number }>('SELECT count(*)::int AS n FROM people')).rows[0]!.n / 50);
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'bin', 'pg-residency.js'),
        'adopt',
        '--config',
        fleet.configPath,
        '--state-dir',
        fleet.stateDir,
        '--entity',
        'shared.identity',
        '--from',
        sourceUrl,
        '--query',
        QUERY,
        '--batch',
        '50',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // killed once some ranges are in: a range is one transaction per region, so any moment is as good as another
    await until('adopt to have written some ranges', async () => (await checkpoints('aus')) >= 5);
    child.kill('SIGKILL');
    t.is(await exited, 'SIGKILL');
    const before = await checkpoints('aus');
    t.true(before < ranges, `killed mid-run (${before} of ${ranges} ranges in aus)`);
    const resumed = await adopt('--query', QUERY, '--batch', '50', '--json');
    t.is(resumed.code, 0, resumed.stderr);
    const aus = resumed.json!.regions.find((s) => s.region === 'aus')!;
    t.true(aus.rangesSame >= before - 1, `ranges found in place: ${aus.rangesSame}, ${before} checkpointed before the kill`);
    t.true(aus.rangesWritten > 0);
    await assertFleetEqualsSource(t);
  },
);

test.serial('resume after a region is stopped mid-run: adopt fails naming it; once it is back the same command completes', async (t) => {
  await resetFleet();
  const run = adopt('--query', QUERY, '--batch', '50');
  await until('adopt to have written some ranges in gbr', async () => (await checkpoints('gbr')) >= 5);
  await fleet.stopRegion('gbr');
  let failed: Awaited<typeof run>;
  try {
    failed = await run;
  } finally {
    await fleet.startRegion('gbr');
  }
  t.is(failed.code, 1);
  t.regex(failed.stderr, /^error \[(CONNECTION|MIGRATION)\]: region "gbr": .*run the same adopt again when it is fixed/m);
  const resumed = await adopt('--query', QUERY, '--batch', '50', '--json');
  t.is(resumed.code, 0, resumed.stderr);
  t.true(resumed.json!.regions.find((s) => s.region === 'usa')!.rangesSame > 0);
  await assertFleetEqualsSource(t);
});

test.serial(
  'refuses: an entity regions.yaml does not have, a query whose columns are not the entity’s, a fleet doctor refuses; the source is only read',
  async (t) => {
    const wrongEntity = await buildCliRun(['adopt', '--entity', 'shared.people', '--from', sourceUrl, '--query', QUERY]);
    t.is(wrongEntity.code, 1);
    t.is(wrongEntity.stderr, 'error [CONFIG]: regions.yaml has no entity "shared.people"; it has "shared.identity", "crm.account"\n');
    const columns = await adopt('--query', 'SELECT id AS uuid, country AS region, note, full_name AS name, 1 AS extra FROM people');
    t.is(columns.code, 1);
    t.is(
      columns.stderr,
      'error [USAGE]: --query: the query yields no column "created_on" of shared.identity (name each as regions.yaml does, e.g. `SELECT id AS "uuid" ...`); the query yields "extra", which shared.identity does not have; it has "uuid", "region", "note", "created_on", "name"\n',
    );
    await source.query('CREATE SEQUENCE IF NOT EXISTS counter');
    const writes = await adopt(
      '--query',
      `SELECT id AS uuid, 'usa' AS region, note || nextval('counter') AS note, created AS created_on, full_name AS name FROM people`,
    );
    t.is(writes.code, 1);
    t.regex(
      writes.stderr,
      /^error \[CONNECTION\]: source postgres:\/\/postgres@127\.0\.0\.1:\d+\/legacy: .*cannot execute nextval\(\) in a read-only transaction \[SQLSTATE 25006\]\n$/,
    );
    t.is((await source.query<{ v: string }>('SELECT last_value::text AS v FROM counter')).rows[0]!.v, '1');
    // doctor: max_prepared_transactions 0 in gbr blocks two-phase writes, so adopt refuses the fleet
    const gbr = await fleet.client('gbr');
    await gbr.query('ALTER SYSTEM SET max_prepared_transactions = 0');
    await fleet.stopRegion('gbr');
    await fleet.startRegion('gbr');
    try {
      const refused = await adopt('--query', QUERY);
      t.is(refused.code, 1);
      t.regex(
        refused.stderr,
        /^error \[MIGRATION\]: the fleet is not ready, adopt wrote nothing: gbr: .*Run `pg-residency doctor --all` for the fixes\n$/,
      );
    } finally {
      await fleet.query('gbr', 'ALTER SYSTEM RESET max_prepared_transactions');
      await fleet.stopRegion('gbr');
      await fleet.startRegion('gbr');
    }
  },
);

async function buildCliRun(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: [...argv, '--config', fleet.configPath, '--state-dir', fleet.stateDir],
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

test.serial(
  'a text key is ordered byte-wise on both sides (COLLATE "C"): ranges and buckets agree whatever the collations; a changed row is found in its bucket',
  async (t) => {
    await source.query(`CREATE TABLE accounts (code text PRIMARY KEY, region text, plan text, email text)`);
    // upper and lower case, accents and digits sort differently under a language collation than byte-wise
    await source.query(
      `INSERT INTO accounts SELECT (ARRAY['a', 'B', 'é', 'Z', '1', 'ü'])[i % 6 + 1] || i, (ARRAY['usa', 'gbr', 'aus'])[i % 3 + 1], 'plan ' || i, 'mail' || i || '@example.org'
       FROM generate_series(1, 900) i`,
    );
    const query = 'SELECT code, region, plan, email FROM accounts';
    const run = (...more: string[]) =>
      buildCliRun(['adopt', '--entity', 'crm.account', '--from', sourceUrl, '--query', query, '--batch', '100', '--json', ...more]);
    const first = await run();
    t.is(first.code, 0, first.stdout + first.stderr);
    const again = await run();
    t.is(again.code, 0);
    t.deepEqual(
      (JSON.parse(again.stdout) as AdoptJson).regions.map((s) => s.rangesSame),
      [9, 9, 9],
    );
    // one change in every range: every range after the first is compared bucket by bucket
    await source.query(
      `UPDATE accounts SET email = 'changed-' || code WHERE code IN (SELECT code FROM accounts ORDER BY code COLLATE "C" OFFSET 50 ROWS) AND (hashtext(code) & 15) = 0`,
    );
    const changed = (await source.query<{ n: number }>(`SELECT count(*)::int AS n FROM accounts WHERE email LIKE 'changed-%'`)).rows[0]!.n;
    const pass = await run();
    t.is(pass.code, 0, pass.stdout);
    const report = JSON.parse(pass.stdout) as AdoptJson;
    t.is(
      report.regions.reduce((n, s) => n + s.personalRows, 0),
      changed,
    );
    t.deepEqual(
      report.regions.map((s) => s.directoryRows),
      [0, 0, 0],
    );
    const want = (
      await source.query<{ code: string; region: string; plan: string; email: string }>(
        'SELECT code, region, plan, email FROM accounts ORDER BY code COLLATE "C"',
      )
    ).rows;
    for (const region of ['usa', 'gbr', 'aus']) {
      t.deepEqual(
        await fleet.query(region, `SELECT code, region, plan FROM ONLY crm.account ORDER BY code COLLATE "C"`),
        want.map(({ code, region: r, plan }) => ({ code, region: r, plan })),
      );
      t.deepEqual(
        await fleet.query(region, `SELECT code, region, email FROM ONLY ${region}.account_details ORDER BY code COLLATE "C"`),
        want.filter((w) => w.region === region).map(({ code, region: r, email }) => ({ code, region: r, email })),
      );
    }
  },
);

test.serial(
  '--changed-since: after a complete run, the next reads only rows whose column reached the mark, key by key; deleted rows make it compare all',
  async (t) => {
    await resetFleet();
    await source.query(`ALTER TABLE people ADD COLUMN IF NOT EXISTS changed timestamptz`);
    await source.query(`UPDATE people SET changed = created`);
    const query = QUERY.replace('full_name AS name FROM people', 'full_name AS name, changed FROM people');
    const run = async (...more: string[]) => {
      const r = await adopt('--query', query, '--batch', '500', '--changed-since', 'changed', '--json', ...more);
      return { code: r.code, r: r.json!, out: r.stdout + r.stderr };
    };
    const missing = await adopt('--query', QUERY, '--changed-since', 'changed');
    t.is(missing.code, 1);
    t.regex(missing.stderr, /the query yields no column "changed", which --changed-since names/);

    const first = await run();
    t.is(first.code, 0, first.out);
    t.is(first.r.mode, 'full', 'no mark yet: every row is compared');
    await assertFleetEqualsSource(t);

    const [edited, moved] = (
      await source.query<{ id: string }>(`SELECT id::text FROM people WHERE country = 'GB' ORDER BY id LIMIT 2`)
    ).rows.map((r) => r.id);
    await source.query(`UPDATE people SET full_name = 'Edited since the mark', changed = now() WHERE id = $1`, [edited]);
    await source.query(`UPDATE people SET country = 'AU', changed = now() WHERE id = $1`, [moved]);
    await source.query(`INSERT INTO people VALUES ('00000000-0000-4000-8000-000000000002', 'US', 'new', now(), 'Second newcomer', now())`);
    const pass = await run();
    t.is(pass.code, 0, pass.out);
    t.is(pass.r.mode, 'changed');
    t.is(pass.r.source.rows, 4, 'the 3 changed rows and the one at the last mark');
    const byRegion = Object.fromEntries(pass.r.regions.map((s) => [s.region, s]));
    // directory: the move and the newcomer (the edit is personal only); personal: one in each region
    for (const region of ['usa', 'gbr', 'aus']) t.is(byRegion[region]!.directoryRows, 2, region);
    t.deepEqual(
      pass.r.regions.map((s) => [s.region, s.personalRows]),
      [
        ['usa', 1],
        ['gbr', 1],
        ['aus', 1],
      ],
    );
    t.is(byRegion.gbr!.moved, 1, "the moved person's name left gbr");
    await assertFleetEqualsSource(t);

    const [deleted] = (await source.query<{ id: string }>(`SELECT id::text FROM people WHERE country = 'US' ORDER BY id LIMIT 1`)).rows.map(
      (r) => r.id,
    );
    await source.query(`DELETE FROM people WHERE id = $1`, [deleted]);
    const deletion = await run();
    t.is(deletion.code, 1);
    t.is(deletion.r.mode, 'changed, then full', 'the counts showed a deletion: every row was compared');
    t.is(deletion.r.extra.count, 3);
    t.true(deletion.r.extra.keys.every((e) => e.key === deleted));
    const removal = await run('--delete');
    t.is(removal.code, 0, removal.out);
    await assertFleetEqualsSource(t);
    const quiet = await run();
    t.is(quiet.code, 0, quiet.out);
    t.is(quiet.r.mode, 'changed');
    t.true(quiet.r.regions.every((s) => s.directoryRows + s.personalRows === 0));
  },
);
