import type pg from 'pg';
import { derivedNames } from '../config/derivedNames.js';
import type { Entity } from '../config/types.js';
import { literal, qualified } from '../sql/quote.js';
import { FleetCallError } from './callError.js';
import type { HomeCache } from './homeCache.js';

/**
 * A row of an entity, keyed by column name (key, region column, mirrored and
 * resident columns). An interface of your own works too: any object type.
 */
export type EntityRow = Readonly<Record<string, unknown>>;

/** Where a call runs: by default the row's home region when the client knows it, else the fleet's default region. */
export interface CallOptions<RegionName extends string = string> {
  readonly region?: RegionName;
}

/** What an upsert reports per row. */
export interface UpsertResult<Key = unknown> {
  readonly key: Key;
  /** True for a new row. */
  readonly created: boolean;
  /** True when the region the call ran in owns the row. */
  readonly ownedHere: boolean;
}

/**
 * The generated SQL API of one entity, called through the fleet's pools. Each
 * write is one call of one generated function, atomic across the fleet and
 * complete when it returns. `Row`, `Key` and `RegionName` come from the types
 * `pg-residency gen-types` writes (or an interface of your own).
 */
export interface EntityClient<Row extends object = EntityRow, Key = unknown, RegionName extends string = string> {
  /** `schema.name` of the entity. */
  readonly entity: string;
  readonly keyColumn: string;
  readonly regionColumn: string;
  /**
   * Creates or updates one row (`upsert_<entity>_many` with this one row): the
   * directory row in every region, the personal row in its owner. Only the
   * fields the row gives are written: a column it leaves out keeps its value
   * for a key that exists, and takes its default (else NULL) for a new one;
   * `null` clears a column without a default (in one with a default it is the
   * same as leaving it out). A field that is not a column is refused (RS008)
   * before anything is sent.
   */
  upsert(row: Row, options?: CallOptions<RegionName>): Promise<UpsertResult<Key>>;
  /**
   * Creates or updates many rows in one call (`upsert_<entity>_many`), strict
   * about absent and null fields (see docs/reference/library.md). Runs in the rows' home
   * region when they all share one.
   */
  upsertMany(rows: readonly Row[], options?: CallOptions<RegionName>): Promise<UpsertResult<Key>[]>;
  /** The whole row by key (`get_<entity>`), or undefined. */
  get(key: Key, options?: CallOptions<RegionName>): Promise<Row | undefined>;
  /** Moves the personal row to `newRegion` (`rehome_<entity>`); false when it already lives there. */
  rehome(key: Key, newRegion: RegionName, options?: CallOptions<RegionName>): Promise<boolean>;
  /** Erases the row everywhere (`erase_<entity>`); false when there was nothing to erase. */
  erase(key: Key, options?: CallOptions<RegionName>): Promise<boolean>;
  /**
   * The rows of many keys in one call (`get_<entity>_many`): every owner is
   * asked at once, each for its own keys only. Each key found once, in the
   * order given; a key not found is left out. Runs in the default region
   * unless `options.region` says otherwise (any region answers the same).
   */
  getMany(keys: readonly Key[], options?: CallOptions<RegionName>): Promise<Row[]>;
  /**
   * How many rows each region owns (`count_<entity>_by_region`), counted by
   * each owner in parallel, optionally filtered (personal columns too): only
   * the counts leave a region. Every region of the fleet is in the result.
   */
  countByRegion(filter?: ReadFilter, options?: CallOptions<RegionName>): Promise<Record<RegionName, number>>;
  /**
   * A page of rows whose directory row matches `filter` (key, region and
   * mirrored columns), in key order after `options.after` (`find_<entity>`):
   * the filter runs on the directory of the region called, the page's
   * personal columns come from their owners only. The next page: `after` =
   * the last row's key; an empty page is the end.
   */
  find(filter?: ReadFilter, options?: FindOptions<Key, RegionName>): Promise<Row[]>;
}

/** A comparison of a read's filter: `{ '>=': 'M' }`; several operators are all required. */
export type FilterComparison = Readonly<Partial<Record<'=' | '<>' | '<' | '<=' | '>' | '>=', unknown>>>;

/**
 * A read's filter: `{ column: value }` (equality; `null` is IS NULL) or
 * `{ column: { op: value, ... } }`, op one of = <> < <= > >=, every
 * condition required. `find` filters on the directory's columns (key, region,
 * mirrored), `countByRegion` on the personal ones too (counted by each owner).
 */
export type ReadFilter = Readonly<Record<string, unknown>>;

/** Options of `find`: where it runs, the page size (1 to 10,000, default 100) and the last key of the previous page. */
export interface FindOptions<Key = unknown, RegionName extends string = string> extends CallOptions<RegionName> {
  readonly pageSize?: number;
  readonly after?: Key;
}

/** How an entity client reaches the fleet: provided by connectFleet. */
export interface FleetAccess {
  readonly regions: readonly string[];
  readonly defaultRegion: string;
  readonly homes: HomeCache;
  /** Runs one statement in a region, turning failures into FleetCallError or a CONNECTION error. */
  query<T extends pg.QueryResultRow>(region: string, fn: string, sql: string, params: unknown[]): Promise<T[]>;
}

interface ResultRow extends pg.QueryResultRow {
  readonly created: boolean;
  readonly owned_here: boolean;
}

/** The client of one configured entity. */
export function entityClient<Row extends object>(entity: Entity, fleet: FleetAccess): EntityClient<Row> {
  const names = derivedNames(entity.name);
  const fn = (name: string) => qualified(entity.schema, name);
  const label = `${entity.schema}.${entity.name}`;
  const key = entity.key.name;
  const regionColumn = entity.regionColumn;
  // upsert_<entity>'s newest overload: (key, resident..., region, mirrored...)
  const params = [key, ...entity.resident.map((c) => c.name), regionColumn, ...entity.mirrored.map((c) => c.name)];
  const columns = new Set(params);
  const types = new Map<string, string>(
    [entity.key, { name: regionColumn, type: 'text' }, ...entity.resident, ...entity.mirrored].map((c) => [c.name, c.type]),
  );
  // one row's fields as a JSON object built by the server from typed parameters
  // (each value converted by its column's type there, as a call of upsert_<entity> would)
  const upsertOne = (given: readonly string[]) =>
    `SELECT * FROM ${fn(names.upsertMany)}(jsonb_build_array(jsonb_build_object(${given
      .map((c, i) => `${literal(c)}, $${i + 1}::${types.get(c)!}`)
      .join(', ')})))`;

  const homeOf = (row: object): string | undefined => {
    const region = (row as EntityRow)[regionColumn];
    return typeof region === 'string' && fleet.regions.includes(region) ? region : undefined;
  };
  const where = (options: CallOptions | undefined, home: string | undefined) => options?.region ?? home ?? fleet.defaultRegion;
  const refuseUnknown = (row: object, region: string, called: string): void => {
    const unknown = Object.keys(row).filter((field) => !columns.has(field));
    if (unknown.length > 0) {
      const message = `${label}: unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((f) => `"${f}"`).join(', ')}; the columns are ${params.map((c) => `"${c}"`).join(', ')}`;
      throw new FleetCallError(region, called, 'RS008', message, undefined);
    }
  };
  // a row read names its home region: later calls for its key run there
  const rememberHome = (row: pg.QueryResultRow): void => {
    const home = homeOf(row);
    if (home !== undefined) fleet.homes.set(label, row[key], home);
  };
  const result = (row: ResultRow): UpsertResult<never> => ({ key: row[key] as never, created: row.created, ownedHere: row.owned_here });

  return {
    entity: label,
    keyColumn: key,
    regionColumn,
    async upsert(row, options) {
      const region = where(options, homeOf(row));
      refuseUnknown(row, region, fn(names.upsertMany));
      // only the fields given, in the columns' order (undefined is left out, as JSON.stringify does)
      const given = params.filter((c) => (row as EntityRow)[c] !== undefined);
      const [out] = await fleet.query<ResultRow>(
        region,
        fn(names.upsertMany),
        upsertOne(given),
        given.map((c) => (row as EntityRow)[c]),
      );
      const home = homeOf(row);
      if (home !== undefined) fleet.homes.set(label, out![key], home);
      return result(out!);
    },
    async upsertMany(rows, options) {
      // an empty batch writes nothing: no region is contacted
      if (rows.length === 0) return [];
      const homes = new Set(rows.map(homeOf));
      const [shared] = homes;
      const region = where(options, homes.size === 1 ? shared : undefined);
      for (const row of rows) refuseUnknown(row, region, fn(names.upsertMany));
      const out = await fleet.query<ResultRow>(region, fn(names.upsertMany), `SELECT * FROM ${fn(names.upsertMany)}($1::jsonb)`, [
        JSON.stringify(rows),
      ]);
      // one result per row, in the rows' order
      for (const [i, row] of rows.entries()) {
        const home = homeOf(row);
        if (home !== undefined && out[i] !== undefined) fleet.homes.set(label, out[i][key], home);
      }
      return out.map(result);
    },
    async get(k, options) {
      const region = where(options, fleet.homes.get(label, k));
      const [row] = await fleet.query<pg.QueryResultRow>(region, fn(names.get), `SELECT * FROM ${fn(names.get)}($1)`, [k]);
      if (row === undefined) return undefined;
      const home = homeOf(row);
      if (home !== undefined) fleet.homes.set(label, k, home);
      return row as Row;
    },
    async rehome(k, newRegion, options) {
      const region = where(options, fleet.homes.get(label, k));
      const [row] = await fleet.query<{ moved: boolean }>(region, fn(names.rehome), `SELECT ${fn(names.rehome)}($1, $2) AS moved`, [
        k,
        newRegion,
      ]);
      fleet.homes.set(label, k, newRegion);
      return row!.moved;
    },
    async erase(k, options) {
      const region = where(options, fleet.homes.get(label, k));
      const [row] = await fleet.query<{ erased: boolean }>(region, fn(names.erase), `SELECT ${fn(names.erase)}($1) AS erased`, [k]);
      fleet.homes.delete(label, k);
      return row!.erased;
    },
    async getMany(keys, options) {
      // no key, no call: no region is contacted
      if (keys.length === 0) return [];
      const region = where(options, undefined);
      const rows = await fleet.query<pg.QueryResultRow>(
        region,
        fn(names.getMany),
        `SELECT * FROM ${fn(names.getMany)}($1::${types.get(key)!}[])`,
        [keys],
      );
      for (const row of rows) rememberHome(row);
      return rows as Row[];
    },
    async countByRegion(filter, options) {
      const region = where(options, undefined);
      const rows = await fleet.query<{ region: string; count: string }>(
        region,
        fn(names.countByRegion),
        `SELECT region, count FROM ${fn(names.countByRegion)}($1::jsonb)`,
        [JSON.stringify(filter ?? {})],
      );
      // (bigint arrives as text; a region's count fits a double exactly below 2^53)
      return Object.fromEntries(rows.map((r) => [r.region, Number(r.count)]));
    },
    async find(filter, options) {
      const region = where(options, undefined);
      const rows = await fleet.query<pg.QueryResultRow>(
        region,
        fn(names.find),
        `SELECT * FROM ${fn(names.find)}($1::jsonb, $2::integer, $3::${types.get(key)!})`,
        [JSON.stringify(filter ?? {}), options?.pageSize ?? 100, options?.after ?? null],
      );
      for (const row of rows) rememberHome(row);
      return rows as Row[];
    },
  };
}
