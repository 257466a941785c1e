import type pg from 'pg';
import { measureOperation, type Measurement } from './measureOperation.js';
import type { Operation } from './operation.js';
import { startProxiedFleet } from './proxiedFleet.js';
import type { BenchRegion } from './proxiedFleet.js';
import { runtimeOperations, type RuntimePlan } from './runtimeOperations.js';

export interface RuntimeInput {
  readonly regions: readonly BenchRegion[];
  /** One-way delay of the proxies between regions. */
  readonly delayMs: number;
  readonly plan: RuntimePlan;
  /** Aborting stops after the current iteration; the fleet is stopped either way. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (text: string) => void;
}

export interface ServerInfo {
  readonly region: string;
  readonly version: string;
  readonly mode: string;
}

/** An operation that threw, with what PostgreSQL said. */
export interface OperationFailure {
  readonly operation: Operation;
  readonly message: string;
  /** SQLSTATE, detail, hint and context (the PL/pgSQL line), when PostgreSQL sent them. */
  readonly details: Readonly<Record<string, string>>;
}

export interface RuntimeResult {
  readonly delayMs: number;
  readonly servers: readonly ServerInfo[];
  readonly measurements: readonly Measurement[];
  readonly failures: readonly OperationFailure[];
}

function failure(operation: Operation, error: unknown): OperationFailure {
  const e = error as Partial<pg.DatabaseError> & Error;
  const details: Record<string, string> = {};
  for (const key of ['code', 'detail', 'hint', 'where', 'schema', 'table', 'column', 'constraint'] as const) {
    const value = e[key];
    if (typeof value === 'string' && value !== '') details[key] = value;
  }
  return { operation, message: e.message ?? String(error), details };
}

/**
 * Starts the proxied fleet, measures every runtime operation on it one after
 * another, and stops the fleet and its proxies, also when something fails. An
 * operation that throws is recorded as a failure and the next one runs.
 */
export async function benchRuntime(input: RuntimeInput): Promise<RuntimeResult> {
  const progress = input.onProgress ?? (() => undefined);
  progress(`starting ${input.regions.map((r) => `${r.name} (PostgreSQL ${r.postgres})`).join(', ')} with ${input.delayMs} ms proxies`);
  const fleet = await startProxiedFleet({ regions: input.regions, delayMs: input.delayMs });
  try {
    const regions = fleet.config.regions.map((r) => r.name);
    const clients: Record<string, pg.Client> = {};
    const servers: ServerInfo[] = [];
    for (const region of fleet.config.regions) {
      const client = await fleet.client(region.name);
      clients[region.name] = client;
      const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
      servers.push({ region: region.name, version, mode: region.mode });
    }
    const operations = runtimeOperations({ clients, connect: (r) => fleet.client(r), regions, plan: input.plan });
    const measurements: Measurement[] = [];
    const failures: OperationFailure[] = [];
    for (const operation of operations) {
      input.signal?.throwIfAborted();
      progress(`${operation.from}: ${operation.label}`);
      try {
        measurements.push(await measureOperation(fleet, operation, input.signal));
      } catch (error) {
        if (input.signal?.aborted) throw error;
        const f = failure(operation, error);
        failures.push(f);
        progress(`  failed: ${f.message}`);
      }
    }
    return { delayMs: input.delayMs, servers, measurements, failures };
  } finally {
    progress('stopping the fleet and the proxies');
    await fleet.stop();
  }
}
