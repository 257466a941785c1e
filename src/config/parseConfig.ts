import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { identifierProblem } from '../sql/quote.js';
import { expandEnv, type Env } from './expandEnv.js';
import { redactUrl } from './redact.js';
import { defaultProblem, KEY_TYPES, parseType, sqlExpr, sqlType, type SqlExpr, type SqlType } from './columnGrammar.js';
import { ADOPT_SCHEMA, DEFAULT_APP_GROUP, derivedNames, DBLINK_SCHEMA, REGISTRY_SCHEMA } from './derivedNames.js';
import { typeLimitProblem } from './typeLimits.js';
import {
  SSL_MODES,
  SUPPORTED_MAJORS,
  type Column,
  type Config,
  type Entity,
  type Major,
  type Pooler,
  type Region,
  type SslMode,
} from './types.js';

const MULTI_WORD_HINT = 'double precision, character varying, timestamp with time zone and the like';
/** Column names the generated objects use themselves; a key (or any column) so named would collide. */
const RESERVED_COLUMNS = new Map<string, { everyColumn: boolean; why: string }>([
  ['queued_at', { everyColumn: true, why: 'the outbox table has a column of that name' }],
  ['created', { everyColumn: false, why: 'the upsert result type has a column of that name beside the key' }],
  ['owned_here', { everyColumn: false, why: 'the upsert result type has a column of that name beside the key' }],
]);
/** Schema names a region (whose schema holds its leaves) may not take. */
const RESERVED_REGION_NAMES = ['information_schema', 'public', REGISTRY_SCHEMA, DBLINK_SCHEMA, ADOPT_SCHEMA];
/** Schema names an entity may not live in; `public` is allowed there. */
const RESERVED_ENTITY_SCHEMAS = ['information_schema', REGISTRY_SCHEMA, DBLINK_SCHEMA, ADOPT_SCHEMA];

/** Why a name cannot be a schema of ours, or undefined. */
function reservedSchema(value: string, reserved: readonly string[]): string | undefined {
  if (value.startsWith('pg_')) return 'names starting with "pg_" are reserved for PostgreSQL\'s system schemas';
  if (value === REGISTRY_SCHEMA) return "it is pg-residency's own schema (the region registry)";
  if (value === DBLINK_SCHEMA) return "it is pg-residency's own schema (the dblink extension of two-phase writes)";
  if (value === ADOPT_SCHEMA) return "it is pg-residency's own schema (adopt's checkpoints)";
  if (reserved.includes(value))
    return value === 'public' ? 'the public schema belongs to the database' : "it is PostgreSQL's system schema";
  return undefined;
}

const DURATION_PATTERN = /^\d+(ms|s|min|h)?$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const name = z.string();
const columnSchema = z.strictObject({
  name,
  type: z.string(),
  not_null: z.boolean().optional(),
  default: z.string().optional(),
  renamed_from: z.string().optional(),
});
const regionSchema = z.strictObject({
  name,
  url: z.string(),
  postgres: z.number().int(),
  fdw: z
    .strictObject({
      host: z.string().optional(),
      port: z.union([z.number().int(), z.string()]).optional(),
      dbname: z.string().optional(),
      password_env: z.string().optional(),
      sslmode: z.string().optional(),
      sslrootcert: z.string().optional(),
      sslcrl: z.string().optional(),
    })
    .optional(),
  pooler: z
    .strictObject({
      host: z.string().optional(),
      port: z.union([z.number().int(), z.string()]),
      pool_size: z.number().int().optional(),
      writes_in_flight: z.number().int().optional(),
      sslmode: z.string().optional(),
      sslrootcert: z.string().optional(),
    })
    .optional(),
});
const entitySchema = z.strictObject({
  name,
  schema: z.string().optional(),
  key: columnSchema,
  region: z.strictObject({ name: z.string() }).optional(),
  mirrored: z.array(columnSchema).optional(),
  resident: z.array(columnSchema).min(1, 'an entity needs at least one resident (personal) column'),
});
const configSchema = z.strictObject({
  mode: z.enum(['auto', 'native', 'routing']).optional(),
  link: z
    .strictObject({
      role: z.string().optional(),
      password_env: z.string().optional(),
      sslcert: z.string().optional(),
      sslkey: z.string().optional(),
    })
    .optional(),
  timeouts: z.strictObject({ lock_timeout: z.string().optional(), statement_timeout: z.string().optional() }).optional(),
  fdw_options: z
    .strictObject({
      fetch_size: z.number().int().min(1).optional(),
      batch_size: z.number().int().min(1).optional(),
    })
    .optional(),
  extensions: z.array(z.string()).optional(),
  app_roles: z.array(z.string()).optional(),
  app_group: z.string().optional(),
  regions: z.array(regionSchema).min(1, 'at least one region is needed'),
  entities: z.array(entitySchema).min(1, 'at least one entity is needed'),
});
type RawColumn = z.infer<typeof columnSchema>;
type RawRegion = z.infer<typeof regionSchema>;
type RawEntity = z.infer<typeof entitySchema>;
/**
 * What the semantic checks read: every part of the tree that passed the
 * schema, with parts that did not left out (undefined), so that the schema's
 * problems and the semantic ones are reported together.
 */
type RawConfig = Omit<z.infer<typeof configSchema>, 'regions' | 'entities'> & {
  readonly regions: readonly (RawRegion | undefined)[];
  readonly entities: readonly (RawEntity | undefined)[];
};

/** The valid parts of a tree that failed the schema; see {@link RawConfig}. */
function validParts(data: unknown): RawConfig {
  const tree = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const part = <T>(schema: z.ZodType<T>, value: unknown): T | undefined => {
    const result = schema.safeParse(value);
    return result.success ? result.data : undefined;
  };
  const items = <T>(schema: z.ZodType<T>, value: unknown): (T | undefined)[] =>
    Array.isArray(value) ? value.map((item) => part(schema, item)) : [];
  const { shape } = configSchema;
  return {
    mode: part(shape.mode, tree.mode),
    link: part(shape.link, tree.link),
    timeouts: part(shape.timeouts, tree.timeouts),
    fdw_options: part(shape.fdw_options, tree.fdw_options),
    extensions: part(shape.extensions, tree.extensions),
    app_roles: part(shape.app_roles, tree.app_roles),
    app_group: part(shape.app_group, tree.app_group),
    regions: items(regionSchema, tree.regions),
    entities: items(entitySchema, tree.entities),
  };
}

/** `regions[2].url` from zod's path array. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

/** `a number`, `an array`. */
function article(expected: string): string {
  return `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
}

/** What was given instead, shortened: `string "ten"`, `a list`, `null`. */
function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  const text = JSON.stringify(input) ?? String(input);
  return `${typeof input} ${text.length > 40 ? `${text.slice(0, 37)}..."` : text}`;
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(issue.path),
        message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; see docs/reference/regions-yaml.md`,
      };
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return { path: formatPath(issue.path), message: `is required (${issue.expected})` };
    }
    if (issue.code === 'invalid_type') {
      return { path: formatPath(issue.path), message: `expected ${article(issue.expected)}, got ${describeInput(issue.input)}` };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** Collects problems while the raw tree is turned into the readonly Config. */
class Checker {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly env: Env) {}

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  identifier(path: string, value: string): string {
    const problem = identifierProblem(value);
    if (problem !== undefined) this.add(path, `${JSON.stringify(value)} ${problem}`);
    return value;
  }

  expand(path: string, value: string): string {
    const { value: expanded, missing } = expandEnv(value, this.env);
    for (const variable of missing) {
      this.add(path, `environment variable ${variable} is not set; set it, or write \${${variable}:-default}`);
    }
    return expanded;
  }

  /** A file path a server reads (environment variables expanded), or undefined when not given. */
  filePath(path: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const expanded = this.expand(path, value);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (expanded === '' || /[\u0000-\u001f]/.test(expanded)) this.add(path, `${JSON.stringify(expanded)} is not a file path`);
    return expanded;
  }

  envName(path: string, value: string): string {
    if (!ENV_NAME_PATTERN.test(value)) this.add(path, `${JSON.stringify(value)} is not an environment variable name`);
    return value;
  }

  column(path: string, raw: RawColumn, role: 'key' | 'column'): Column {
    const parsed = parseType(raw.type);
    if (parsed === undefined) {
      this.add(
        `${path}.type`,
        `${JSON.stringify(raw.type)} is not a type name this tool accepts (one word, or ${MULTI_WORD_HINT}, with optional modifiers and [], e.g. text, uuid, numeric(10,2), text[])`,
      );
    } else if (typeLimitProblem(parsed.base, parsed.modifiers) !== undefined) {
      this.add(`${path}.type`, `${JSON.stringify(raw.type)} ${typeLimitProblem(parsed.base, parsed.modifiers)}`);
    } else if (role === 'key' && (parsed.array || !(KEY_TYPES as readonly string[]).includes(parsed.base))) {
      this.add(
        `${path}.type`,
        `${JSON.stringify(raw.type)} cannot be a key type: keys are compared with btree equality in every region; use one of uuid, text, varchar(n), char(n), bigint, integer, smallint, numeric, date, timestamptz, timestamp`,
      );
    }
    const problem = raw.default === undefined ? undefined : defaultProblem(raw.default);
    if (problem !== undefined) this.add(`${path}.default`, `${JSON.stringify(raw.default)} ${problem}`);
    const reserved = RESERVED_COLUMNS.get(raw.name);
    if (reserved !== undefined && (role === 'key' || reserved.everyColumn)) {
      this.add(`${path}.name`, `"${raw.name}" is reserved: ${reserved.why}; choose another name`);
    }
    return {
      name: this.identifier(`${path}.name`, raw.name),
      // the config is thrown away when a problem was added: these casts never reach a template
      type: sqlType(raw.type) ?? (raw.type as SqlType),
      notNull: raw.not_null ?? false,
      default: raw.default === undefined ? undefined : (sqlExpr(raw.default) ?? (raw.default as SqlExpr)),
      // only when given: a column without it records the same state as before
      ...(raw.renamed_from === undefined ? {} : { renamedFrom: this.identifier(`${path}.renamed_from`, raw.renamed_from) }),
    };
  }
}

function parseUrl(check: Checker, path: string, url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      check.add(path, `${JSON.stringify(redactUrl(url))} must start with postgres:// or postgresql://`);
      return undefined;
    }
    return parsed;
  } catch {
    check.add(path, `${JSON.stringify(redactUrl(url))} is not a valid URL (postgres://user@host:port/dbname)`);
    return undefined;
  }
}

/** Why a name cannot be the link role (or the app group: `what`), or undefined. */
function linkRoleProblem(role: string, what = 'the link role', defaultName = 'residency_link'): string | undefined {
  if (role === 'postgres') {
    return `is the bootstrap superuser and cannot be ${what}: pg-residency only creates and alters a role of its own; use a new name (the default is ${defaultName})`;
  }
  if (role.startsWith('pg_')) return `cannot be ${what}: role names starting with "pg_" are reserved by PostgreSQL; use another name`;
  if (role === 'public' || role === 'none') return `cannot be ${what}: it is a reserved role name; use another name`;
  return undefined;
}

/** The user name in a postgres:// url, if any. */
function urlUser(url: string): string | undefined {
  try {
    const user = decodeURIComponent(new URL(url).username);
    return user === '' ? undefined : user;
  } catch {
    return undefined;
  }
}

/** Minimum major whose postgres_fdw accepts sslcert and sslkey in a user mapping. */
export const CERT_AUTH_MAJOR = 13;

function sslmode(check: Checker, path: string, value: string | undefined): SslMode {
  if (value === undefined) return 'verify-full';
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  check.add(path, `${JSON.stringify(value)} is not an sslmode; use one of ${SSL_MODES.join(', ')} (default verify-full)`);
  return 'verify-full';
}

/** The most server connections a pooler may hold to one region; more would defeat the point of a pool. */
export const MAX_POOL_SIZE = 1000;

/**
 * The writes a pooled region coordinates at once by default, per server
 * connection of its pool (writes_in_flight = 2 x pool_size): a write holds a
 * pooled connection to each region for about one round trip of its two, so
 * twice the pool keeps every connection busy and no more writes queue in
 * the pooler than run (docs/guides/sizing.md).
 */
export const WRITES_PER_POOLED_LINK = 2;

/** The most writes in flight a region's gate may admit (each holds a prepared transaction in every region). */
export const MAX_WRITES_IN_FLIGHT = 10000;

/** A region's `pooler:`, its defaults taken from the region's own fdw settings. */
function buildPooler(
  check: Checker,
  path: string,
  raw: NonNullable<RawRegion['pooler']>,
  fdw: { host: string; sslmode: SslMode; sslrootcert: string | undefined },
): Pooler {
  const host = raw.host !== undefined ? check.expand(`${path}.host`, raw.host) : fdw.host;
  if (host === '') check.add(`${path}.host`, "is empty; name the host this region's server reaches its pooler on");
  const portText = check.expand(`${path}.port`, String(raw.port));
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) check.add(`${path}.port`, `${JSON.stringify(portText)} is not a TCP port`);
  const poolSize = raw.pool_size ?? 8;
  if (poolSize < 1 || poolSize > MAX_POOL_SIZE)
    check.add(`${path}.pool_size`, `${poolSize} is not a pool size; use 1 to ${MAX_POOL_SIZE} (default 8) server connections per region`);
  const writesInFlight = raw.writes_in_flight ?? WRITES_PER_POOLED_LINK * poolSize;
  if (raw.writes_in_flight !== undefined && (writesInFlight < 1 || writesInFlight > MAX_WRITES_IN_FLIGHT))
    check.add(
      `${path}.writes_in_flight`,
      `${writesInFlight} is not a bound on writes in flight; use 1 to ${MAX_WRITES_IN_FLIGHT} (default ${WRITES_PER_POOLED_LINK} x pool_size) writes this region coordinates at once`,
    );
  return {
    host,
    port,
    poolSize,
    writesInFlight,
    sslmode: raw.sslmode !== undefined ? sslmode(check, `${path}.sslmode`, raw.sslmode) : fdw.sslmode,
    sslrootcert: raw.sslrootcert !== undefined ? check.filePath(`${path}.sslrootcert`, raw.sslrootcert) : fdw.sslrootcert,
  };
}

function buildRegion(
  check: Checker,
  raw: RawConfig,
  index: number,
  linkPasswordEnv: string,
): Omit<Region, 'fdw'> & { fdw: Omit<Region['fdw'], 'auth'> } {
  const r = raw.regions[index]!;
  const path = `regions[${index}]`;
  const regionName = check.identifier(`${path}.name`, r.name);
  const reserved = reservedSchema(regionName, RESERVED_REGION_NAMES);
  if (reserved !== undefined) {
    check.add(
      `${path}.name`,
      `"${regionName}" cannot be a region name: each region gets a schema of its name, and ${reserved}; choose another name`,
    );
  }
  const url = check.expand(`${path}.url`, r.url);
  const parsed = url ? parseUrl(check, `${path}.url`, url) : undefined;
  const dbname = parsed ? decodeURIComponent(parsed.pathname.replace(/^\//, '')) : '';
  if (parsed && !dbname) check.add(`${path}.url`, `${JSON.stringify(redactUrl(url))} names no database; add /dbname`);

  const host = r.fdw?.host !== undefined ? check.expand(`${path}.fdw.host`, r.fdw.host) : (parsed?.hostname ?? '');
  const portText = r.fdw?.port !== undefined ? check.expand(`${path}.fdw.port`, String(r.fdw.port)) : parsed?.port || '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) check.add(`${path}.fdw.port`, `${JSON.stringify(portText)} is not a TCP port`);
  const fdwDb = r.fdw?.dbname !== undefined ? check.expand(`${path}.fdw.dbname`, r.fdw.dbname) : dbname;

  if (!(SUPPORTED_MAJORS as readonly number[]).includes(r.postgres)) {
    check.add(`${path}.postgres`, `PostgreSQL ${r.postgres} is not supported; use a major version from 10 to 18`);
  }
  const major = r.postgres as Major;
  const configured = raw.mode ?? 'auto';
  if (configured === 'native' && major === 10) {
    check.add(
      `${path}.postgres`,
      `mode "native" needs PostgreSQL 11 or newer, but region "${r.name}" runs 10 (it cannot route inserts into foreign partitions); use mode "auto" or "routing"`,
    );
  }
  const mode = configured === 'auto' ? (major === 10 ? 'routing' : 'native') : configured;
  const fdw = {
    host,
    port,
    dbname: fdwDb,
    passwordEnv: check.envName(`${path}.fdw.password_env`, r.fdw?.password_env ?? linkPasswordEnv),
    sslmode: sslmode(check, `${path}.fdw.sslmode`, r.fdw?.sslmode),
    sslmodeExplicit: r.fdw?.sslmode !== undefined,
    sslrootcert: check.filePath(`${path}.fdw.sslrootcert`, r.fdw?.sslrootcert),
    sslcrl: check.filePath(`${path}.fdw.sslcrl`, r.fdw?.sslcrl),
  };
  return {
    name: regionName,
    url,
    fdw,
    postgres: major,
    mode,
    ...(r.pooler === undefined ? {} : { pooler: buildPooler(check, `${path}.pooler`, r.pooler, fdw) }),
  };
}

function buildEntity(check: Checker, e: RawEntity, index: number): Entity {
  const path = `entities[${index}]`;
  const entity: Entity = {
    name: check.identifier(`${path}.name`, e.name),
    schema: check.identifier(`${path}.schema`, e.schema ?? 'shared'),
    key: check.column(`${path}.key`, e.key, 'key'),
    regionColumn: check.identifier(`${path}.region.name`, e.region?.name ?? 'region'),
    mirrored: (e.mirrored ?? []).map((c, i) => check.column(`${path}.mirrored[${i}]`, c, 'column')),
    resident: e.resident.map((c, i) => check.column(`${path}.resident[${i}]`, c, 'column')),
  };
  const schemaProblem = reservedSchema(entity.schema, RESERVED_ENTITY_SCHEMAS);
  if (schemaProblem !== undefined)
    check.add(`${path}.schema`, `"${entity.schema}" cannot hold an entity: ${schemaProblem}; choose another schema`);
  const regionReserved = RESERVED_COLUMNS.get(entity.regionColumn);
  if (regionReserved !== undefined && regionReserved.everyColumn) {
    check.add(`${path}.region.name`, `"${entity.regionColumn}" is reserved: ${regionReserved.why}; choose another name`);
  }
  const seen = new Map<string, string>();
  const columns: [string, string][] = [
    [`${path}.key.name`, entity.key.name],
    [`${path}.region.name`, entity.regionColumn],
    ...entity.mirrored.map((c, i): [string, string] => [`${path}.mirrored[${i}].name`, c.name]),
    ...entity.resident.map((c, i): [string, string] => [`${path}.resident[${i}].name`, c.name]),
  ];
  for (const [columnPath, columnName] of columns) {
    const first = seen.get(columnName);
    if (first !== undefined) check.add(columnPath, `column "${columnName}" is already defined at ${first}`);
    else seen.set(columnName, columnPath);
  }
  if (entity.key.renamedFrom !== undefined)
    check.add(`${path}.key.renamed_from`, 'the key cannot be renamed; add a new entity and move the rows');
  for (const list of ['mirrored', 'resident'] as const) {
    entity[list].forEach((c, i) => {
      if (c.renamedFrom === undefined) return;
      const at = `${path}.${list}[${i}].renamed_from`;
      if (c.renamedFrom === c.name) check.add(at, `"${c.renamedFrom}" is the column's own name; remove renamed_from`);
      else if (seen.has(c.renamedFrom))
        check.add(
          at,
          `"${c.renamedFrom}" is still a column of this entity (${seen.get(c.renamedFrom)}); a column renamed from it cannot coexist with it`,
        );
    });
  }
  if (Buffer.byteLength(entity.name) <= 63) {
    for (const derived of Object.values(derivedNames(entity.name))) {
      const problem = identifierProblem(derived);
      if (problem !== undefined) {
        check.add(`${path}.name`, `the generated name "${derived}" ${problem}; choose a shorter entity name`);
        break;
      }
    }
  }
  return entity;
}

/**
 * A pooler logs in to every region as the link role with one secret (a user
 * has one entry in PgBouncer's auth_file): regions it reaches by password
 * must share one password variable. And a pooler cannot listen where a
 * region's server does.
 */
function checkPoolers(check: Checker, regions: readonly { index: number; region: Region }[]): void {
  const passwords = [
    ...new Set(regions.filter(({ region }) => region.fdw.auth === 'password').map(({ region }) => region.fdw.passwordEnv)),
  ];
  const servers = new Map(regions.map(({ region }) => [`${region.fdw.host}:${region.fdw.port}`, region.name]));
  for (const { index, region } of regions) {
    if (region.pooler === undefined) continue;
    if (passwords.length > 1) {
      check.add(
        `regions[${index}].pooler`,
        `a pooler logs in to every region as the link role with one password, but the regions reached by password use ${passwords.join(', ')}; give them one fdw.password_env (or the link role a certificate, link.sslcert)`,
      );
    }
    const clash = servers.get(`${region.pooler.host}:${region.pooler.port}`);
    if (clash !== undefined)
      check.add(
        `regions[${index}].pooler.port`,
        `${region.pooler.host}:${region.pooler.port} is where region "${clash}"'s server listens; give the pooler a port of its own`,
      );
  }
  checkUnique(
    check,
    regions.flatMap(({ index, region }) =>
      region.pooler === undefined
        ? []
        : [
            {
              path: `regions[${index}].pooler.port`,
              key: `${region.pooler.host}:${region.pooler.port}`,
              label: `the pooler ${region.pooler.host}:${region.pooler.port}`,
            },
          ],
    ),
  );
}

function checkUnique(check: Checker, items: readonly { path: string; key: string; label: string }[]): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const first = seen.get(item.key);
    if (first !== undefined) check.add(item.path, `${item.label} is already defined at ${first}`);
    else seen.set(item.key, item.path);
  }
}

/** What each derived name is, for messages. */
const DERIVED_KINDS: Record<keyof ReturnType<typeof derivedNames>, string> = {
  details: 'personal-data table',
  detailsIn: 'write table for personal rows (in each region schema, before two-phase writes)',
  upsert: 'upsert function',
  upsertMany: 'set-based upsert function',
  upsertRows: 'row-array upsert function',
  upsertResult: 'upsert result type',
  rehome: 'rehome function',
  erase: 'erase function',
  get: 'get function',
  getMany: 'batch get function',
  countByRegion: 'count-by-region function',
  find: 'find function',
  sync: 'sync function',
  outbox: 'outbox table',
  row: 'row type',
  apply: 'two-phase apply function',
  defaults: 'column defaults function',
};

/**
 * Refuses two entities whose objects would share a name: in the entity's
 * schema (tables, types and functions, which one namespace is safest to treat
 * as one), and in every region's schema, which holds each entity's leaf and
 * foreign tables whatever its schema.
 */
function checkDerivedCollisions(check: Checker, entities: readonly Entity[]): void {
  const owners = new Map<string, { index: number; entity: string; what: string }>();
  // An entity defined twice is reported once, by the duplicate check.
  const firstOf = new Map<string, number>();
  entities.forEach((e, index) => {
    if (!firstOf.has(JSON.stringify([e.schema, e.name]))) firstOf.set(JSON.stringify([e.schema, e.name]), index);
  });
  const isDuplicate = (index: number) => firstOf.get(JSON.stringify([entities[index]!.schema, entities[index]!.name])) !== index;
  const claim = (index: number, namespace: string, objectName: string, what: string) => {
    const key = JSON.stringify([namespace, objectName]);
    const first = owners.get(key);
    if (first === undefined) {
      owners.set(key, { index, entity: entities[index]!.name, what });
    } else if (first.index !== index && !isDuplicate(index)) {
      const where = namespace === '' ? "in every region's schema" : `in schema "${namespace}"`;
      check.add(
        `entities[${index}].name`,
        `the ${what} of entity "${entities[index]!.name}" would be named "${objectName}" ${where}, like the ${first.what} of entity "${first.entity}" (entities[${first.index}]); rename one of the entities`,
      );
    }
  };
  entities.forEach((e, index) => {
    claim(index, e.schema, e.name, 'directory table');
    const derived = derivedNames(e.name);
    for (const kind of Object.keys(derived) as (keyof typeof derived)[]) claim(index, e.schema, derived[kind], DERIVED_KINDS[kind]);
  });
  // Region schemas: the foreign directory tables and the leaves, named after the entity alone.
  entities.forEach((e, index) => {
    claim(index, '', e.name, 'foreign directory table');
    claim(index, '', derivedNames(e.name).details, 'personal-data leaf');
  });
}

/**
 * Parses and validates regions.yaml text. Pure: the environment is passed in.
 * Throws one ConfigError listing every problem, each with its path.
 * @example parseConfig(readFileSync('regions.yaml', 'utf8'), 'regions.yaml', process.env)
 */
export function parseConfig(text: string, source: string, env: Env): Config {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    // Only the first: the errors after it are most often its echoes.
    throw new ConfigError(source, [
      {
        path: `line ${text.slice(0, syntax.pos[0]).split('\n').length}`,
        message: `malformed YAML: ${syntax.message.split('\n')[0]}`,
      },
    ]);
  }
  const data: unknown = doc.toJS();
  // reportInput: a wrong type is reported with what was given (`got string "ten"`)
  const result = configSchema.safeParse(data, { reportInput: true });
  const schemaProblems = result.success ? [] : zodProblems(result.error);
  const raw: RawConfig = result.success ? result.data : validParts(data);
  const check = new Checker(env);

  const link = {
    role: check.identifier('link.role', raw.link?.role ?? 'residency_link'),
    passwordEnv: check.envName('link.password_env', raw.link?.password_env ?? 'PG_RESIDENCY_LINK_PASSWORD'),
    sslcert: check.filePath('link.sslcert', raw.link?.sslcert),
    sslkey: check.filePath('link.sslkey', raw.link?.sslkey),
  };
  const linkProblem = linkRoleProblem(link.role);
  if (linkProblem !== undefined) check.add('link.role', `"${link.role}" ${linkProblem}`);
  if ((link.sslcert === undefined) !== (link.sslkey === undefined)) {
    const [given, missing] = link.sslcert === undefined ? ['sslkey', 'sslcert'] : ['sslcert', 'sslkey'];
    check.add(`link.${missing}`, `is required with link.${given}: the link role's client certificate and its key go together`);
  }
  const lockTimeout = raw.timeouts?.lock_timeout ?? '5s';
  const statementTimeout = raw.timeouts?.statement_timeout ?? '30s';
  for (const [path, value] of [
    ['timeouts.lock_timeout', lockTimeout],
    ['timeouts.statement_timeout', statementTimeout],
  ] as const) {
    if (!DURATION_PATTERN.test(value)) check.add(path, `${JSON.stringify(value)} is not a duration such as 500ms, 5s or 1min`);
  }
  const built = raw.regions.flatMap((r, i) =>
    r === undefined ? [] : [{ index: i, region: buildRegion(check, raw, i, link.passwordEnv) }],
  );
  // One pg_hba line decides how a region accepts the link role from all the
  // others, so it takes a certificate only when every region can present one:
  // the others, and the region itself, which reaches itself through its
  // loopback server (a 10-12 region's postgres_fdw refuses sslcert in its
  // own user mapping).
  const regions = built.map(({ index, region: r }) => ({
    index,
    region: {
      ...r,
      fdw: {
        ...r.fdw,
        auth:
          link.sslcert !== undefined &&
          ['require', 'verify-ca', 'verify-full'].includes(r.fdw.sslmode) &&
          built.every(({ region: other }) => other.postgres >= CERT_AUTH_MAJOR)
            ? ('cert' as const)
            : ('password' as const),
      },
    } satisfies Region,
  }));
  const entities = raw.entities.flatMap((e, i) => (e === undefined ? [] : [{ index: i, entity: buildEntity(check, e, i) }]));
  checkPoolers(check, regions);
  regions.forEach(({ index, region: r }) => {
    const user = urlUser(r.url);
    if (user !== undefined && user === link.role) {
      check.add(
        `regions[${index}].url`,
        `connects as "${user}", which is also link.role; migrate would strip the role it runs as of its rights. Give the link its own role (the default is residency_link)`,
      );
    }
  });

  checkUnique(
    check,
    regions.map(({ index, region: r }) => ({ path: `regions[${index}].name`, key: r.name, label: `region "${r.name}"` })),
  );
  checkUnique(
    check,
    regions.map(({ index, region: r }) => ({
      path: `regions[${index}].url`,
      key: `${r.fdw.host}:${r.fdw.port}/${r.fdw.dbname}`,
      label: `the database ${r.fdw.host}:${r.fdw.port}/${r.fdw.dbname}`,
    })),
  );
  checkUnique(
    check,
    entities.map(({ index, entity: e }) => ({
      path: `entities[${index}].name`,
      key: `${e.schema}.${e.name}`,
      label: `entity "${e.schema}.${e.name}"`,
    })),
  );
  checkDerivedCollisions(
    check,
    entities.map(({ entity }) => entity),
  );
  const regionNames = new Set(regions.map(({ region }) => region.name));
  for (const { index, entity: e } of entities) {
    if (regionNames.has(e.schema)) {
      check.add(
        `entities[${index}].schema`,
        `"${e.schema}" is also a region name, and each region has a schema of its own; choose another schema`,
      );
    }
  }

  const extensions = new Set(raw.extensions ?? []);
  (raw.extensions ?? []).forEach((x, i) => check.identifier(`extensions[${i}]`, x));
  const appRoles = (raw.app_roles ?? []).map((r, i) => check.identifier(`app_roles[${i}]`, r));
  appRoles.forEach((r, i) => {
    if (r === link.role)
      check.add(
        `app_roles[${i}]`,
        `"${r}" is link.role, the role regions log in to each other as; an application role must be another role`,
      );
    else if (r.startsWith('pg_') || r === 'public')
      check.add(
        `app_roles[${i}]`,
        `"${r}" is a role PostgreSQL reserves (granting to it grants to every role or to a built-in one); name the application's own role`,
      );
  });
  const appGroup = check.identifier('app_group', raw.app_group ?? DEFAULT_APP_GROUP);
  const groupProblem = linkRoleProblem(appGroup, 'the app group', DEFAULT_APP_GROUP);
  if (groupProblem !== undefined) check.add('app_group', `"${appGroup}" ${groupProblem}`);
  else if (appGroup === link.role)
    check.add('app_group', `"${appGroup}" is link.role; the app group must be a role of its own (the default is ${DEFAULT_APP_GROUP})`);
  else if (appRoles.includes(appGroup))
    check.add(
      'app_group',
      `"${appGroup}" is also in app_roles; the app group is a role pg-residency creates, its members are the app roles`,
    );
  const allDefaults = entities.flatMap(({ entity: e }) => [e.key, ...e.mirrored, ...e.resident]).map((c) => c.default ?? '');
  if (allDefaults.some((d) => /uuid_generate_v/.test(d))) extensions.add('uuid-ossp');
  extensions.delete('postgres_fdw');

  const problems = [...schemaProblems, ...check.problems];
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    mode: raw.mode ?? 'auto',
    link,
    timeouts: { lockTimeout, statementTimeout },
    fdwOptions: { fetchSize: raw.fdw_options?.fetch_size ?? 1000, batchSize: raw.fdw_options?.batch_size ?? 100 },
    extensions: ['postgres_fdw', ...[...extensions].sort()],
    appRoles,
    appGroup,
    regions: regions.map(({ region }) => region),
    entities: entities.map(({ entity }) => entity),
  };
}
