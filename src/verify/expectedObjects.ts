import { createHash } from 'node:crypto';
import { parseSync } from 'libpg-query';
import { loadSqlParser } from '../sql/parseSql.js';
import { ResidencyError } from '../errors.js';
import { ident } from '../sql/quote.js';

/**
 * What a region's applied migrations created and did not drop, read from the
 * generated files themselves (their up sections, in the order applied), so
 * verify expects whatever the templates made, today's objects or tomorrow's.
 * The files are parsed by PostgreSQL's own parser (libpg-query), never by
 * hand: a name holding `$function$`, a quote or a semicolon is just a name.
 */
export interface ExpectedObjects {
  readonly schemas: ReadonlySet<string>;
  /** `schema.name` of tables, partitioned tables, foreign tables, views, sequences. */
  readonly relations: ReadonlySet<string>;
  readonly types: ReadonlySet<string>;
  readonly servers: ReadonlySet<string>;
  /** `schema.name` of every function or procedure created. */
  readonly functionNames: ReadonlySet<string>;
  /**
   * Signatures of the functions granted or revoked (`"shared"."get_identity"("uuid")`),
   * each quoted for `to_regprocedure`, with the `schema.name` of its function.
   */
  readonly signatures: ReadonlyMap<string, string>;
  /** md5 of the body, by `schema.name/nargs`, as last created. */
  readonly bodies: ReadonlyMap<string, string>;
}

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

const sval = (node: Node | undefined): string => (node?.String as { sval?: string } | undefined)?.sval ?? '';
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

/** Only the up section of a node-pg-migrate SQL file. */
function upSection(content: string): string {
  const up = content.indexOf('\n-- Up Migration');
  const down = content.indexOf('\n-- Down Migration');
  return content.slice(up < 0 ? 0 : up, down < 0 ? undefined : down);
}

/** Parameters a function is called with (pronargs): OUT and TABLE columns are not among them. */
const INPUT_MODES = new Set(['FUNC_PARAM_DEFAULT', 'FUNC_PARAM_IN', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_VARIADIC']);

/**
 * The objects a region's applied files leave behind, in the order applied.
 * Loads the parser (WebAssembly) on the first call. A file the parser
 * refuses is an error naming it (by position in the list).
 */
export async function expectedObjects(upFiles: readonly string[]): Promise<ExpectedObjects> {
  await loadSqlParser();
  const schemas = new Set<string>();
  const relations = new Set<string>();
  const types = new Set<string>();
  const servers = new Set<string>();
  const functionNames = new Set<string>();
  const signatures = new Map<string, string>();
  const bodies = new Map<string, string>();
  upFiles.forEach((content, index) => {
    let stmts: readonly { stmt?: Node }[];
    try {
      stmts = parseSync(upSection(content)).stmts ?? [];
    } catch (error) {
      throw new ResidencyError('MIGRATION', `applied file ${index + 1} cannot be parsed: ${(error as Error).message}`, { cause: error });
    }
    for (const { stmt } of stmts) {
      if (stmt === undefined) continue;
      const [kind, body] = Object.entries(stmt)[0] as [string, Record<string, unknown>];
      switch (kind) {
        case 'CreateSchemaStmt':
          schemas.add(body.schemaname as string);
          break;
        case 'CreateStmt':
        case 'CreateForeignTableStmt': {
          const rel = (kind === 'CreateStmt' ? body.relation : (body.base as { relation: RangeVar }).relation) as RangeVar;
          relations.add(relation(rel));
          break;
        }
        case 'ViewStmt':
          relations.add(relation(body.view as RangeVar));
          break;
        case 'CreateSeqStmt':
          relations.add(relation(body.sequence as RangeVar));
          break;
        case 'CreateTableAsStmt':
          relations.add(relation((body.into as { rel: RangeVar }).rel));
          break;
        case 'CompositeTypeStmt':
          types.add(relation(body.typevar as RangeVar));
          break;
        case 'CreateEnumStmt':
        case 'CreateRangeStmt':
          types.add(qualify(names(body.typeName as Node[])));
          break;
        case 'CreateForeignServerStmt':
          servers.add(body.servername as string);
          break;
        case 'CreateFunctionStmt': {
          const name = qualify(names(body.funcname as Node[]));
          functionNames.add(name);
          const params = ((body.parameters ?? []) as Node[]).map((p) => p.FunctionParameter as { mode: string });
          const nargs = params.filter((p) => INPUT_MODES.has(p.mode)).length;
          const as = ((body.options ?? []) as Node[])
            .map((o) => o.DefElem as { defname: string; arg: Node })
            .find((o) => o.defname === 'as');
          const source = as === undefined ? undefined : ((as.arg.List as { items: Node[] } | undefined)?.items ?? [as.arg]);
          // prosrc is the first string of AS (the second, for C functions, is a link symbol)
          if (source !== undefined && source.length > 0) bodies.set(`${name}/${nargs}`, md5(sval(source[0])));
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
              signatures.set(s.sig, s.name);
            }
          }
          break;
        case 'DropStmt':
          drop(body, { schemas, relations, types, servers, signatures, bodies });
          break;
        default:
          break;
      }
    }
  });
  for (const key of bodies.keys()) functionNames.add(key.slice(0, key.lastIndexOf('/')));
  return { schemas, relations, types, servers, functionNames, signatures, bodies };
}

const DROPPED_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_FOREIGN_TABLE', 'OBJECT_VIEW', 'OBJECT_SEQUENCE', 'OBJECT_MATVIEW']);

function drop(
  body: Record<string, unknown>,
  sets: {
    schemas: Set<string>;
    relations: Set<string>;
    types: Set<string>;
    servers: Set<string>;
    signatures: Map<string, string>;
    bodies: Map<string, string>;
  },
): void {
  const kind = body.removeType as string;
  for (const object of (body.objects ?? []) as Node[]) {
    if (DROPPED_RELATIONS.has(kind)) sets.relations.delete(qualify(names((object.List as { items: Node[] }).items)));
    else if (kind === 'OBJECT_TYPE') sets.types.delete(qualify(names((object.TypeName as TypeName).names)));
    else if (kind === 'OBJECT_SCHEMA') sets.schemas.delete(sval(object));
    else if (kind === 'OBJECT_FOREIGN_SERVER') sets.servers.delete(sval(object));
    else if (kind === 'OBJECT_FUNCTION' || kind === 'OBJECT_PROCEDURE' || kind === 'OBJECT_ROUTINE') {
      const o = object.ObjectWithArgs as ObjectWithArgs;
      const s = signature(o);
      sets.bodies.delete(`${s.name}/${(o.objargs ?? []).length}`);
      sets.signatures.delete(s.sig);
    }
  }
}
