import { performance } from 'node:perf_hooks';
import type { Env } from '../config/expandEnv.js';
import { derivedNames } from '../config/derivedNames.js';
import type { Config, Entity } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { ident, qualified } from '../sql/quote.js';
import type { RepairAction } from './classifyKey.js';
import type { Finding } from './finding.js';
import { openSession, type RegionSession } from './regionSession.js';
import { auditRows } from './rowAudit.js';

/** One change repair made (or, with dryRun, would make). */
export interface RepairChange {
  readonly entity: string;
  readonly key: string;
  readonly action: RepairAction['kind'];
  /** The region changed. */
  readonly region: string;
  /** For a copy or a move: the region whose stored row was the truth. */
  readonly from?: string;
  /** Rows the change wrote or deleted (0: someone else fixed it meanwhile). */
  readonly rows: number;
}

/** The result of {@link repairFleet}. */
export interface RepairReport {
  /** False when a row problem remains that repair does not fix (see `unrepaired`), or a region failed. */
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly changes: readonly RepairChange[];
  /** Row findings repair leaves to a person (no owner to choose, no personal row to invent). */
  readonly unrepaired: readonly Finding[];
  readonly elapsedMs: number;
}

/** How far repair got, for progress lines: each region connected, each entity audited, each entity done. */
export type RepairProgress =
  | { readonly kind: 'connected'; readonly region: string; readonly ms: number }
  | { readonly kind: 'audited'; readonly entity: string; readonly keys: number; readonly unrepaired: number; readonly ms: number }
  | { readonly kind: 'repaired'; readonly entity: string; readonly changesByRegion: Readonly<Record<string, number>>; readonly ms: number };

export interface RepairOptions {
  /** Report what would change, change nothing. */
  readonly dryRun?: boolean;
  /** Called as repair goes (see RepairProgress). */
  readonly onProgress?: (event: RepairProgress) => void;
}

const directory = (e: Entity) => qualified(e.schema, e.name);
const leaf = (e: Entity, region: string) => qualified(region, derivedNames(e.name).details);

/**
 * Converges the rows of every region from what they store: each key's owner
 * (the region that holds its personal row and whose own directory names it)
 * is the truth. Copies the owner's directory row where one is missing or
 * differs, deletes personal rows outside a confirmed owner, completes an
 * interrupted rehome (the row is copied into its recorded owner, then
 * deleted where it was: the only personal value repair ever moves, and only
 * into its recorded owner), and removes directory rows of keys that no
 * region holds a personal row of, when no outbox queues them. Directory rows
 * travel through this process as rows of non-personal columns. A second run
 * changes nothing. Needs every region.
 */
export async function repairFleet(config: Config, env: Env, options: RepairOptions = {}): Promise<RepairReport> {
  const started = performance.now();
  const sessions = new Map<string, RegionSession>();
  try {
    const ms = () => Math.round(performance.now() - started);
    const opened = await Promise.all(
      config.regions.map(async (r) => {
        const session = await openSession(r, env, { readOnly: false });
        options.onProgress?.({ kind: 'connected', region: r.name, ms: ms() });
        return session;
      }),
    );
    for (const s of opened) sessions.set(s.region.name, s);
    const rows = await auditRows(config, sessions);
    const changes: RepairChange[] = [];
    const unrepaired: Finding[] = [];
    for (const e of rows) {
      const entity = config.entities.find((x) => `${x.schema}.${x.name}` === e.entity)!;
      const repaired = new Set(e.repairs.map((r) => r.key));
      const left = e.findings.filter((f) => f.key === undefined || !repaired.has(f.key));
      unrepaired.push(...left);
      options.onProgress?.({ kind: 'audited', entity: e.entity, keys: e.repairs.length, unrepaired: left.length, ms: ms() });
      const changesByRegion: Record<string, number> = {};
      for (const { key, actions } of e.repairs) {
        for (const action of actions) {
          const rowsChanged = options.dryRun ? 0 : await apply(entity, key, action, sessions);
          changes.push({
            entity: e.entity,
            key,
            action: action.kind,
            region: 'to' in action ? action.to : action.region,
            ...('from' in action ? { from: action.from } : {}),
            rows: rowsChanged,
          });
          const region = 'to' in action ? action.to : action.region;
          changesByRegion[region] = (changesByRegion[region] ?? 0) + 1;
        }
      }
      if (e.repairs.length > 0) options.onProgress?.({ kind: 'repaired', entity: e.entity, changesByRegion, ms: ms() });
    }
    return {
      ok: unrepaired.length === 0,
      dryRun: options.dryRun === true,
      changes,
      unrepaired,
      elapsedMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (error instanceof ResidencyError) throw error;
    throw new ResidencyError(
      'MIGRATION',
      `repair failed: ${(error as Error).message}; nothing after the failing change was done, run it again`,
      { cause: error },
    );
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.end()));
  }
}

async function apply(e: Entity, key: string, action: RepairAction, sessions: ReadonlyMap<string, RegionSession>): Promise<number> {
  const k = ident(e.key.name);
  const keyParam = `$1::text::${e.key.type}`;
  const at = (region: string) => sessions.get(region)!;
  switch (action.kind) {
    case 'copy-directory': {
      const [row] = await at(action.from).query<{ row: unknown }>(
        `SELECT to_jsonb(m) AS row FROM ONLY ${directory(e)} m WHERE m.${k} = ${keyParam}`,
        [key],
      );
      if (row === undefined) return 0;
      const columns = [e.key.name, e.regionColumn, ...e.mirrored.map((c) => c.name)].map(ident);
      const set = columns
        .slice(1)
        .map((c) => `${c} = EXCLUDED.${c}`)
        .join(', ');
      const done = await at(action.to).client.query(
        `INSERT INTO ${directory(e)} (${columns.join(', ')})
           SELECT ${columns.map((c) => `r.${c}`).join(', ')} FROM jsonb_populate_record(NULL::${directory(e)}, $1::jsonb) r
         ON CONFLICT (${k}) DO UPDATE SET ${set}`,
        [JSON.stringify(row.row)],
      );
      return done.rowCount ?? 0;
    }
    case 'move-personal': {
      // copied into the recorded owner first, deleted where it was after: never in no region
      const [row] = await at(action.from).query<{ row: Record<string, unknown> }>(
        `SELECT to_jsonb(d) AS row FROM ONLY ${leaf(e, action.from)} d WHERE d.${k} = ${keyParam}`,
        [key],
      );
      if (row === undefined) return 0;
      const columns = [e.key.name, e.regionColumn, ...e.resident.map((c) => c.name)].map(ident);
      const inserted = await at(action.to).client.query(
        `INSERT INTO ${leaf(e, action.to)} (${columns.join(', ')})
           SELECT ${columns.map((c) => `r.${c}`).join(', ')} FROM jsonb_populate_record(NULL::${leaf(e, action.to)}, $1::jsonb) r
         ON CONFLICT (${k}) DO NOTHING`,
        [JSON.stringify({ ...row.row, [e.regionColumn]: action.to })],
      );
      const deleted = await at(action.from).client.query(`DELETE FROM ONLY ${leaf(e, action.from)} d WHERE d.${k} = ${keyParam}`, [key]);
      return (inserted.rowCount ?? 0) + (deleted.rowCount ?? 0);
    }
    case 'delete-personal':
      return (
        (await at(action.region).client.query(`DELETE FROM ONLY ${leaf(e, action.region)} d WHERE d.${k} = ${keyParam}`, [key])).rowCount ??
        0
      );
    case 'delete-directory':
      return (await at(action.region).client.query(`DELETE FROM ONLY ${directory(e)} m WHERE m.${k} = ${keyParam}`, [key])).rowCount ?? 0;
  }
}
