import { derivedNames, REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Config, Entity } from '../config/types.js';
import type { TableRef } from '../sql/sqlAst.js';

/** A table that holds personal rows, known from regions.yaml. */
export interface PersonalTable {
  readonly schema: string;
  readonly name: string;
  /** `parent`: the details table partitioned by region; `leaf`: one region's partition; `write`: a region's write table (routing mode). */
  readonly kind: 'parent' | 'leaf' | 'write';
  /** The region whose rows a leaf or write table holds. */
  readonly region?: string;
  readonly entity: Entity;
}

/** What the lint rules know about the fleet: which tables are personal, who may read them, what the generator made. */
export interface ResidencyModel {
  readonly config: Config;
  /** The personal table a reference names; an unqualified name is taken as the parent of that name, the widest. */
  personal(ref: TableRef): PersonalTable | undefined;
  /** The personal tables a schema holds (an entity's schema holds its parent, a region's schema its leaves). */
  inSchema(schema: string): readonly PersonalTable[];
  /** Roles that may be granted personal tables: the app roles and the link role. */
  readonly trustedRoles: ReadonlySet<string>;
  /** Whether a function is pg-residency's own (the generated API or the registry's helpers). */
  isGeneratedFunction(schema: string | undefined, name: string): boolean;
  /** Table names of personal tables, for scanning function bodies. */
  readonly personalNames: ReadonlySet<string>;
}

/**
 * The residency model of a config: every personal table (each entity's details
 * parent, and each region's leaf and write table), the trusted roles and the
 * generated functions.
 * @example residencyModel(config).personal({ schemaname: 'usa', relname: 'identity_details' }) // { kind: 'leaf', region: 'usa', ... }
 */
export function residencyModel(config: Config): ResidencyModel {
  const tables: PersonalTable[] = config.entities.flatMap((entity) => {
    const n = derivedNames(entity.name);
    return [
      { schema: entity.schema, name: n.details, kind: 'parent' as const, entity },
      ...config.regions.flatMap((r) => [
        { schema: r.name, name: n.details, kind: 'leaf' as const, region: r.name, entity },
        { schema: r.name, name: n.detailsIn, kind: 'write' as const, region: r.name, entity },
      ]),
    ];
  });
  const byName = new Map(tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const generated = new Set(config.entities.flatMap((e) => Object.values(derivedNames(e.name)).map((name) => `${e.schema}.${name}`)));
  return {
    config,
    personal: (ref) =>
      ref.schemaname === undefined
        ? (tables.find((t) => t.kind === 'parent' && t.name === ref.relname) ?? tables.find((t) => t.name === ref.relname))
        : byName.get(`${ref.schemaname}.${ref.relname}`),
    // write tables only existed before two-phase writes: named when found, not listed
    inSchema: (schema) => tables.filter((t) => t.schema === schema && t.kind !== 'write'),
    trustedRoles: new Set([...config.appRoles, config.appGroup, config.link.role]),
    isGeneratedFunction: (schema, name) => schema === REGISTRY_SCHEMA || generated.has(`${schema}.${name}`),
    personalNames: new Set(tables.map((t) => t.name)),
  };
}

/** `schema.name` of a personal table, as messages print it. */
export function tableName(table: PersonalTable): string {
  return `${table.schema}.${table.name}`;
}

/** Where the rows of a personal table live, for messages. */
export function whoseRows(table: PersonalTable): string {
  return table.kind === 'parent'
    ? `the personal rows of every region (through its foreign partitions)`
    : `the personal rows of region "${table.region}"`;
}

/** The sanctioned way to read an entity: its directory and its generated get function. */
export function apiHint(entity: Entity): string {
  const n = derivedNames(entity.name);
  return `read the directory ${entity.schema}.${entity.name} (key, region, mirrored columns) or one row through ${entity.schema}.${n.get}(key), which runs in the row's home region`;
}
