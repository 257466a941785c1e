import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { qualified } from '../sql/quote.js';
import type { Config, Entity } from '../config/types.js';
import { classifyKey, type KeyInRegion, type RepairAction } from './classifyKey.js';
import { finding, type Finding } from './finding.js';
import type { RegionSession } from './regionSession.js';
import { drillDownSql, keyStateSql, rowAuditStatements } from './rowQueries.js';

/** What the row audit found for one entity. */
export interface EntityRows {
  /** `schema.name` */
  readonly entity: string;
  /** Directory rows per region, personal rows per region. */
  readonly directoryRows: Readonly<Record<string, number>>;
  readonly personalRows: Readonly<Record<string, number>>;
  /** Buckets whose aggregates differed between regions (out of 256). */
  readonly bucketsDiffering: number;
  readonly findings: readonly Finding[];
  /** What repair would do, per key. */
  readonly repairs: readonly { readonly key: string; readonly actions: readonly RepairAction[] }[];
}

type Bucket = { n: number; agg: string };

/**
 * Compares every region's rows of every entity, set-based: per region one
 * round trip for bucket aggregates and its local checks, then, only for
 * buckets that differ, the keys and hashes in them, then, only for keys that
 * look wrong, what each region stores about them.
 */
export async function auditRows(config: Config, sessions: ReadonlyMap<string, RegionSession>): Promise<EntityRows[]> {
  const regions = [...sessions.keys()];
  const allRead = regions.length === config.regions.length;
  /** Read once, and only when some key looks wrong. */
  let decided: readonly string[] | undefined;
  const perRegion = new Map<string, Awaited<ReturnType<RegionSession['batch']>>>();
  await Promise.all(
    [...sessions].map(async ([region, s]) => {
      perRegion.set(region, await s.batch(config.entities.flatMap((e) => rowAuditStatements(e, region))));
    }),
  );
  const out: EntityRows[] = [];
  for (const [i, entity] of config.entities.entries()) {
    const label = `${entity.schema}.${entity.name}`;
    const buckets = new Map<string, Map<number, Bucket>>();
    const suspicious = new Set<string>();
    const wrong: Finding[] = [];
    const directoryRows: Record<string, number> = {};
    const personalRows: Record<string, number> = {};
    for (const region of regions) {
      const results = perRegion.get(region)!.slice(i * 5, i * 5 + 5);
      const [b, wrongRegion, outside, missing, count] = results as [
        { b: number; n: number; agg: string }[],
        { key: string }[],
        { key: string }[],
        { key: string }[],
        { n: number }[],
      ];
      buckets.set(region, new Map(b.map((r) => [r.b, { n: r.n, agg: r.agg }])));
      directoryRows[region] = b.reduce((n, r) => n + r.n, 0);
      personalRows[region] = count[0]?.n ?? 0;
      for (const r of [...wrongRegion, ...outside, ...missing]) suspicious.add(r.key);
      for (const r of wrongRegion)
        wrong.push(
          finding(
            'RV103',
            region,
            `${label} ${r.key}`,
            `a row of the local leaf of "${region}" carries another region's value (its CHECK was bypassed)`,
            `delete or rehome the row by hand, then restore the leaf's CHECK ("${entity.regionColumn}" = '${region}')`,
            r.key,
          ),
        );
    }
    const differing: number[] = [];
    for (let bucket = 0; bucket < 256; bucket++) {
      const seen = new Set(regions.map((r) => JSON.stringify(buckets.get(r)!.get(bucket) ?? null)));
      if (seen.size > 1) differing.push(bucket);
    }
    if (differing.length > 0) {
      const hashes = new Map<string, Map<string, string>>();
      await Promise.all(
        [...sessions].map(async ([region, s]) => {
          const rows = await s.query<{ key: string; hash: string }>(drillDownSql(entity), [differing]);
          hashes.set(region, new Map(rows.map((r) => [r.key, r.hash])));
        }),
      );
      const keys = new Set([...hashes.values()].flatMap((m) => [...m.keys()]));
      for (const key of keys) if (new Set(regions.map((r) => hashes.get(r)!.get(key) ?? null)).size > 1) suspicious.add(key);
    }
    decided ??= await decidedPrepared(sessions);
    const verdict = await judge(entity, label, [...suspicious].sort(), sessions, allRead, decided);
    out.push({
      entity: label,
      directoryRows,
      personalRows,
      bucketsDiffering: differing.length,
      findings: [...wrong, ...verdict.findings],
      repairs: verdict.repairs,
    });
  }
  return out;
}

async function judge(
  entity: Entity,
  label: string,
  keys: readonly string[],
  sessions: ReadonlyMap<string, RegionSession>,
  allRead: boolean,
  decided: readonly string[],
): Promise<Pick<EntityRows, 'findings' | 'repairs'>> {
  if (keys.length === 0) return { findings: [], repairs: [] };
  const states = new Map<string, Map<string, KeyInRegion>>(keys.map((k) => [k, new Map()]));
  const fetched = await Promise.all(
    [...sessions].map(async ([region, s]) => ({
      region,
      rows: await s.query<{ key: string; owner: string | null; hash: string; leaf: boolean; queued: boolean }>(
        keyStateSql(entity, region),
        [keys],
      ),
    })),
  );
  for (const { region, rows } of fetched) {
    for (const r of rows) {
      states
        .get(r.key)
        ?.set(
          region,
          r.owner === null ? { leaf: r.leaf, queued: r.queued } : { owner: r.owner, hash: r.hash, leaf: r.leaf, queued: r.queued },
        );
    }
  }
  const findings: Finding[] = [];
  const repairs: { key: string; actions: RepairAction[] }[] = [];
  for (const key of keys) {
    const verdict = classifyKey(label, key, states.get(key)!, allRead, decided);
    findings.push(...verdict.findings);
    if (verdict.actions.length > 0) repairs.push({ key, actions: verdict.actions });
  }
  return { findings, repairs };
}

/** `pg-residency:<coordinator>:<txid>:<random>` to its coordinator (a region name may hold a colon). */
export function gidCoordinator(gid: string): string | undefined {
  const parts = gid.split(':');
  return parts.length >= 4 && parts[0] === 'pg-residency' ? parts.slice(1, -2).join(':') : undefined;
}

/**
 * The gids of two-phase writes prepared in some region whose coordinator holds
 * their commit record: decided, committed by `pg-residency resolve`. Their rows
 * are invisible until then, so the keys they touch must not be judged orphans.
 */
export async function decidedPrepared(sessions: ReadonlyMap<string, RegionSession>): Promise<string[]> {
  const prepared = (
    await Promise.all(
      [...sessions.values()].map((s) =>
        s.query<{ gid: string }>(
          "SELECT gid FROM pg_catalog.pg_prepared_xacts WHERE database = current_database() AND gid LIKE 'pg-residency:%'",
        ),
      ),
    )
  ).flatMap((rows) => rows.map((r) => r.gid));
  const byCoordinator = new Map<string, Set<string>>();
  for (const gid of prepared) {
    const coordinator = gidCoordinator(gid);
    if (coordinator === undefined) continue;
    byCoordinator.set(coordinator, (byCoordinator.get(coordinator) ?? new Set()).add(gid));
  }
  const decided = await Promise.all(
    [...byCoordinator].map(async ([coordinator, gids]) => {
      const session = sessions.get(coordinator);
      if (session === undefined) return [];
      const rows = await session.query<{ gid: string }>(
        `SELECT gid FROM ${qualified(REGISTRY_SCHEMA, 'commit_records')} WHERE gid = ANY($1::text[])`,
        [[...gids]],
      );
      return rows.map((r) => r.gid);
    }),
  );
  return decided.flat().sort();
}
