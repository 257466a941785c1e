import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import { migrationSection } from '../../src/format/migrationSection.js';
import { migrateFleet, type MigrateInput } from '../../src/migrate/migrateFleet.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 18: a column renamed (`renamed_from`) on a real mixed fleet (usa
// PostgreSQL 10 routing, gbr 11 and aus 18 native). Rows written before the
// step keep their values; after it, callers of the previous version (the
// positional signature, JSON with the old field names) and of the new one
// (JSON with the new names) all write the renamed columns, every region reads
// them by the new name, verify is clean, and down brings the old names back.

let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

const migrate = (config: Config, input: Partial<MigrateInput>) =>
  migrateFleet({ config, regions: [], all: true, direction: 'up', dir: fleet.dir, env: fleet.env, dryRun: false, ...input });

const positional = (region: string, key: string, name: string, home: string, note: string) =>
  fleet.query(region, 'SELECT shared.upsert_identity($1, $2, $3, $4)', [key, name, home, note]);
const json = (region: string, rows: object[]) =>
  fleet.query(region, 'SELECT * FROM shared.upsert_identity_many($1)', [JSON.stringify(rows)]);

test.serial(
  'a mirrored and a resident column renamed: old and new callers keep writing, every region reads the new names, verify is clean',
  async (t) => {
    const a = randomUUID();
    const b = randomUUID();
    await positional('usa', a, 'Ann', 'gbr', 'a1');
    await json('gbr', [{ uuid: b, region: 'aus', name: 'Bob', note: 'b1' }]);

    const yaml = readFileSync(fleet.configPath, 'utf8')
      .replace('- { name: note, type: text }', '- { name: remark, type: text, renamed_from: note }')
      .replace('- { name: name, type: text }', '- { name: full_name, type: text, renamed_from: name }');
    t.not(yaml, readFileSync(fleet.configPath, 'utf8'));
    const config = parseConfig(yaml, 'regions.yaml', fleet.env);
    const generated = await genMigrations({
      config,
      templates: await loadTemplates(),
      outDir: fleet.dir,
      check: false,
      force: false,
      name: 'rename',
      fs: nodeGeneratedFs,
    });
    t.true(generated.every((r) => r.status === 'written' && r.destructive.length === 0));
    const files = generated.find((r) => r.region === 'gbr')!.files.filter((f) => f.endsWith('.sql'));
    t.deepEqual(
      files.map((f) => f.replace(/^gbr\/\d+_/, '')),
      ['rename_runtime.sql', 'rename_functions_identity.sql', 'rename_contract.sql'],
      'apply learns both names (runtime), the rename runs with the functions (remote wave); the foreign partitions read the new name once every region renamed (contract)',
    );

    // the remote wave's window: gbr has renamed, usa and aus not yet (their
    // remote files still to run); writes either way keep every value
    const remote = files.filter((f) => !f.endsWith('_contract.sql')).map((f) => readFileSync(join(fleet.dir, f), 'utf8'));
    for (const content of remote) await fleet.query('gbr', migrationSection(content, 'up'));
    const w1 = randomUUID();
    const w2 = randomUUID();
    // from the renamed gbr, new names, owner usa (old names)
    await json('gbr', [{ uuid: w1, region: 'usa', full_name: 'Wyn', remark: 'w1' }]);
    await json('gbr', [{ uuid: b, region: 'aus', remark: 'b2' }]);
    // from usa (old names), owner the renamed gbr
    await json('usa', [{ uuid: w2, region: 'gbr', name: 'Wes', note: 'w2' }]);
    await json('usa', [{ uuid: a, region: 'gbr', note: 'a3' }]);
    t.deepEqual(
      await fleet.query('usa', 'SELECT d.name, m.note FROM usa.identity_details d JOIN shared.identity m USING (uuid) WHERE uuid = $1', [
        w1,
      ]),
      [{ name: 'Wyn', note: 'w1' }],
      'usa (old names) stores what the renamed gbr wrote',
    );
    t.deepEqual(
      await fleet.query(
        'gbr',
        'SELECT d.full_name, m.remark FROM gbr.identity_details d JOIN shared.identity m USING (uuid) WHERE uuid = ANY ($1) ORDER BY 1',
        [[w2, a]],
      ),
      [
        { full_name: 'Ann', remark: 'a3' },
        { full_name: 'Wes', remark: 'w2' },
      ],
      'the renamed gbr stores what usa wrote by the old names',
    );
    for (const [region, column] of [
      ['usa', 'note'],
      ['aus', 'note'],
      ['gbr', 'remark'],
    ] as const) {
      const rows = await fleet.query<{ v: string }>(
        region,
        `SELECT ${column} AS v FROM shared.identity WHERE uuid = ANY ($1) ORDER BY ${column}`,
        [[a, b, w1, w2]],
      );
      t.deepEqual(
        rows.map((r) => r.v),
        ['a3', 'b2', 'w1', 'w2'],
        `${region}: every directory value written during the window`,
      );
    }
    // gbr back to where a rollout left it, then the real rollout
    for (const content of [...remote].reverse()) await fleet.query('gbr', migrationSection(content, 'down'));

    const up = await migrate(config, {});
    t.deepEqual(
      up.filter((r) => r.status === 'failed').map((r) => r.error?.message),
      [],
    );

    // after: the previous version's callers and the new one's
    const c = randomUUID();
    const d = randomUUID();
    const e = randomUUID();
    await positional('aus', c, 'Cid', 'usa', 'c1');
    await json('usa', [{ uuid: d, region: 'gbr', name: 'Dee', note: 'd1' }]);
    await json('gbr', [{ uuid: e, region: 'aus', full_name: 'Eve', remark: 'e1' }]);
    // an update of a row written before the step, by its old names
    await json('aus', [{ uuid: a, region: 'gbr', name: 'Ann', note: 'a2' }]);
    const expected: Record<string, { full_name: string; remark: string }> = {
      [a]: { full_name: 'Ann', remark: 'a2' },
      [b]: { full_name: 'Bob', remark: 'b2' },
      [c]: { full_name: 'Cid', remark: 'c1' },
      [d]: { full_name: 'Dee', remark: 'd1' },
      [e]: { full_name: 'Eve', remark: 'e1' },
      [w1]: { full_name: 'Wyn', remark: 'w1' },
      [w2]: { full_name: 'Wes', remark: 'w2' },
    };
    for (const region of ['usa', 'gbr', 'aus']) {
      for (const [key, values] of Object.entries(expected)) {
        const rows = await fleet.query<{ full_name: string; remark: string }>(
          region,
          'SELECT full_name, remark FROM shared.get_identity($1)',
          [key],
        );
        t.deepEqual(rows, [values], `${region} reads ${key}`);
      }
      const directory = await fleet.query<{ n: string }>(region, 'SELECT count(*) AS n FROM shared.identity WHERE remark IS NOT NULL');
      t.is(directory[0]!.n, '7', `${region}: every directory row has its remark`);
    }
    const report = await verifyFleet(config, fleet.env, { dir: fleet.dir });
    t.deepEqual(
      report.findings.map((f) => `${f.rule} ${f.region} ${f.object}`),
      [],
    );

    // down: the old names, the values kept
    const down = await migrate(config, { direction: 'down', steps: 1 });
    t.deepEqual(
      down.filter((r) => r.status === 'failed').map((r) => r.error?.message),
      [],
    );
    for (const region of ['usa', 'gbr', 'aus']) {
      const rows = await fleet.query<{ name: string; note: string }>(region, 'SELECT name, note FROM shared.get_identity($1)', [a]);
      t.deepEqual(rows, [{ name: 'Ann', note: 'a2' }], region);
    }
  },
);
