import test from 'ava';
import type { Phase } from '../../src/format/migrationFile.js';
import type { MigrationFile, RegionMigrations } from '../../src/migrate/regionMigrations.js';
import { remoteWaitMessage, remoteWaits, type RegionProgress } from '../../src/migrate/rolloutOrder.js';

const file = (name: string, phase: Phase): MigrationFile => ({ name, file: `${name}.sql`, content: '', phase, sha256: '' });

function history(region: string): RegionMigrations {
  const files = [
    file('0001_schemas', 'local'),
    file('0002_region_x', 'remote'),
    file('0003_add_expand', 'local'),
    file('0004_add_functions', 'remote'),
  ];
  return {
    region,
    dir: 'generated',
    files,
    steps: [
      { name: 'initial', files: ['0001_schemas', '0002_region_x'] },
      { name: 'add', files: ['0003_add_expand', '0004_add_functions'] },
    ],
  };
}
const progress = (region: string, applied: string[] | undefined): RegionProgress => ({
  region,
  migrations: history(region),
  applied: applied === undefined ? undefined : new Set(applied),
  ...(applied === undefined ? { unreadable: 'connection refused' } : {}),
});

test("a step's remote file waits until every other region ran the step's local files; a region's first step never waits", (t) => {
  const usa = history('usa');
  const queue = usa.files.slice(2);
  const wait = remoteWaits(usa, queue, [
    progress('gbr', ['0001_schemas', '0002_region_x']),
    progress('aus', ['0001_schemas', '0003_add_expand']),
  ]);
  t.like(wait, { index: 1, step: 'add', behind: [{ region: 'gbr' }] });
  t.is(
    remoteWaitMessage('usa', wait!),
    'rollout in progress: region "usa" ran step "add" up to its remote wave; 0004_add_functions.sql waits until "gbr" ran the step\'s local wave (so that no region accepts a column another region does not have yet). Run `pg-residency migrate up --region gbr` (or --all), then `pg-residency migrate up --region usa` again',
  );
  t.is(remoteWaits(usa, queue, [progress('gbr', ['0003_add_expand'])]), undefined);
  t.like(remoteWaits(usa, queue, [progress('gbr', undefined)]), { behind: [{ region: 'gbr', why: 'connection refused' }] });
  // the initial step: the others may not exist yet
  t.is(remoteWaits(usa, usa.files, [progress('gbr', [])])?.step, 'add');
});
