import pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import { loadConfig } from '../config/loadConfig.js';
import type { Config } from '../config/types.js';
import { ResidencyError, unknownRegion } from '../errors.js';
import { tlsOptions } from '../migrate/connect.js';
import type { RegionResolveResult, ResolvedPart } from '../migrate/resolveFleet.js';
import { toCallError } from './callError.js';
import { entityClient, type EntityClient, type EntityRow, type FleetAccess } from './entityClient.js';
import { HomeCache } from './homeCache.js';

export interface ConnectFleetOptions {
  /** The fleet's validated regions.yaml, or its path (loaded with `env`). */
  readonly config: Config | string;
  /** For `${VAR}` in regions.yaml and PGPASSWORD; default `process.env`. */
  readonly env?: Env;
  /**
   * How to reach each region, as `pg.Pool` settings (host, port, user,
   * password, ssl, ...). A region not listed is reached through its `url`
   * (TLS parameters as libpq reads them; PGPASSWORD when the url has no
   * password). Connect as an application role (`app_roles`).
   */
  readonly connections?: Readonly<Record<string, pg.PoolConfig>>;
  /** Where a call runs when the row's home region is not known; default the first region. */
  readonly defaultRegion?: string;
  /** Sessions per region; default 10. */
  readonly poolSize?: number;
  /** How many keys' home regions are remembered; default 10,000. */
  readonly homeCacheSize?: number;
}

/** The types of one entity, as `pg-residency gen-types` writes them: its row and its key. */
export interface EntityTypes {
  readonly row: object;
  readonly key: unknown;
}

/** No entity types known: `fleet.entity()` then takes a row type argument. */
export type UntypedEntities = Record<never, EntityTypes>;

/**
 * A fleet of regions seen through long-lived pooled sessions. Typed by the
 * `Entities` and `Region` that `pg-residency gen-types` writes:
 * `connectFleet<Entities, Region>(...)`.
 */
export interface FleetClient<
  Entities extends { readonly [K in keyof Entities]: EntityTypes } = UntypedEntities,
  RegionName extends string = string,
> {
  readonly regions: readonly RegionName[];
  readonly defaultRegion: RegionName;
  /**
   * The API of one entity of the config, by name, typed from `Entities`.
   * @example const people = fleet.entity('identity'); // EntityClient<Identity, IdentityKey, Region>
   */
  entity<Name extends keyof Entities & string>(name: Name): EntityClient<Entities[Name]['row'], Entities[Name]['key'], RegionName>;
  /**
   * The API of one entity of the config, by name (and schema, when two
   * schemas hold an entity of that name), with a row type of your own. When
   * the client is typed (`Entities` given), only with a schema: a misspelt
   * name does not compile.
   * @example const people = fleet.entity<{ uuid: string; region: string; name: string | null }>('identity');
   */
  entity<Row extends object = EntityRow>(
    name: [keyof Entities] extends [never] ? string : never,
    schema?: string,
  ): EntityClient<Row, unknown, RegionName>;
  entity<Row extends object = EntityRow>(name: string, schema: string): EntityClient<Row, unknown, RegionName>;
  /**
   * Runs `residency.resolve()` in every region at once: prepared parts of
   * writes whose coordinator crashed are committed or rolled back from the
   * commit records (as `resolveFleet`, on the client's sessions). One result
   * per region; a part stays `pending` while its coordinator is unreachable
   * (or its connection had to be reopened): call again until nothing is pending.
   */
  resolve(): Promise<RegionResolveResult[]>;
  /** Ends every session. */
  close(): Promise<void>;
}

const APPLICATION_NAME = 'pg-residency client';

/**
 * Opens a client for a fleet: one `pg.Pool` per region whose sessions stay
 * open (a session's first call opens its connections to the other regions,
 * so reusing sessions keeps that cost off later calls), and the typed API of
 * each configured entity. Nothing connects until the first call.
 *
 * @example
 * import { connectFleet } from 'pg-residency';
 * const fleet = await connectFleet({ config: 'regions.yaml', defaultRegion: 'usa' });
 * const people = fleet.entity<{ uuid: string; region: string; name: string | null; note?: string | null }>('identity');
 * await people.upsert({ uuid: '7139f8aa-7f93-4657-83ad-b7d74a22159f', region: 'gbr', name: 'Da Queen', note: null });
 * await people.get('7139f8aa-7f93-4657-83ad-b7d74a22159f'); // read in gbr, where the row lives
 * await fleet.close();
 */
export async function connectFleet<
  Entities extends { readonly [K in keyof Entities]: EntityTypes } = UntypedEntities,
  RegionName extends string = string,
>(options: ConnectFleetOptions): Promise<FleetClient<Entities, RegionName>> {
  const env = options.env ?? process.env;
  const config = typeof options.config === 'string' ? await loadConfig(options.config, env) : options.config;
  const regions = config.regions.map((r) => r.name);
  const defaultRegion = options.defaultRegion ?? regions[0]!;
  if (!regions.includes(defaultRegion)) throw unknownRegion(defaultRegion, regions);
  for (const name of Object.keys(options.connections ?? {})) if (!regions.includes(name)) throw unknownRegion(name, regions);

  const pools = new Map<string, pg.Pool>();
  for (const region of config.regions) {
    const given = options.connections?.[region.name];
    const fromUrl = (): pg.PoolConfig => {
      const parsed = tlsOptions(region) as pg.PoolConfig;
      return { ...parsed, password: parsed.password || env.PGPASSWORD };
    };
    const pool = new pg.Pool({
      application_name: APPLICATION_NAME,
      ...(given ?? fromUrl()),
      max: options.poolSize ?? 10,
      // Sessions stay open: the first call of a session pays for its links to the other regions.
      idleTimeoutMillis: 0,
    });
    // A session that dies while idle (its server restarted) is dropped from the pool, not thrown.
    pool.on('error', () => undefined);
    pools.set(region.name, pool);
  }

  const access: FleetAccess = {
    regions,
    defaultRegion,
    homes: new HomeCache(options.homeCacheSize ?? 10_000),
    async query<T extends pg.QueryResultRow>(region: string, fn: string, sql: string, params: unknown[]): Promise<T[]> {
      const pool = pools.get(region);
      if (pool === undefined) throw unknownRegion(region, regions);
      try {
        return (await pool.query<T>(sql, params)).rows;
      } catch (error) {
        throw toCallError(error, region, fn);
      }
    },
  };

  const clients = new Map<string, EntityClient>();
  let closed: Promise<void> | undefined;
  const entity = (name: string, schema?: string): EntityClient => {
    const matches = config.entities.filter((e) => e.name === name && (schema === undefined || e.schema === schema));
    if (matches.length !== 1) {
      const known = config.entities.map((e) => `"${e.schema}.${e.name}"`).join(', ');
      const what = schema === undefined ? `"${name}"` : `"${schema}.${name}"`;
      throw new ResidencyError(
        'CONFIG',
        matches.length === 0
          ? `unknown entity ${what}; regions.yaml defines ${known}`
          : `entity ${what} is defined in several schemas; name the schema: ${known}`,
      );
    }
    const entity = matches[0]!;
    const id = `${entity.schema}.${entity.name}`;
    if (!clients.has(id)) clients.set(id, entityClient(entity, access));
    return clients.get(id)!;
  };
  const client: FleetClient = {
    regions,
    defaultRegion,
    // the rows are the application's to type (gen-types or its own): nothing here checks them
    entity,
    async resolve() {
      return Promise.all(
        regions.map(async (region): Promise<RegionResolveResult> => {
          try {
            const parts = await access.query<ResolvedPart & pg.QueryResultRow>(
              region,
              'residency.resolve',
              'SELECT gid, coordinator, outcome FROM residency.resolve()',
              [],
            );
            const count = (outcome: ResolvedPart['outcome']) => parts.filter((p) => p.outcome === outcome).length;
            return {
              region,
              committed: count('committed'),
              rolledBack: count('rolled back'),
              pending: count('pending'),
              recordsDeleted: count('record deleted'),
              parts: parts.map((p) => ({ gid: p.gid, coordinator: p.coordinator, outcome: p.outcome })),
            };
          } catch (error) {
            const e = error instanceof ResidencyError ? error : new ResidencyError('CONNECTION', String(error), { cause: error });
            return { region, committed: 0, rolledBack: 0, pending: 0, recordsDeleted: 0, parts: [], error: e };
          }
        }),
      );
    },
    close: () => (closed ??= Promise.all([...pools.values()].map((p) => p.end())).then(() => undefined)),
  };
  // the region names are the config's: gen-types wrote RegionName from the same regions.yaml
  return client as unknown as FleetClient<Entities, RegionName>;
}
