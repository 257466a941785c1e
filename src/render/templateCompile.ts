import { createHash } from 'node:crypto';
import type Handlebars from 'handlebars';
import { ResidencyError } from '../errors.js';
import { BLOCK_HELPERS, unsafeMustaches, VALUE_HELPERS } from './templateSafety.js';

const KNOWN_HELPERS = Object.fromEntries([...VALUE_HELPERS, ...BLOCK_HELPERS].map((h) => [h, true]));

/** How every template is compiled, at run time or at build time. */
export const COMPILE_OPTIONS = { noEscape: true, strict: true, knownHelpers: KNOWN_HELPERS };

/** A template's syntax tree, after its mustaches were checked (templateSafety.ts). */
export function checkedAst(hb: typeof Handlebars, template: string, source: string): hbs.AST.Program {
  const ast = hb.parse(source);
  const problems = unsafeMustaches(ast);
  if (problems.length > 0)
    throw new ResidencyError(
      'TEMPLATE',
      `templates/${template}.sql.hbs prints values that no quoting helper checked:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  return ast;
}

/** The hash a precompiled template is keyed by: it is used only for exactly this source. */
export const sourceHash = (source: string): string => createHash('sha256').update(source).digest('hex');
