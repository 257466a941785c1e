import { createHash } from 'node:crypto';
import { ResidencyError } from '../errors.js';
import { migrationSection } from '../format/migrationSection.js';
import { ident } from './quote.js';
import { parseStatements } from './parseSql.js';
import { stringOf } from './sqlAst.js';

/**
 * What one statement of a migration's up section does to the objects verify
 * expects: creates or drops a schema, a relation (table, partitioned table,
 * foreign table, view, sequence), a composite or enum type, a foreign server
 * or a function (with the md5 of its body), or grants on a function's
 * signature. Names are `schema.name` (public when unqualified); a signature is
 * quoted for to_regprocedure: `"shared"."get_identity"("uuid")`.
 */
export type ObjectEvent =
  | { readonly do: 'create' | 'drop'; readonly kind: 'schema' | 'relation' | 'type' | 'server'; readonly name: string }
  | { readonly do: 'create'; readonly kind: 'function'; readonly name: string; readonly nargs: number; readonly md5?: string }
  | { readonly do: 'drop'; readonly kind: 'function'; readonly name: string; readonly nargs: number; readonly signature: string }
  | { readonly do: 'grant'; readonly kind: 'function'; readonly name: string; readonly signature: string };

export const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** A node of libpg-query's JSON parse tree: `{ "CreateStmt": {...} }`. */
type Node = Record<string, unknown>;
interface RangeVar {
  readonly schemaname?: string;
  readonly relname: string;
}
interface TypeName {
  readonly names: readonly Node[];
  readonly arrayBounds?: readonly Node[];
}
interface ObjectWithArgs {
  readonly objname: readonly Node[];
  readonly objargs?: readonly Node[];
}

/** A String node's text, '' for any other node (positions matter: `qualify` takes the last two). */
const sval = (node: Node | undefined): string => stringOf(node) ?? '';
const names = (list: readonly Node[]): string[] => list.map(sval);
/** `public.name` for an unqualified name, as PostgreSQL's default search_path would create it. */
const qualify = (parts: readonly string[]): string => (parts.length === 1 ? `public.${parts[0]}` : parts.slice(-2).join('.'));
const relation = (r: RangeVar): string => `${r.schemaname ?? 'public'}.${r.relname}`;

/** A type of a signature, quoted part by part: `"pg_catalog"."int4"[]`. */
function typeText(t: TypeName): string {
  return `${names(t.names).map(ident).join('.')}${'[]'.repeat(t.arrayBounds?.length ?? 0)}`;
}

/** `"schema"."name"("type", ...)`, what to_regprocedure reads; and its `schema.name`. */
function signature(o: ObjectWithArgs): { sig: string; name: string } {
  const parts = names(o.objname);
  const quoted = (parts.length === 1 ? ['public', ...parts] : parts).map(ident).join('.');
  const args = (o.objargs ?? []).map((a) => typeText(a.TypeName as TypeName));
  return { sig: `${quoted}(${args.join(', ')})`, name: qualify(parts) };
}

/** Parameters a function is called with (pronargs): OUT and TABLE columns are not among them. */
const INPUT_MODES = new Set(['FUNC_PARAM_DEFAULT', 'FUNC_PARAM_IN', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_VARIADIC']);
const DROPPED_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_FOREIGN_TABLE', 'OBJECT_VIEW', 'OBJECT_SEQUENCE', 'OBJECT_MATVIEW']);

/**
 * What the up section of a migration file does to the objects verify
 * expects, in order. Parsed by PostgreSQL's own parser (libpg-query; call
 * loadSqlParser first), never by hand: a name holding `$function$`, a quote
 * or a semicolon is just a name. gen-migrations records the result in the
 * region's manifest.json, so verify reads it instead of parsing.
 */
export function sqlObjects(content: string, label: string): ObjectEvent[] {
  let stmts: readonly { stmt?: Node }[];
  try {
    stmts = parseStatements(migrationSection(content, 'up'));
  } catch (error) {
    throw new ResidencyError('MIGRATION', `${label} cannot be parsed: ${(error as Error).message}`, { cause: error });
  }
  return stmts.flatMap(({ stmt }) => (stmt === undefined ? [] : statementObjects(stmt)));
}

/** What one parsed statement (libpg-query's node) creates, drops or grants (see sqlObjects). */
export function statementObjects(stmt: Readonly<Record<string, unknown>>): ObjectEvent[] {
  const events: ObjectEvent[] = [];
  const [kind, body] = Object.entries(stmt)[0] as [string, Record<string, unknown>];
  switch (kind) {
    case 'CreateSchemaStmt':
      events.push({ do: 'create', kind: 'schema', name: body.schemaname as string });
      break;
    case 'CreateStmt':
    case 'CreateForeignTableStmt': {
      const rel = (kind === 'CreateStmt' ? body.relation : (body.base as { relation: RangeVar }).relation) as RangeVar;
      events.push({ do: 'create', kind: 'relation', name: relation(rel) });
      break;
    }
    case 'ViewStmt':
      events.push({ do: 'create', kind: 'relation', name: relation(body.view as RangeVar) });
      break;
    case 'CreateSeqStmt':
      events.push({ do: 'create', kind: 'relation', name: relation(body.sequence as RangeVar) });
      break;
    case 'CreateTableAsStmt':
      events.push({ do: 'create', kind: 'relation', name: relation((body.into as { rel: RangeVar }).rel) });
      break;
    case 'CompositeTypeStmt':
      events.push({ do: 'create', kind: 'type', name: relation(body.typevar as RangeVar) });
      break;
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      events.push({ do: 'create', kind: 'type', name: qualify(names(body.typeName as Node[])) });
      break;
    case 'CreateForeignServerStmt':
      events.push({ do: 'create', kind: 'server', name: body.servername as string });
      break;
    case 'CreateFunctionStmt': {
      const name = qualify(names(body.funcname as Node[]));
      const params = ((body.parameters ?? []) as Node[]).map((p) => p.FunctionParameter as { mode: string });
      const nargs = params.filter((p) => INPUT_MODES.has(p.mode)).length;
      const as = ((body.options ?? []) as Node[]).map((o) => o.DefElem as { defname: string; arg: Node }).find((o) => o.defname === 'as');
      const source = as === undefined ? undefined : ((as.arg.List as { items: Node[] } | undefined)?.items ?? [as.arg]);
      // prosrc is the first string of AS (the second, for C functions, is a link symbol)
      const hash = source !== undefined && source.length > 0 ? md5(sval(source[0])) : undefined;
      events.push({ do: 'create', kind: 'function', name, nargs, ...(hash === undefined ? {} : { md5: hash }) });
      break;
    }
    case 'GrantStmt':
      // ON FUNCTION f(...), not ON ALL FUNCTIONS IN SCHEMA s
      if (
        body.targtype === 'ACL_TARGET_OBJECT' &&
        ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(body.objtype as string)
      ) {
        for (const o of (body.objects ?? []) as Node[]) {
          const s = signature(o.ObjectWithArgs as ObjectWithArgs);
          events.push({ do: 'grant', kind: 'function', name: s.name, signature: s.sig });
        }
      }
      break;
    case 'DropStmt': {
      const removed = body.removeType as string;
      for (const object of (body.objects ?? []) as Node[]) {
        if (DROPPED_RELATIONS.has(removed))
          events.push({ do: 'drop', kind: 'relation', name: qualify(names((object.List as { items: Node[] }).items)) });
        else if (removed === 'OBJECT_TYPE')
          events.push({ do: 'drop', kind: 'type', name: qualify(names((object.TypeName as TypeName).names)) });
        else if (removed === 'OBJECT_SCHEMA') events.push({ do: 'drop', kind: 'schema', name: sval(object) });
        else if (removed === 'OBJECT_FOREIGN_SERVER') events.push({ do: 'drop', kind: 'server', name: sval(object) });
        else if (removed === 'OBJECT_FUNCTION' || removed === 'OBJECT_PROCEDURE' || removed === 'OBJECT_ROUTINE') {
          const o = object.ObjectWithArgs as ObjectWithArgs;
          const s = signature(o);
          events.push({ do: 'drop', kind: 'function', name: s.name, nargs: (o.objargs ?? []).length, signature: s.sig });
        }
      }
      break;
    }
    default:
      break;
  }
  return events;
}
