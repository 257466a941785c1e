/**
 * How existing rows get a column's default when a step adds the column with
 * one (or gives a default to a column that had none): the same value in every
 * region, as `ALTER TABLE ... ADD COLUMN ... DEFAULT` gives them in one database.
 *
 * - `constant`: a literal (`'basic'`, `0`, `true`, `'{}'::jsonb`): every region
 *   evaluates it to the same value.
 * - `generatedAt`: the current time (`now()`, `current_timestamp`, ...): each
 *   region would see its own clock, so existing rows get the time the step was
 *   generated, written into the step as a literal; new rows still get the default.
 * - `refused`: anything else (`gen_random_uuid()`, a function of the row):
 *   existing rows would get a different value in each region.
 */
export type DefaultFill =
  | { readonly kind: 'constant' }
  | { readonly kind: 'generatedAt'; readonly at: string }
  | { readonly kind: 'refused'; readonly why: string };

const CAST = String.raw`(?:\s*::\s*[a-z_][a-z0-9_ ]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*)*`;
const CONSTANT = new RegExp(String.raw`^\s*(?:'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false)${CAST}\s*$`, 'i');
const NOW = new RegExp(
  String.raw`^\s*(?:now\(\)|current_timestamp|transaction_timestamp\(\)|statement_timestamp\(\)|clock_timestamp\(\)|localtimestamp|current_date|current_time|localtime)${CAST}\s*$`,
  'i',
);

/**
 * Classifies a default expression (as regions.yaml gives it) for filling existing rows.
 * @example defaultFill("'basic'", '2026-01-01T00:00:00.000Z') // { kind: 'constant' }
 * @example defaultFill('now()', '2026-01-01T00:00:00.000Z') // { kind: 'generatedAt', at: '2026-01-01T00:00:00.000Z' }
 */
export function defaultFill(expression: string, generatedAt: string): DefaultFill {
  if (CONSTANT.test(expression)) return { kind: 'constant' };
  if (NOW.test(expression)) return { kind: 'generatedAt', at: generatedAt };
  return {
    kind: 'refused',
    why: `its default ${expression} is not a constant: existing rows would get a different value in each region. Give it a constant default (or none) in this step, and change the default in a later one (a changed default applies to new rows only)`,
  };
}
