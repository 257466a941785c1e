import test from 'ava';
import Handlebars from 'handlebars';
import { createSqlHandlebars } from '../../src/render/sqlHandlebars.js';
import { BLOCK_HELPERS, unsafeMustaches, VALUE_HELPERS } from '../../src/render/templateSafety.js';
import { shippedTemplates } from '../helpers/fixtures.js';

// The only mustaches a template may hold, written out here so that adding a
// helper is a reviewed change of this test: each quotes what it prints, or
// prints a validated type/default or an integer.
const ALLOWED_VALUE_HELPERS = [
  'ident',
  'qualified',
  'literal',
  'type',
  'expr',
  'columnList',
  'assignments',
  'setList',
  'withDefaults',
  'literalList',
  'number',
  'paramSet',
  'paramAssignments',
  'paramList',
];
const ALLOWED_BLOCK_HELPERS = ['if', 'unless', 'each', 'with', 'formatted', 'dollarQuoted'];

const problems = (source: string) => unsafeMustaches(Handlebars.parse(source));

test('the allowed helpers are exactly the ones listed here, and the SQL environment registers no other', (t) => {
  t.deepEqual([...VALUE_HELPERS], ALLOWED_VALUE_HELPERS);
  t.deepEqual([...BLOCK_HELPERS], ALLOWED_BLOCK_HELPERS);
  const builtins = new Set(Object.keys(Handlebars.create().helpers));
  const registered = Object.keys(createSqlHandlebars().helpers).filter((h) => !builtins.has(h));
  t.deepEqual(registered.sort(), [...ALLOWED_VALUE_HELPERS, 'formatted', 'dollarQuoted'].sort());
});

test("every shipped template's mustaches are safe helpers or partials", async (t) => {
  const templates = await shippedTemplates();
  t.true(Object.keys(templates).length > 40, 'the templates were found');
  for (const [name, source] of Object.entries(templates)) t.deepEqual(problems(source), [], `templates/${name}.sql.hbs`);
});

test('the walker catches a bare value, in any branch, however it is spelled', (t) => {
  const bare =
    'line 1, column 15: {{value}} prints a value without a quoting helper; use {{ident ...}}, {{literal ...}} or another of 14 helpers (src/render/templateSafety.ts)';
  t.deepEqual(problems('CREATE SCHEMA {{value}};'), [bare]);
  t.deepEqual(problems('CREATE SCHEMA {{{value}}};'), [bare]);
  // a branch no fixture reaches, an inverse, a nested block, a partial's hash
  t.is(problems('{{#if never}}{{#each xs}}-- {{name}}{{/each}}{{/if}}').length, 1);
  t.is(problems('{{#unless x}}ok{{else}}{{raw}}{{/unless}}').length, 1);
  t.is(problems('{{this}} {{@index}} {{../name}}').length, 3);
  // a helper without an argument is a value lookup, and builtins print raw values
  t.is(problems('{{ident}}').length, 1);
  t.is(problems('{{lookup names "a"}} {{log x}}').length, 2);
  t.deepEqual(problems('{{#lookup x}}y{{/lookup}}'), [
    'line 1, column 1: {{#lookup}} is not one of the block helpers if, unless, each, with, formatted, dollarQuoted',
  ]);
  // sub-expressions, dynamic partials, partial blocks and decorators
  t.is(problems('{{ident (lookup x "y")}}').length, 1);
  t.is(problems('{{> (whichPartial)}}').length, 1);
  t.is(problems('{{#> layout}}x{{/layout}}').length, 1);
});

test('quoting helpers, blocks and partials pass', (t) => {
  t.deepEqual(
    problems(
      '{{#with entity}}CREATE TABLE {{qualified schema name}} ({{#each columns}}{{ident name}} {{type type}}{{#if default}} DEFAULT {{expr default}}{{/if}}{{/each}});{{/with}}{{> functions/settings lock=true}}{{#formatted}}%I{{literal x}}{{/formatted}}',
    ),
    [],
  );
});
