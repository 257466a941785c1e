import test from 'ava';
import { isSqlExpr, isSqlType, sqlExpr, sqlType } from '../../src/config/columnGrammar.js';
import { fleetState } from '../../src/plan/fleetState.js';
import { initialShape } from '../../src/plan/apiShape.js';
import { parseState, renderState, STATE_FORMAT, type StateFile } from '../../src/format/stateFile.js';
import { createSqlHandlebars } from '../../src/render/sqlHandlebars.js';
import { fixtureConfig } from '../helpers/fixtures.js';

const render = (source: string, context: object) => createSqlHandlebars().compile(source, { noEscape: true, strict: true })(context);

test('only the grammar brands a type or a default', (t) => {
  t.is<string | undefined, string>(sqlType('numeric(10,2)[]'), 'numeric(10,2)[]');
  t.is(sqlType('text; DROP TABLE x'), undefined);
  t.is<string | undefined, string>(sqlExpr("'new'"), "'new'");
  t.is(sqlExpr('1); DROP TABLE x; --'), undefined);
  t.true(isSqlType('numeric(10,2)[]'));
  t.false(isSqlType('int) ; DROP TABLE x; --'));
  t.false(isSqlExpr('never validated()'));
});

test('{{type}} and {{expr}} print a validated value and refuse any other string', (t) => {
  const config = fixtureConfig('seed');
  const column = config.entities[0]!.mirrored.find((c) => c.default !== undefined)!;
  t.is(render('{{type c.type}} DEFAULT {{expr c.default}}', { c: column }), 'timestamptz DEFAULT now()');
  t.throws(() => render('{{type x}}', { x: 'text); DROP TABLE x; --' }), {
    message: '{{type}} prints only a type that regions.yaml\'s validation accepted, got "text); DROP TABLE x; --"',
  });
  t.throws(() => render('{{expr x}}', { x: 'now()); DROP TABLE y; --' }), {
    message: '{{expr}} prints only a default expression that regions.yaml\'s validation accepted, got "now()); DROP TABLE y; --"',
  });
  t.throws(() => render('{{type x}}', { x: 42 }), { message: /got number$/ });
  // a hand-made column, not from the validator, cannot reach a default either
  t.throws(() => render('{{withDefaults cs "x"}}', { cs: [{ name: 'a', type: 'text', notNull: false, default: 'pg_sleep(1)); --' }] }), {
    message: /\{\{expr\}\} prints only a default expression/,
  });
});

test('a state.json whose recorded types were edited by hand is refused when read', (t) => {
  const config = fixtureConfig('seed');
  const state: StateFile = {
    format: STATE_FORMAT,
    region: 'usa',
    fleet: fleetState(config),
    shapes: { 'shared.identity': initialShape(config.entities[0]!) },
    code: {},
    steps: [],
  };
  const text = renderState(state);
  t.deepEqual(parseState(text, 'g/usa/state.json'), JSON.parse(text));
  const edited = text.replace('"type": "timestamptz"', '"type": "timestamptz); DROP TABLE shared.identity; --"');
  t.not(edited, text);
  t.throws(() => parseState(edited, 'g/usa/state.json'), {
    message:
      'g/usa/state.json: fleet.entities[0].mirrored[1].type "timestamptz); DROP TABLE shared.identity; --" is not what regions.yaml\'s validation accepts; restore the file from version control',
  });
  const shape = text.replace(/("row": \[[^\]]*?"type": )"uuid"/, '$1"uuid, x int"');
  t.throws(() => parseState(shape, 'g/usa/state.json'), {
    message: /^g\/usa\/state\.json: shapes\["shared\.identity"\]\.row\[0\]\.type "uuid, x int"/,
  });
});
