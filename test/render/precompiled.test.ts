import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceHash } from '../../src/render/templateCompile.js';
import { shippedTemplates } from '../helpers/fixtures.js';

// The build compiles the shipped templates once (precompileTemplates.ts);
// `npm test` builds first. These tests read the built package.
const repo = new URL('../../', import.meta.url).pathname;
type Precompiled = Record<string, { sha256: string; spec: unknown }>;

test('the build holds every shipped template, compiled from its current source', async (t) => {
  const built = createRequire(import.meta.url)('../../dist/render/templates.precompiled.cjs') as Precompiled;
  const templates = await shippedTemplates();
  t.deepEqual(Object.keys(built).sort(), Object.keys(templates).sort());
  for (const [name, source] of Object.entries(templates)) t.is(built[name]!.sha256, sourceHash(source), name);
});

test('the built CLI, rendering through the precompiled templates, writes the committed generated/ byte for byte', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rsd-precompiled-'));
  try {
    execFileSync(process.execPath, [join(repo, 'bin/pg-residency.js'), 'gen-migrations', '--out', out], {
      cwd: repo,
      env: { PATH: process.env.PATH },
    });
    for (const region of readdirSync(join(repo, 'generated')))
      for (const file of readdirSync(join(repo, 'generated', region)))
        t.is(
          readFileSync(join(out, region, file), 'utf8'),
          readFileSync(join(repo, 'generated', region, file), 'utf8'),
          `${region}/${file}`,
        );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
