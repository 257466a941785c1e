import Handlebars from 'handlebars';
import { isSqlExpr, isSqlType } from '../config/columnGrammar.js';
import type { Column } from '../config/types.js';
import { ident, literal, qualified } from '../sql/quote.js';

type HelperArgs = unknown[];

/** Drops Handlebars' trailing options object from a helper's arguments. */
function args(all: HelperArgs): unknown[] {
  return all.slice(0, -1);
}

function text(value: unknown, helper: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new Error(`{{${helper}}} needs a string, got ${value === undefined ? 'undefined' : typeof value}`);
}

/** A type or default the config stage's grammar accepted; anything else is refused. */
function validated(value: unknown, helper: 'type' | 'expr'): string {
  if (helper === 'type' ? isSqlType(value) : isSqlExpr(value)) return value as string;
  throw new Error(
    `{{${helper}}} prints only ${helper === 'type' ? 'a type' : 'a default expression'} that regions.yaml's validation accepted, got ${typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'undefined' : typeof value}`,
  );
}

function columns(value: unknown, helper: string): Column[] {
  if (!Array.isArray(value)) throw new Error(`{{${helper}}} needs a list of columns`);
  return value as Column[];
}

function prefixed(alias: unknown, column: string): string {
  return alias === undefined || alias === '' ? ident(column) : `${ident(text(alias, 'alias'))}.${ident(column)}`;
}

/**
 * A private Handlebars environment for SQL: no HTML escaping, strict lookups,
 * and helpers that are the only way a value reaches the output.
 *
 * - `{{ident name}}`, `{{qualified schema name}}`, `{{literal value}}`
 * - `{{type column.type}}`, `{{expr column.default}}` (validated by the config stage)
 * - `{{columnList columns [alias]}}`: `"a", "b"` or `x."a", x."b"`
 * - `{{assignments columns source target}}`: `"a" = x."a", "d" = COALESCE(x."d", t."d")`
 *   (a column with a default keeps its value when the new one is NULL)
 * - `{{setList columns source}}`: `"a" = x."a", "d" = x."d"`
 * - `{{withDefaults columns alias}}`: `x."a", COALESCE(x."d", <default>)`
 * - `{{literalList names}}`: `'aus', 'gbr'` for an IN list or an ARRAY[]
 * - `{{paramSet columns first}}`: `"a" = $2, "d" = $3`; `{{paramAssignments columns first target}}`:
 *   the same with `COALESCE($3, t."d")` for a column with a default; `{{paramList columns first}}`: `$2, $3`
 * - `{{number n}}`: an integer; `{{#dollarQuoted}}...{{/dollarQuoted}}`: a function body, dollar-quoted safely
 * - `{{#formatted}}...{{/formatted}}`: a format() string for dynamic SQL, as a SQL literal; every
 *   helper inside it doubles its `%`, so only the template's own `%I`, `%L`, `%1$I` are placeholders
 */
export function createSqlHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  const builtins = new Set(Object.keys(hb.helpers));
  hb.registerHelper('ident', (...all: HelperArgs) => ident(text(args(all)[0], 'ident')));
  hb.registerHelper('qualified', (...all: HelperArgs) => qualified(...args(all).map((a) => text(a, 'qualified'))));
  hb.registerHelper('literal', (...all: HelperArgs) => literal(text(args(all)[0], 'literal')));
  // Types and default expressions are printed as they are, so only what the
  // grammar accepted (the config stage's sqlType/sqlExpr) is printed at all.
  hb.registerHelper('type', (...all: HelperArgs) => validated(args(all)[0], 'type'));
  hb.registerHelper('expr', (...all: HelperArgs) => validated(args(all)[0], 'expr'));
  hb.registerHelper('columnList', (...all: HelperArgs) => {
    const [list, alias] = args(all);
    return columns(list, 'columnList')
      .map((c) => prefixed(alias, c.name))
      .join(', ');
  });
  hb.registerHelper('assignments', (...all: HelperArgs) => {
    const [list, source, target] = args(all);
    return columns(list, 'assignments')
      .map((c) =>
        c.default === undefined
          ? `${ident(c.name)} = ${prefixed(source, c.name)}`
          : `${ident(c.name)} = COALESCE(${prefixed(source, c.name)}, ${prefixed(target, c.name)})`,
      )
      .join(', ');
  });
  hb.registerHelper('setList', (...all: HelperArgs) => {
    const [list, source] = args(all);
    return columns(list, 'setList')
      .map((c) => `${ident(c.name)} = ${prefixed(source, c.name)}`)
      .join(', ');
  });
  hb.registerHelper('withDefaults', (...all: HelperArgs) => {
    const [list, alias] = args(all);
    return columns(list, 'withDefaults')
      .map((c) =>
        c.default === undefined ? prefixed(alias, c.name) : `COALESCE(${prefixed(alias, c.name)}, ${validated(c.default, 'expr')})`,
      )
      .join(', ');
  });
  hb.registerHelper('literalList', (...all: HelperArgs) => {
    const [list] = args(all);
    if (!Array.isArray(list)) throw new Error('{{literalList}} needs a list of names');
    return list.map((n) => literal(text(n, 'literalList'))).join(', ');
  });
  hb.registerHelper('number', (...all: HelperArgs) => {
    const [value] = args(all);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error('{{number}} needs an integer');
    return String(value);
  });
  const param = (position: unknown, offset: number): string => {
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 1)
      throw new Error('a parameter position must be an integer from 1');
    return `$${position + offset}`;
  };
  hb.registerHelper('paramSet', (...all: HelperArgs) => {
    const [list, first] = args(all);
    return columns(list, 'paramSet')
      .map((c, i) => `${ident(c.name)} = ${param(first, i)}`)
      .join(', ');
  });
  hb.registerHelper('paramAssignments', (...all: HelperArgs) => {
    const [list, first, target] = args(all);
    return columns(list, 'paramAssignments')
      .map((c, i) =>
        c.default === undefined
          ? `${ident(c.name)} = ${param(first, i)}`
          : `${ident(c.name)} = COALESCE(${param(first, i)}, ${prefixed(target, c.name)})`,
      )
      .join(', ');
  });
  hb.registerHelper('paramList', (...all: HelperArgs) => {
    const [list, first] = args(all);
    return columns(list, 'paramList')
      .map((_, i) => param(first, i))
      .join(', ');
  });
  // Inside {{#formatted}}, every helper above doubles the `%` of its output.
  // How many blocks are open: rendering is synchronous, so a counter is enough.
  let formatting = 0;
  for (const [name, helper] of Object.entries(hb.helpers)) {
    if (builtins.has(name)) continue;
    hb.registerHelper(name, (...all: HelperArgs) => {
      const sql = (helper as (...a: HelperArgs) => string)(...all);
      return formatting > 0 ? sql.replaceAll('%', '%%') : sql;
    });
  }
  // The format string of a dynamic statement, as a literal: configured names
  // and defaults inside it may hold `%`, which format() must not read.
  hb.registerHelper('formatted', function (this: unknown, options: Handlebars.HelperOptions) {
    formatting += 1;
    let body: string;
    try {
      body = options.fn(this);
    } finally {
      formatting -= 1;
    }
    if (formatting > 0) throw new Error('{{#formatted}} blocks do not nest');
    return literal(body.trim());
  });
  // A function body between dollar quotes whose tag the body cannot contain:
  // a name or default holding `$function$` must not end the body early.
  hb.registerHelper('dollarQuoted', function (this: unknown, options: Handlebars.HelperOptions) {
    return dollarQuote(options.fn(this));
  });
  return hb;
}

/**
 * `$function$body$function$`, with a tag that does not occur in the body (nor
 * across its end): `$function1$`, `$function2$`, ... when it would.
 */
export function dollarQuote(body: string): string {
  for (let n = 0; ; n += 1) {
    const tag = `$function${n === 0 ? '' : n}$`;
    if (`${body}${tag}`.indexOf(tag) === body.length) return `${tag}${body}${tag}`;
  }
}
