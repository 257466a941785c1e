import test from 'ava';
import { replaceReadmeBench } from '../../bench/replaceReadmeBench.js';

const readme = [
  '# pg-residency',
  '',
  '## Benchmarks',
  '',
  '<!-- bench:start -->',
  'Filled by `npm run bench`.',
  '<!-- bench:end -->',
  '',
  '## Where to go next',
  '',
  '<a id="benchmarks"></a>',
  '',
].join('\n');

test('the block replaces only the text between the markers, which stay', (t) => {
  const out = replaceReadmeBench(readme, '| a | b |\n| --- | --- |\n| 1 | 2 |\n');
  t.is(
    out,
    [
      '# pg-residency',
      '',
      '## Benchmarks',
      '',
      '<!-- bench:start -->',
      '',
      '| a | b |',
      '| --- | --- |',
      '| 1 | 2 |',
      '',
      '<!-- bench:end -->',
      '',
      '## Where to go next',
      '',
      '<a id="benchmarks"></a>',
      '',
    ].join('\n'),
  );
  // the next run replaces the last run's block, and the same block changes nothing
  t.is(replaceReadmeBench(out, '| a | b |\n| --- | --- |\n| 1 | 2 |\n'), out);
  t.is(replaceReadmeBench(out, 'new\n'), replaceReadmeBench(readme, 'new\n'));
});

test('a missing, repeated or misplaced marker is an error that says which and what to do', (t) => {
  t.throws(() => replaceReadmeBench(readme.replace('<!-- bench:start -->\n', ''), 'x'), {
    message: 'README.md has no "<!-- bench:start -->" marker: put them around the benchmarks section, each on its own line',
  });
  t.throws(() => replaceReadmeBench(readme.replace('<!-- bench:end -->\n', ''), 'x'), {
    message: 'README.md has no "<!-- bench:end -->" marker: put them around the benchmarks section, each on its own line',
  });
  t.throws(() => replaceReadmeBench('# pg-residency\n', 'x'), {
    message: 'README.md has no "<!-- bench:start -->" marker: put them around the benchmarks section, each on its own line',
  });
  t.throws(() => replaceReadmeBench('<!-- bench:end -->\n<!-- bench:start -->\n', 'x'), {
    message:
      'README.md has "<!-- bench:end -->" before "<!-- bench:start -->": put them around the benchmarks section, each on its own line, the start first',
  });
  t.throws(() => replaceReadmeBench(`${readme}<!-- bench:end -->\n`, 'x'), {
    message: 'README.md has "<!-- bench:end -->" twice: keep one',
  });
});
