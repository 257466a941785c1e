import test from 'ava';
import { parseConfig } from '../../src/config/parseConfig.js';
import { syntheticConfigYaml } from '../../bench/syntheticConfigYaml.js';
import { renderRegion } from '../../src/render/renderRegion.js';
import { createSqlHandlebars } from '../../src/render/sqlHandlebars.js';
import { shippedTemplates } from '../helpers/fixtures.js';

const render = (source: string, context: object) => createSqlHandlebars().compile(source, { noEscape: true, strict: true })(context);

test('{{#formatted}} is a literal in which every helper doubles its %, and the template text does not', (t) => {
  const out = render(`{{#formatted}}UPDATE %1$I.{{ident table}} SET {{ident column}} = {{literal value}} WHERE x = %2$L{{/formatted}}`, {
    table: 'rate%I',
    column: "50% it's",
    value: "100%s'",
  });
  t.is(out, `'UPDATE %1$I."rate%%I" SET "50%% it''s" = ''100%%s'''''' WHERE x = %2$L'`);
  // outside the block nothing is doubled
  t.is(render(`{{ident table}}`, { table: 'a%b' }), '"a%b"');
});

test('{{#formatted}} blocks refuse to nest (the % would be doubled twice)', (t) => {
  t.throws(() => render(`{{#formatted}}{{#formatted}}x{{/formatted}}{{/formatted}}`, {}), { message: /do not nest/ });
});

const functionsFile = (yaml: string, region: string) =>
  renderRegion(parseConfig(yaml, 'synthetic', {}), region, templatesCache!).migrations.find((m) => m.name.includes('_functions_'))!.content;
let templatesCache: Awaited<ReturnType<typeof shippedTemplates>> | undefined;
test.before(async () => {
  templatesCache = await shippedTemplates();
});

test("a function file's text is the same size for 3 and 50 regions (within 10%), and names no other region", (t) => {
  for (const region of ['region_01', 'region_02']) {
    const three = functionsFile(syntheticConfigYaml(3, 1), region);
    const fifty = functionsFile(syntheticConfigYaml(50, 1), region);
    const ratio = fifty.length / three.length;
    t.true(ratio > 0.9 && ratio < 1.1, `${region}: ${three.length} bytes for 3 regions, ${fifty.length} for 50`);
    t.false(fifty.includes('region_03'), 'a function names another region');
  }
});

test('a name or default holding % reaches format() doubled, and only there', (t) => {
  const yaml = `
regions:
  - { name: "r%1", url: "postgres://a@h:1/db", postgres: 10 }
  - { name: "r%2", url: "postgres://a@h:2/db", postgres: 18 }
entities:
  - name: "e%I"
    schema: s
    key: { name: "k%s", type: text }
    mirrored: [{ name: "m%L", type: text, default: "'5%'" }]
    resident: [{ name: "p%1$I", type: text, default: "'x%I'" }]
`;
  for (const region of ['r%1', 'r%2']) {
    const sql = functionsFile(yaml, region);
    t.true(sql.includes(`'SELECT to_jsonb(d) FROM %I."e%%I_details" d WHERE d."k%%s" = %L::text'`), region);
    // static SQL keeps the single %
    t.true(sql.includes(`LEFT JOIN jsonb_array_elements(_rsd_dir) m(v) ON (m.v->>'k%s')::text = z.k`), region);
    // every format() string holds only %-placeholders the template wrote
    for (const [, body] of sql.matchAll(/format\('((?:[^']|'')*)'/g)) {
      t.notRegex(body!.replaceAll('%%', ''), /%(?!1\$[IL]|s|I|L)/, body);
    }
  }
});

test("the runtime's functions give no text parameter a default: a call that left it out would compile a second copy of the function in each session", async (t) => {
  // PL/pgSQL keeps one compiled copy of a function per input collation; a call
  // whose arguments hold no text has none, so leaving out a text parameter's
  // default compiles (and prepares every statement of) the function again
  const templates = await shippedTemplates();
  let checked = 0;
  for (const name of ['registry', 'two_phase', 'reads', 'apply'] as const) {
    for (const [, fn, params] of templates[name]!.matchAll(/CREATE (?:OR REPLACE )?FUNCTION \{\{qualified [^}]*"(\w+)"\}\}\(([^)]*)\)/g)) {
      checked += 1;
      for (const param of params!.split(',')) {
        t.false(
          /\b(text|name|varchar|char)(\[\])?\s+DEFAULT\b/i.test(param),
          `${name}: ${fn}(${params}) gives "${param.trim()}" a default`,
        );
      }
    }
  }
  t.true(checked > 30, `${checked} functions read`);
});
