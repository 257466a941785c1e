import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import { derivedNames } from '../config/derivedNames.js';
import type { Config, Entity, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { connectRegion } from '../migrate/connect.js';
import { ident, qualified } from '../sql/quote.js';

export interface Inconsistency {
  readonly entity: string;
  readonly key: string;
  /** What is wrong, naming the regions involved and the fix. */
  readonly problem: string;
}

export interface VerifyResult {
  /** What was read from each region, in regions.yaml order. */
  readonly regions: readonly RegionRead[];
  /** Regions that could not be reached or read: nothing is said about them. */
  readonly unreachable: readonly ResidencyError[];
  readonly inconsistencies: readonly Inconsistency[];
  /** Directory rows compared, per entity. */
  readonly checked: Readonly<Record<string, number>>;
}

interface RegionSnapshot {
  /** key -> owner region and a hash of the directory row. */
  readonly directory: Map<string, { region: string; hash: string }>;
  /** Keys of the personal rows in this region's own leaf. */
  readonly leaf: Set<string>;
}

async function snapshot(client: pg.Client, entity: Entity, region: string): Promise<RegionSnapshot> {
  const names = derivedNames(entity.name);
  const columns = [entity.regionColumn, ...entity.mirrored.map((c) => c.name)].map((c) => `m.${ident(c)}`).join(', ');
  // Keys and hashes only: personal values never leave their region.
  const directory = await client.query<{ key: string; region: string; hash: string }>(
    `SELECT m.${ident(entity.key.name)}::text AS key, m.${ident(entity.regionColumn)} AS region, md5(row(${columns})::text) AS hash
       FROM ${qualified(entity.schema, entity.name)} m`,
  );
  const leaf = await client.query<{ key: string }>(
    `SELECT d.${ident(entity.key.name)}::text AS key FROM ONLY ${qualified(region, names.details)} d`,
  );
  return {
    directory: new Map(directory.rows.map((r) => [r.key, { region: r.region, hash: r.hash }])),
    leaf: new Set(leaf.rows.map((r) => r.key)),
  };
}

function compare(entity: Entity, snapshots: ReadonlyMap<string, RegionSnapshot>): Inconsistency[] {
  const label = `${entity.schema}.${entity.name}`;
  const out: Inconsistency[] = [];
  const keys = new Set<string>();
  for (const s of snapshots.values()) for (const key of [...s.directory.keys(), ...s.leaf]) keys.add(key);
  for (const key of [...keys].sort()) {
    const rows = [...snapshots].map(([region, s]) => ({ region, row: s.directory.get(key) }));
    const missing = rows.filter((r) => r.row === undefined).map((r) => r.region);
    const present = rows.filter((r) => r.row !== undefined);
    if (present.length > 0 && missing.length > 0) {
      out.push({
        entity: label,
        key,
        problem: `directory row missing in ${missing.map((r) => `"${r}"`).join(', ')}; upsert the key again from a region that has it, or run \`pg-residency sync\` if it was queued`,
      });
    } else if (new Set(present.map((r) => r.row!.hash)).size > 1) {
      out.push({
        entity: label,
        key,
        problem: `directory rows differ between ${present.map((r) => `"${r.region}"`).join(', ')}; upsert the key again to align them`,
      });
    }
    const owners = [...new Set(present.map((r) => r.row!.region))];
    const holders = [...snapshots].filter(([, s]) => s.leaf.has(key)).map(([region]) => region);
    for (const holder of holders) {
      if (present.length > 0 && !owners.includes(holder)) {
        out.push({
          entity: label,
          key,
          problem: `personal row stored in "${holder}", which does not own it (owner ${owners.map((o) => `"${o}"`).join(', ')}): a residency violation; rehome or erase the key`,
        });
      }
    }
    if (present.length === 0 && holders.length > 0) {
      out.push({
        entity: label,
        key,
        problem: `personal row in ${holders.map((h) => `"${h}"`).join(', ')} without any directory row; erase the key`,
      });
    }
    for (const owner of owners) {
      if (snapshots.has(owner) && !holders.includes(owner)) {
        out.push({ entity: label, key, problem: `no personal row in its owner "${owner}"; upsert the key again with its personal data` });
      }
    }
  }
  return out;
}

/** What verify read from one region, as it finishes. */
export interface RegionRead {
  readonly region: string;
  /** Directory rows read, over every entity. */
  readonly directoryRows: number;
  /** Personal rows in the region's own leaves (keys only), over every entity. */
  readonly personalRows: number;
  /** Why it could not be read: it is then left out of the comparison. */
  readonly error?: ResidencyError;
}

/** Options of {@link verifyFleet}. */
export interface VerifyOptions {
  /** Called as each region has been read, with how long it took. */
  readonly onRegion?: (read: RegionRead, elapsedMs: number) => void;
}

/** Every entity's snapshot in one region, or why it could not be read. */
async function readRegion(
  config: Config,
  region: Region,
  env: Env,
): Promise<{ snapshots?: Map<string, RegionSnapshot>; read: RegionRead }> {
  let client: pg.Client | undefined;
  try {
    client = await connectRegion(region, env, { purpose: 'verify' });
    const snapshots = new Map<string, RegionSnapshot>();
    for (const entity of config.entities) snapshots.set(`${entity.schema}.${entity.name}`, await snapshot(client, entity, region.name));
    const sum = (f: (s: RegionSnapshot) => number) => [...snapshots.values()].reduce((n, s) => n + f(s), 0);
    return {
      snapshots,
      read: { region: region.name, directoryRows: sum((s) => s.directory.size), personalRows: sum((s) => s.leaf.size) },
    };
  } catch (error) {
    // connectRegion's errors are CONNECTION already; a failing query is a region not (fully) migrated
    const sqlstate = (error as { code?: unknown }).code;
    const wrapped =
      error instanceof ResidencyError
        ? error
        : new ResidencyError(
            'MIGRATION',
            `region "${region.name}": ${(error as Error).message}${typeof sqlstate === 'string' ? ` [SQLSTATE ${sqlstate}]` : ''}; is it migrated? \`pg-residency migrate status --all\` tells`,
            { cause: error },
          );
    return { read: { region: region.name, directoryRows: 0, personalRows: 0, error: wrapped } };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/**
 * Compares every region's directory rows and personal leaves, as each region
 * stores them: a partly committed write (PostgreSQL has no two-phase commit
 * for postgres_fdw) shows up here. Reads keys and hashes only, every region at
 * once. Regions that cannot be reached are listed and left out of the comparison.
 */
export async function verifyFleet(config: Config, env: Env, options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const reads = await Promise.all(
    config.regions.map(async (region) => {
      const result = await readRegion(config, region, env);
      options.onRegion?.(result.read, performance.now() - started);
      return result;
    }),
  );
  const inconsistencies: Inconsistency[] = [];
  const checked: Record<string, number> = {};
  for (const entity of config.entities) {
    const label = `${entity.schema}.${entity.name}`;
    const snapshots = new Map<string, RegionSnapshot>();
    for (const { read, snapshots: s } of reads) if (s !== undefined) snapshots.set(read.region, s.get(label)!);
    checked[label] = Math.max(0, ...[...snapshots.values()].map((s) => s.directory.size));
    inconsistencies.push(...compare(entity, snapshots));
  }
  return {
    regions: reads.map((r) => r.read),
    unreachable: reads.flatMap((r) => (r.read.error ? [r.read.error] : [])),
    inconsistencies,
    checked,
  };
}
