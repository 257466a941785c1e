import test from 'ava';
import { parseConfig } from '../../src/config/parseConfig.js';
import { defaultFill } from '../../src/plan/defaultFill.js';
import { genMigrations, type GeneratedFs } from '../../src/render/genMigrations.js';
import { shippedTemplates } from '../helpers/fixtures.js';

const AT = '2026-06-01T12:00:00.000Z';

test('a constant default fills existing rows as it is; a time, with the time the step was generated; anything else is refused', (t) => {
  for (const constant of ["'basic'", "'it''s'", '0', '-1.5', 'true', "'{}'::jsonb", "'{a,b}'::text[]", "'5'::numeric(10, 2)"])
    t.deepEqual(defaultFill(constant, AT), { kind: 'constant' }, constant);
  for (const time of ['now()', 'CURRENT_TIMESTAMP', 'current_date', 'transaction_timestamp()', 'now()::date', 'clock_timestamp()'])
    t.deepEqual(defaultFill(time, AT), { kind: 'generatedAt', at: AT }, time);
  for (const other of ['gen_random_uuid()', "now() + interval '1 day'", 'random()', "'a' || 'b'"]) {
    const fill = defaultFill(other, AT);
    t.is(fill.kind, 'refused', other);
    if (fill.kind === 'refused') t.regex(fill.why, /is not a constant: existing rows would get a different value in each region/);
  }
});

function memoryFs(files: Map<string, string>): GeneratedFs {
  return {
    read: (path) => Promise.resolve(files.get(path)),
    write: (path, content) => Promise.resolve(void files.set(path, content)),
    list: (folder) =>
      Promise.resolve(
        [...files.keys()]
          .filter((p) => p.startsWith(`${folder}/`) && !p.slice(folder.length + 1).includes('/'))
          .map((p) => p.slice(folder.length + 1))
          .sort(),
      ),
    remove: (path) => Promise.resolve(void files.delete(path)),
  };
}

const yaml = (mirrored: string) => `
regions:
  - { name: usa, url: "postgres://a@h:1/db", postgres: 10 }
  - { name: aus, url: "postgres://a@h:2/db", postgres: 18 }
entities:
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid }
    mirrored:
      - { name: note, type: text }
${mirrored}    resident:
      - { name: name, type: text }
`;

test('a column added with now(): existing rows get the generation time (a batched fill on 10, a fast default on 18), new rows now() from the remote wave', async (t) => {
  const files = new Map<string, string>();
  const templates = await shippedTemplates();
  const gen = (mirrored: string, name: string) =>
    genMigrations({
      config: parseConfig(yaml(mirrored), 'regions.yaml', {}),
      templates,
      outDir: 'out',
      check: false,
      force: false,
      name,
      fs: memoryFs(files),
      now: new Date(AT),
    });
  await gen('', 'initial');
  await gen(`      - { name: joined, type: timestamptz, default: now() }\n`, 'joined');
  const step = (region: string, slug: string) => [...files].find(([p]) => p.startsWith(`out/${region}/`) && p.endsWith(slug))?.[1] ?? '';
  const usa = step('usa', '_joined_expand.sql');
  t.true(usa.includes(`ALTER TABLE "shared"."identity" ALTER COLUMN "joined" SET DEFAULT '${AT}'::timestamptz;`), usa);
  t.true(usa.includes(`UPDATE ONLY "shared"."identity" SET "joined" = '${AT}'::timestamptz`), usa);
  const aus = step('aus', '_joined_expand.sql');
  t.true(aus.includes(`ALTER TABLE "shared"."identity" ADD COLUMN "joined" timestamptz DEFAULT '${AT}'::timestamptz;`), aus);
  t.false(aus.includes('UPDATE'), 'no fill on 18: the catalog holds the value');
  for (const region of ['usa', 'aus']) {
    const remote = step(region, '_joined_functions_identity.sql');
    t.true(remote.includes('ALTER TABLE "shared"."identity" ALTER COLUMN "joined" SET DEFAULT now();'), remote);
    t.false(remote.includes('FUNCTION "shared"."upsert_identity_many"'), 'the write function is not replaced');
  }
  const refused = await t.throwsAsync(
    gen(
      `      - { name: joined, type: timestamptz, default: now() }\n      - { name: token, type: uuid, default: gen_random_uuid() }\n`,
      'token',
    ),
  );
  t.regex(refused.message, /new column "token": its default gen_random_uuid\(\) is not a constant/);
});
