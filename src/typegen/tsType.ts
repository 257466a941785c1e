/**
 * The TypeScript type of a value of a SQL type as node-postgres returns it
 * with its default parsers (and accepts it as a parameter): int8 and numeric
 * are strings (they may not fit a number), timestamps and dates are Dates,
 * json is whatever JSON holds. Unknown types are `unknown`.
 */
const SCALARS: Readonly<Record<string, string>> = {
  smallint: 'number',
  int2: 'number',
  integer: 'number',
  int: 'number',
  int4: 'number',
  real: 'number',
  float4: 'number',
  'double precision': 'number',
  float8: 'number',
  float: 'number',
  oid: 'number',
  bigint: 'string',
  int8: 'string',
  numeric: 'string',
  decimal: 'string',
  money: 'string',
  boolean: 'boolean',
  bool: 'boolean',
  text: 'string',
  varchar: 'string',
  'character varying': 'string',
  char: 'string',
  character: 'string',
  bpchar: 'string',
  name: 'string',
  citext: 'string',
  uuid: 'string',
  inet: 'string',
  cidr: 'string',
  macaddr: 'string',
  time: 'string',
  timetz: 'string',
  'time with time zone': 'string',
  'time without time zone': 'string',
  bit: 'string',
  'bit varying': 'string',
  varbit: 'string',
  xml: 'string',
  date: 'Date',
  timestamp: 'Date',
  timestamptz: 'Date',
  'timestamp with time zone': 'Date',
  'timestamp without time zone': 'Date',
  json: 'unknown',
  jsonb: 'unknown',
  bytea: 'Uint8Array',
};

/**
 * The TypeScript type of a column type from regions.yaml.
 * @example tsType('varchar(34)') // 'string'
 * @example tsType('timestamptz[]') // 'Date[]'
 * @example tsType('numeric(10,2)') // 'string'
 */
export function tsType(sqlType: string): string {
  let text = sqlType.trim().toLowerCase();
  let dims = 0;
  while (text.endsWith('[]')) {
    dims += 1;
    text = text.slice(0, -2).trimEnd();
  }
  // modifiers (varchar(34), timestamp(3) with time zone) do not change the type
  const base = text
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^pg_catalog\./, '');
  const scalar = SCALARS[base] ?? 'unknown';
  return dims === 0 ? scalar : `${scalar.includes(' ') ? `(${scalar})` : scalar}${'[]'.repeat(dims)}`;
}
