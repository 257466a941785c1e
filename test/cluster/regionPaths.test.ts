import { resolve } from 'node:path';
import test from 'ava';
import { regionDirName, regionPaths } from '../../src/cluster/regionPaths.js';

test('paths keep the state directory as given and put the socket in the region directory', (t) => {
  t.deepEqual(regionPaths('.pg-residency', 'usa', 54310), {
    regionDir: '.pg-residency/usa',
    dataDir: '.pg-residency/usa/data',
    logFile: '.pg-residency/usa/postgres.log',
    socketDir: resolve('.pg-residency/usa/run'),
  });
});

test('a socket path over 107 bytes moves to a short directory under /tmp', (t) => {
  const deep = `/tmp/${'d'.repeat(80)}`;
  const paths = regionPaths(deep, 'usa', 54310);
  t.regex(paths.socketDir, /^\/tmp\/pg-residency-[0-9a-f]{16}$/);
  t.is(paths.dataDir, `${deep}/usa/data`);
  t.not(regionPaths(deep, 'gbr', 54310).socketDir, paths.socketDir);
  // 107 bytes exactly still fits.
  const fits = `/${'e'.repeat(107 - '/usa/run/.s.PGSQL.54310'.length - 1)}`;
  t.is(regionPaths(fits, 'usa', 54310).socketDir, `${fits}/usa/run`);
});

test('hostile region names become one safe path segment', (t) => {
  t.is(regionDirName('usa'), 'usa');
  t.is(regionDirName('we"ird'), 'we%22ird');
  t.is(regionDirName('Upper Case'), 'Upper%20Case');
  t.is(regionDirName('a.b'), 'a.b');
  t.is(regionDirName('..'), '%2E.');
  t.is(regionDirName('../etc'), '%2E.%2Fetc');
  t.is(regionDirName('é'), '%C3%A9');
  t.is(regionPaths('/s', '../x', 5432).regionDir, '/s/%2E.%2Fx');
});
