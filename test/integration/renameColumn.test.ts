import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
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
      ['rename_functions_identity.sql', 'rename_contract.sql'],
      'the rename runs with the functions (remote wave); the foreign partitions read the new name once every region renamed (contract)',
    );

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
      [b]: { full_name: 'Bob', remark: 'b1' },
      [c]: { full_name: 'Cid', remark: 'c1' },
      [d]: { full_name: 'Dee', remark: 'd1' },
      [e]: { full_name: 'Eve', remark: 'e1' },
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
      t.is(directory[0]!.n, '5', `${region}: every directory row has its remark`);
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
