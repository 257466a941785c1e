import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../src/cli/buildCli.js';

// Facts of the docs checked against the code: every link and anchor resolves,
// every command page names a command whose --help lists the options its title
// shows, every command has a page, and the --json table names every field the
// commands that need no database print.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const docs = [
  'README.md',
  'SECURITY.md',
  ...readdirSync(join(repo, 'docs'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const read = (file: string) => readFileSync(join(repo, file), 'utf8');
/** The text outside fenced code blocks. */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv,
    env: {},
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const out = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^a-z0-9 _-]/g, '')
      .replace(/ /g, '-');
    let candidate = slug;
    for (let n = 1; out.has(candidate); n += 1) candidate = `${slug}-${n}`;
    out.add(candidate);
  }
  for (const [, id] of text.matchAll(/<a id="([^"]+)"><\/a>/g)) out.add(id!);
  return out;
}

test('every relative link in the README and docs/ reaches a file, and its anchor a heading', (t) => {
  const broken: string[] = [];
  for (const file of docs) {
    for (const [, target] of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : relative(repo, join(repo, dirname(file), path));
      if (!existsSync(join(repo, resolved))) {
        // written on another branch of issue 22; checked like any other once merged
        if (resolved === join('docs', 'own-databases.md')) continue;
        broken.push(`${file}: ${target} (no ${resolved})`);
      } else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor))
        broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  t.deepEqual(broken, []);
});

const pages = readdirSync(join(repo, 'docs', 'reference'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ file: `docs/reference/${f}`, title: read(`docs/reference/${f}`).split('\n')[0]! }))
  .filter((p) => p.title.startsWith('# `pg-residency '));

test('each command page names a command whose --help lists the options in its title', async (t) => {
  t.true(pages.length >= 10);
  for (const { file, title } of pages) {
    const words = title.slice('# `pg-residency '.length).replace(/`.*$/, '');
    const command = words.split(' ')[0]!;
    // `migrate up | down | status ...`: the first subcommand's options
    const sub = /^\S+ (\w+) \|/.exec(words)?.[1];
    const help = await run([command, ...(sub ? [sub] : []), '--help']);
    t.is(help.code, 0, `${file}: ${command} --help`);
    for (const [flag] of words.matchAll(/--[a-z][a-z-]*/g))
      t.true(help.stdout.includes(flag), `${file}: ${flag} not in \`${command}${sub ? ` ${sub}` : ''} --help\``);
  }
});

test('every command of the CLI has a reference page and a row in the commands table', async (t) => {
  const help = await run(['--help']);
  const commands = [...help.stdout.matchAll(/^ {2}pg-residency ([a-z-]+)/gm)].map((m) => m[1]!);
  t.true(commands.includes('lint') && commands.includes('gen-types'));
  const table = read('docs/reference/commands.md');
  for (const command of commands) {
    t.true(
      pages.some((p) => p.title.startsWith(`# \`pg-residency ${command}`)),
      `no docs/reference page titled pg-residency ${command}`,
    );
    t.true(table.includes(`| [\`${command}`), `${command} not in the table of docs/reference/commands.md`);
  }
});

test('the --json table names every field gen-migrations, lint and gen-types print', async (t) => {
  const table = read('docs/reference/commands.md');
  const row = (command: string) => table.split('\n').find((l) => l.startsWith(`| \`${command}\` |`)) ?? '';
  const gen = JSON.parse((await run(['gen-migrations', '--check', '--json'])).stdout) as { regions: object[] };
  for (const key of [...Object.keys(gen), ...Object.keys(gen.regions[0]!)]) t.regex(row('gen-migrations'), new RegExp(`\\b${key}\\b`), key);
  const lint = JSON.parse((await run(['lint', 'test/fixtures/lint/RL002.sql', '--no-squawk', '--json'])).stdout) as { findings: object[] };
  for (const key of [...Object.keys(lint), ...Object.keys(lint.findings[0]!)]) t.regex(row('lint'), new RegExp(`\\b${key}\\b`), key);
  const types = JSON.parse((await run(['gen-types', '--check', '--out', 'docs/none.ts', '--json'])).stdout) as object;
  for (const key of Object.keys(types)) t.regex(row('gen-types'), new RegExp(`\\b${key}\\b`), key);
});

test("the README stays a newcomer's page", (t) => {
  // besides its benchmarks section, which `npm run bench` writes (bench/formatReadme.ts), as long as the suites' tables
  const readme = read('README.md');
  t.regex(readme, /^<!-- bench:start -->$[\s\S]*^<!-- bench:end -->$/m);
  const lines = readme.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, '').split('\n').length;
  t.true(lines < 200, `${lines} lines besides the benchmarks section`);
});
