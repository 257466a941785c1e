/**
 * Reading libpg-query's JSON parse tree: a node is `{ TypeName: { ...fields } }`
 * in lists, and a bare object in typed fields (`relation`, `view`). Rules read
 * named fields through these helpers, never positions.
 */

/** A node's fields. */
export type AstFields = Readonly<Record<string, unknown>>;

/** A table reference: the fields of a RangeVar. */
export interface TableRef {
  readonly schemaname?: string;
  readonly relname: string;
  readonly alias?: { readonly aliasname?: string };
  /** Byte offset in the file. */
  readonly location?: number;
}

const isObject = (value: unknown): value is AstFields => typeof value === 'object' && value !== null;

/** The fields of `node` when it is a `{ [type]: fields }` wrapper, else undefined. */
export function nodeOf(node: unknown, type: string): AstFields | undefined {
  if (!isObject(node)) return undefined;
  const inner = node[type];
  return isObject(inner) ? inner : undefined;
}

/**
 * Every `{ [type]: fields }` under `root`, depth first, in source order.
 * @example collect(selectStmt, 'RangeVar') // the tables a query reads, subqueries included
 */
export function collect(root: unknown, type: string): AstFields[] {
  const out: AstFields[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === type && isObject(child)) out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** A RangeVar's fields as a table reference, when they are one. */
export function tableRef(fields: unknown): TableRef | undefined {
  return isObject(fields) && typeof fields.relname === 'string' ? (fields as unknown as TableRef) : undefined;
}

/** The `sval` of a `{ String: { sval } }` node. */
export function stringOf(node: unknown): string | undefined {
  const fields = nodeOf(node, 'String');
  return typeof fields?.sval === 'string' ? fields.sval : undefined;
}

/** The names in a list of String nodes: `["shared", "get_identity"]`. */
export function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map(stringOf).filter((s): s is string => s !== undefined) : [];
}

/** The value of option `name` in a list of DefElem nodes (`OPTIONS (table_name 'x')`, `LANGUAGE sql`). */
export function option(list: unknown, name: string): unknown {
  if (!Array.isArray(list)) return undefined;
  for (const item of list) {
    const def = nodeOf(item, 'DefElem');
    if (def?.defname === name) return def.arg;
  }
  return undefined;
}

/** The column a ColumnRef names (its last field), `*` for a star, or the whole-row name. */
export function columnRefParts(fields: AstFields): string[] {
  const parts = Array.isArray(fields.fields) ? fields.fields : [];
  return parts.map((p) => stringOf(p) ?? (nodeOf(p, 'A_Star') ? '*' : '?'));
}
