// The AST types are Handlebars' global `hbs.AST` namespace (handlebars/types).
import type {} from 'handlebars';

/**
 * The helpers through which a value may reach the SQL output: each quotes
 * what it prints, or prints only what the config stage validated (`type`,
 * `expr`) or an integer (`number`). See sqlHandlebars.ts.
 */
export const VALUE_HELPERS = [
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
] as const;

/** Block helpers: they print their body (template text and the helpers above), never their arguments. */
export const BLOCK_HELPERS = ['if', 'unless', 'each', 'with', 'formatted', 'dollarQuoted'] as const;

const values = new Set<string>(VALUE_HELPERS);
const blocks = new Set<string>(BLOCK_HELPERS);

/** Where in a template a mustache starts, as Handlebars reports it. */
function at(node: hbs.AST.Node): string {
  return `line ${node.loc.start.line}, column ${node.loc.start.column + 1}`;
}

function pathName(node: hbs.AST.Expression): string | undefined {
  return node.type === 'PathExpression' ? (node as hbs.AST.PathExpression).original : undefined;
}

/**
 * Why a template could print a value without a quoting helper, one line per
 * mustache: a bare `{{value}}` or `{{this}}`, a helper outside
 * VALUE_HELPERS/BLOCK_HELPERS (`{{lookup ...}}`, `{{log ...}}`), a
 * sub-expression, a dynamic partial, a partial block or a decorator. Empty
 * when every mustache is a safe helper or a partial.
 * @example unsafeMustaches(Handlebars.parse('CREATE SCHEMA {{name}};')) // ['line 1, column 15: {{name}} prints a value ...']
 */
export function unsafeMustaches(program: hbs.AST.Program): string[] {
  const problems: string[] = [];
  const params = (node: { params: hbs.AST.Expression[]; hash?: hbs.AST.Hash }) => {
    for (const p of [...node.params, ...(node.hash?.pairs.map((pair) => pair.value) ?? [])]) {
      if (p.type === 'SubExpression') problems.push(`${at(p)}: a sub-expression; pass the value to a quoting helper directly`);
    }
  };
  const walk = (node: hbs.AST.Program | undefined): void => {
    for (const statement of node?.body ?? []) {
      switch (statement.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          const m = statement as hbs.AST.MustacheStatement;
          const name = pathName(m.path);
          if (name === undefined || !values.has(name) || m.params.length === 0)
            problems.push(
              `${at(m)}: {{${name ?? '...'}${m.params.length > 0 ? ' ...' : ''}}} prints a value without a quoting helper; use {{ident ...}}, {{literal ...}} or another of ${VALUE_HELPERS.length} helpers (src/render/templateSafety.ts)`,
            );
          params(m);
          break;
        }
        case 'BlockStatement': {
          const b = statement as hbs.AST.BlockStatement;
          const name = pathName(b.path);
          if (name === undefined || !blocks.has(name))
            problems.push(`${at(b)}: {{#${name ?? '...'}}} is not one of the block helpers ${BLOCK_HELPERS.join(', ')}`);
          params(b);
          walk(b.program);
          walk(b.inverse);
          break;
        }
        case 'PartialStatement': {
          const p = statement as hbs.AST.PartialStatement;
          if (p.name.type !== 'PathExpression') problems.push(`${at(p)}: a dynamic partial; name the partial`);
          params(p);
          break;
        }
        default:
          problems.push(`${at(statement)}: ${statement.type} is not allowed in a SQL template`);
      }
    }
  };
  walk(program);
  return problems;
}
