import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { identifierProblem } from '../sql/quote.js';
import { expandEnv, type Env } from './expandEnv.js';
import { derivedNames } from './derivedNames.js';
import { SSL_MODES, SUPPORTED_MAJORS, type Column, type Config, type Entity, type Major, type Region, type SslMode } from './types.js';

// A conservative grammar for column types: a name of one or more words,
// optional type modifiers, optional array brackets. Anything else is refused
// rather than pasted into DDL.
const TYPE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*( [A-Za-z_][A-Za-z0-9_]*)*( ?\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$/;
const DURATION_PATTERN = /^\d+(ms|s|min|h)?$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const name = z.string();
const columnSchema = z.strictObject({
  name,
  type: z.string(),
  not_null: z.boolean().optional(),
  default: z.string().optional(),
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
  regions: z.array(regionSchema).min(1, 'at least one region is needed'),
  entities: z.array(entitySchema).min(1, 'at least one entity is needed'),
});
type RawConfig = z.infer<typeof configSchema>;
type RawColumn = z.infer<typeof columnSchema>;

/** `regions[2].url` from zod's path array. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(issue.path),
        message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; see the regions.yaml reference in README.md`,
      };
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return { path: formatPath(issue.path), message: `is required (${issue.expected})` };
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

  column(path: string, raw: RawColumn): Column {
    if (!TYPE_PATTERN.test(raw.type)) {
      this.add(`${path}.type`, `${JSON.stringify(raw.type)} is not a type name this tool accepts (e.g. text, uuid, numeric(10,2), text[])`);
    }
    if (raw.default !== undefined && /;|--|\/\*/.test(raw.default)) {
      this.add(`${path}.default`, `${JSON.stringify(raw.default)} must be one SQL expression, without ";" or comments`);
    }
    return {
      name: this.identifier(`${path}.name`, raw.name),
      type: raw.type,
      notNull: raw.not_null ?? false,
      default: raw.default,
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

/** A URL with its password replaced, safe to print. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/** Minimum major whose postgres_fdw accepts sslcert and sslkey in a user mapping. */
export const CERT_AUTH_MAJOR = 13;

function sslmode(check: Checker, path: string, value: string | undefined): SslMode {
  if (value === undefined) return 'verify-full';
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  check.add(path, `${JSON.stringify(value)} is not an sslmode; use one of ${SSL_MODES.join(', ')} (default verify-full)`);
  return 'verify-full';
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
  return {
    name: regionName,
    url,
    fdw: {
      host,
      port,
      dbname: fdwDb,
      passwordEnv: check.envName(`${path}.fdw.password_env`, r.fdw?.password_env ?? linkPasswordEnv),
      sslmode: sslmode(check, `${path}.fdw.sslmode`, r.fdw?.sslmode),
      sslmodeExplicit: r.fdw?.sslmode !== undefined,
      sslrootcert: check.filePath(`${path}.fdw.sslrootcert`, r.fdw?.sslrootcert),
      sslcrl: check.filePath(`${path}.fdw.sslcrl`, r.fdw?.sslcrl),
    },
    postgres: major,
    mode,
  };
}

function buildEntity(check: Checker, raw: RawConfig, index: number): Entity {
  const e = raw.entities[index]!;
  const path = `entities[${index}]`;
  const entity: Entity = {
    name: check.identifier(`${path}.name`, e.name),
    schema: check.identifier(`${path}.schema`, e.schema ?? 'shared'),
    key: check.column(`${path}.key`, e.key),
    regionColumn: check.identifier(`${path}.region.name`, e.region?.name ?? 'region'),
    mirrored: (e.mirrored ?? []).map((c, i) => check.column(`${path}.mirrored[${i}]`, c)),
    resident: e.resident.map((c, i) => check.column(`${path}.resident[${i}]`, c)),
  };
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

function checkUnique(check: Checker, items: readonly { path: string; key: string; label: string }[]): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const first = seen.get(item.key);
    if (first !== undefined) check.add(item.path, `${item.label} is already defined at ${first}`);
    else seen.set(item.key, item.path);
  }
}

/**
 * Parses and validates regions.yaml text. Pure: the environment is passed in.
 * Throws one ConfigError listing every problem, each with its path.
 * @example parseConfig(readFileSync('regions.yaml', 'utf8'), 'regions.yaml', process.env)
 */
export function parseConfig(text: string, source: string, env: Env): Config {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: `line ${text.slice(0, e.pos[0]).split('\n').length}`,
        message: `malformed YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const result = configSchema.safeParse(doc.toJS());
  if (!result.success) throw new ConfigError(source, zodProblems(result.error));
  const raw = result.data;
  const check = new Checker(env);

  const link = {
    role: check.identifier('link.role', raw.link?.role ?? 'residency_link'),
    passwordEnv: check.envName('link.password_env', raw.link?.password_env ?? 'PG_RESIDENCY_LINK_PASSWORD'),
    sslcert: check.filePath('link.sslcert', raw.link?.sslcert),
    sslkey: check.filePath('link.sslkey', raw.link?.sslkey),
  };
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
  const built = raw.regions.map((_, i) => buildRegion(check, raw, i, link.passwordEnv));
  // One pg_hba line decides how a region accepts the link role from all the
  // others, so it takes a certificate only when every other region can present one.
  const regions: Region[] = built.map((r) => ({
    ...r,
    fdw: {
      ...r.fdw,
      auth:
        link.sslcert !== undefined &&
        ['require', 'verify-ca', 'verify-full'].includes(r.fdw.sslmode) &&
        built.every((other) => other === r || other.postgres >= CERT_AUTH_MAJOR)
          ? 'cert'
          : 'password',
    },
  }));
  const entities = raw.entities.map((_, i) => buildEntity(check, raw, i));

  checkUnique(
    check,
    regions.map((r, i) => ({ path: `regions[${i}].name`, key: r.name, label: `region "${r.name}"` })),
  );
  checkUnique(
    check,
    regions.map((r, i) => ({
      path: `regions[${i}].url`,
      key: `${r.fdw.host}:${r.fdw.port}/${r.fdw.dbname}`,
      label: `the database ${r.fdw.host}:${r.fdw.port}/${r.fdw.dbname}`,
    })),
  );
  checkUnique(
    check,
    entities.map((e, i) => ({ path: `entities[${i}].name`, key: `${e.schema}.${e.name}`, label: `entity "${e.schema}.${e.name}"` })),
  );
  const regionNames = new Set(regions.map((r) => r.name));
  entities.forEach((e, i) => {
    if (regionNames.has(e.schema)) {
      check.add(
        `entities[${i}].schema`,
        `"${e.schema}" is also a region name, and each region has a schema of its own; choose another schema`,
      );
    }
  });

  const extensions = new Set(raw.extensions ?? []);
  (raw.extensions ?? []).forEach((x, i) => check.identifier(`extensions[${i}]`, x));
  const appRoles = (raw.app_roles ?? []).map((r, i) => check.identifier(`app_roles[${i}]`, r));
  const allDefaults = entities.flatMap((e) => [e.key, ...e.mirrored, ...e.resident]).map((c) => c.default ?? '');
  if (allDefaults.some((d) => /uuid_generate_v/.test(d))) extensions.add('uuid-ossp');
  extensions.delete('postgres_fdw');

  if (check.problems.length > 0) throw new ConfigError(source, check.problems);
  return {
    mode: raw.mode ?? 'auto',
    link,
    timeouts: { lockTimeout, statementTimeout },
    fdwOptions: { fetchSize: raw.fdw_options?.fetch_size ?? 1000, batchSize: raw.fdw_options?.batch_size ?? 100 },
    extensions: ['postgres_fdw', ...[...extensions].sort()],
    appRoles,
    regions,
    entities,
  };
}
