import test from 'ava';
import { loadModule, parse, parsePlPgSQL } from 'libpg-query';
import { renderRegion } from '../../src/render/renderRegion.js';
import { fixtureConfig, shippedTemplates } from '../helpers/fixtures.js';

// Every generated file, up and down, is parsed by PostgreSQL's own parser
// (libpg_query), and every PL/pgSQL body by PostgreSQL's PL/pgSQL parser.
test.before(async () => {
  await loadModule();
});

const sections = (content: string) => {
  const down = content.indexOf('-- Down Migration');
  return { up: content.slice(0, down), down: content.slice(down) };
};

for (const fixture of ['seed', 'seed-routing', 'fleet4', 'fleet4-routing', 'hostile']) {
  test(`every migration of ${fixture} parses, both directions`, async (t) => {
    const config = fixtureConfig(fixture);
    const templates = await shippedTemplates();
    let statements = 0;
    for (const region of config.regions) {
      for (const m of renderRegion(config, region.name, templates).migrations) {
        const { up, down } = sections(m.content);
        t.true(down.length > '-- Down Migration'.length + 1, `${region.name}/${m.name} has an empty down`);
        for (const [direction, sql] of [
          ['up', up],
          ['down', down],
        ] as const) {
          const tree = await parse(sql).catch((e: Error) => t.fail(`${region.name}/${m.name} ${direction}: ${e.message}`));
          if (tree) statements += tree.stmts?.length ?? 0;
        }
        if (m.content.includes('LANGUAGE plpgsql')) {
          const functions = up
            .split(/(?=^CREATE FUNCTION)/m)
            .filter((s) => s.startsWith('CREATE FUNCTION') && s.includes('LANGUAGE plpgsql'));
          for (const fn of functions) {
            const body = fn.slice(0, fn.indexOf('$function$;') + '$function$;'.length);
            await parsePlPgSQL(body).catch((e: Error) => t.fail(`${region.name}/${m.name} PL/pgSQL: ${e.message}\n${body.slice(0, 200)}`));
          }
        }
      }
    }
    t.true(statements > 20);
  });
}
