import test from 'ava';
import type { Phase } from '../../src/format/migrationFile.js';
import { planWaves, regionQueue } from '../../src/migrate/planMigrations.js';
import type { MigrationFile, RegionMigrations } from '../../src/migrate/regionMigrations.js';

const file = (name: string, phase: Phase): MigrationFile => ({
  name,
  file: `${name}.sql`,
  content: `-- ${name}`,
  phase,
  sha256: `sha-${name}`,
});

/** A region with an initial history (local, local, remote, remote) and a second step (local, remote). */
function region(name: string, extra: MigrationFile[] = []): RegionMigrations {
  const files = [
    file('0001_extensions', 'local'),
    file('0002_entity_identity', 'local'),
    file('0003_region_gbr', 'remote'),
    file('0004_functions_identity', 'remote'),
    file('0005_step2_expand', 'local'),
    file('0006_step2_functions_identity', 'remote'),
    ...extra,
  ];
  return {
    region: name,
    dir: `generated/${name}`,
    files,
    steps: [
      { name: 'initial', files: files.slice(0, 4).map((f) => f.name) },
      { name: 'step2', files: files.slice(4).map((f) => f.name) },
    ],
  };
}

const applied = (m: RegionMigrations, n: number) => m.files.slice(0, n).map((f) => ({ name: f.name, sha256: f.sha256 }));
const names = (files: readonly MigrationFile[]) => files.map((f) => f.name);

test('up runs every file not applied, in file order', (t) => {
  const usa = region('usa');
  t.deepEqual(names(regionQueue(usa, applied(usa, 4), { direction: 'up' })), ['0005_step2_expand', '0006_step2_functions_identity']);
  t.deepEqual(regionQueue(usa, applied(usa, 6), { direction: 'up' }), []);
  t.is(regionQueue(usa, [], { direction: 'up' }).length, 6);
});

test('down reverts applied files last first; --count limits them, --steps N takes the last N steps with an applied file', (t) => {
  const usa = region('usa');
  t.deepEqual(names(regionQueue(usa, applied(usa, 6), { direction: 'down', count: 2 })), [
    '0006_step2_functions_identity',
    '0005_step2_expand',
  ]);
  t.deepEqual(names(regionQueue(usa, applied(usa, 6), { direction: 'down', steps: 1 })), [
    '0006_step2_functions_identity',
    '0005_step2_expand',
  ]);
  // step2 half applied still counts as the last step
  t.deepEqual(names(regionQueue(usa, applied(usa, 5), { direction: 'down', steps: 1 })), ['0005_step2_expand']);
  // step2 not applied at all: the last step with an applied file is the initial one
  t.deepEqual(names(regionQueue(usa, applied(usa, 4), { direction: 'down', steps: 1 })), [
    '0004_functions_identity',
    '0003_region_gbr',
    '0002_entity_identity',
    '0001_extensions',
  ]);
  t.is(regionQueue(usa, applied(usa, 6), { direction: 'down', steps: 5 }).length, 6);
  t.is(regionQueue(usa, applied(usa, 6), { direction: 'down' }).length, 6);
  t.deepEqual(regionQueue(usa, [], { direction: 'down' }), []);
});

test('an applied file that is not in the folder is refused, naming it and the way back', (t) => {
  const usa = region('usa');
  t.throws(() => regionQueue(usa, [...applied(usa, 6), { name: '0007_step3_region_nzl', sha256: 'x' }], { direction: 'up' }), {
    message:
      'region "usa": the database applied 0007_step3_region_nzl, which is not in generated/usa/; restore the file from version control, or revert it with the files it was applied from',
  });
});

test('an applied file whose checksum changed is refused; one applied before checksums were recorded is accepted', (t) => {
  const usa = region('usa');
  const edited = applied(usa, 3).map((a, i) => (i === 1 ? { ...a, sha256: 'other' } : a));
  const error = t.throws(() => regionQueue(usa, edited, { direction: 'up' }));
  t.is((error as { code?: string }).code, 'CHECKSUM');
  t.is(
    error?.message,
    'region "usa": 0002_entity_identity.sql was applied, then changed (its checksum differs from the one recorded when it ran). Applied migrations are never rewritten: restore the file from version control and put the change in a new migration.',
  );
  t.is(regionQueue(usa, [{ name: '0001_extensions', sha256: undefined }], { direction: 'up' }).length, 5);
});

test('a file not applied before an applied one (a reordered or inserted file) is refused before anything runs', (t) => {
  const usa = region('usa');
  const gap = applied(usa, 6).filter((a) => a.name !== '0003_region_gbr');
  for (const direction of ['up', 'down'] as const) {
    t.throws(() => regionQueue(usa, gap, { direction }), {
      message:
        'region "usa": 0003_region_gbr.sql is not applied, but 0006_step2_functions_identity.sql after it is: the files in generated/usa/ are out of order with what this database applied. Restore the folder from version control; generated files are only ever appended.',
    });
  }
});

test('--count and --steps must be whole numbers from 1', (t) => {
  const usa = region('usa');
  t.throws(() => regionQueue(usa, applied(usa, 6), { direction: 'down', count: 0 }), {
    message: '--count must be a whole number from 1, got 0',
  });
  t.throws(() => regionQueue(usa, applied(usa, 6), { direction: 'down', steps: 1.5 }), {
    message: '--steps must be a whole number from 1, got 1.5',
  });
});

const plan = (waves: ReturnType<typeof planWaves>) =>
  waves.map((w) => `${w.phase}: ${w.steps.map((s) => `${s.region}(${names(s.files).join(' ')})`).join(', ')}`);

test("up runs waves: every region's leading local files, then every region's remote ones, again until done", (t) => {
  const usa = region('usa');
  const gbr = region('gbr');
  t.deepEqual(
    plan(
      planWaves(
        [
          { region: 'usa', queue: regionQueue(usa, [], { direction: 'up' }) },
          { region: 'gbr', queue: regionQueue(gbr, applied(gbr, 4), { direction: 'up' }) },
        ],
        'up',
      ),
    ),
    [
      'local: usa(0001_extensions 0002_entity_identity), gbr(0005_step2_expand)',
      'remote: usa(0003_region_gbr 0004_functions_identity), gbr(0006_step2_functions_identity)',
      'local: usa(0005_step2_expand)',
      'remote: usa(0006_step2_functions_identity)',
    ],
  );
});

test('a backfill runs after every region’s remote wave; down runs the waves backwards', (t) => {
  const nzl = region('nzl', [file('0007_backfill', 'backfill')]);
  const usa = region('usa');
  t.deepEqual(
    plan(
      planWaves(
        [
          { region: 'usa', queue: [] },
          { region: 'nzl', queue: regionQueue(nzl, applied(nzl, 4), { direction: 'up' }) },
        ],
        'up',
      ),
    ),
    ['local: nzl(0005_step2_expand)', 'remote: nzl(0006_step2_functions_identity)', 'backfill: nzl(0007_backfill)'],
  );
  t.deepEqual(
    plan(
      planWaves(
        [
          { region: 'usa', queue: regionQueue(usa, applied(usa, 6), { direction: 'down', steps: 1 }) },
          { region: 'nzl', queue: regionQueue(nzl, applied(nzl, 7), { direction: 'down', steps: 1 }) },
        ],
        'down',
      ),
    ),
    [
      'backfill: nzl(0007_backfill)',
      'remote: usa(0006_step2_functions_identity), nzl(0006_step2_functions_identity)',
      'local: usa(0005_step2_expand), nzl(0005_step2_expand)',
    ],
  );
  t.deepEqual(planWaves([{ region: 'usa', queue: [] }], 'up'), []);
});
