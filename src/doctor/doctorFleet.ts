import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Config, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { connectRegion, regionError } from '../migrate/connect.js';
import { selectRegions } from '../migrate/migrateFleet.js';
import type { DoctorFinding } from './doctorFinding.js';
import { doctorRules } from './doctorRules.js';
import { readDoctorSnapshot } from './readDoctorSnapshot.js';
import { readPoolerProbe } from './readPoolerProbe.js';

export type { DoctorFinding } from './doctorFinding.js';

/** What doctor found in one region. */
export interface RegionDoctor {
  readonly region: string;
  /** Errors first, then warnings; empty when the region is ready. */
  readonly findings: readonly DoctorFinding[];
  /** Why the region could not be checked at all (unreachable, no answer in time): nothing else is said about it then. */
  readonly error?: ResidencyError;
}

/** The result of {@link doctorFleet}. */
export interface DoctorReport {
  /** False when a region has an error-level finding or could not be checked: migrate, writes or verify would fail. */
  readonly ok: boolean;
  readonly regions: readonly RegionDoctor[];
}

/** Options of {@link doctorFleet}. */
export interface DoctorOptions {
  /** Regions to check; default all. */
  readonly regions?: readonly string[];
  /** How long one region may take, connecting included; default 20 s. A region that does not answer in time is reported, not waited on. */
  readonly timeoutMs?: number;
  /** Called as each region is done. */
  readonly onRegion?: (region: RegionDoctor) => void;
}

async function checkRegion(
  config: Config,
  region: Region,
  env: Env,
  envSet: ReadonlySet<string>,
  timeoutMs: number,
): Promise<RegionDoctor> {
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const work = (async () => {
    client = await connectRegion(region, env, { purpose: 'doctor', connectTimeoutMs: timeoutMs });
    if (late) throw new Error('connected after the deadline');
    // statement_timeout bounds each statement (a link probe's connect has its own connect_timeout)
    await client.query(`SET statement_timeout = ${Math.max(1000, Math.floor(timeoutMs / 2))}; BEGIN TRANSACTION READ ONLY`);
    const read = await readDoctorSnapshot(client, config, region);
    await client.query('ROLLBACK');
    const pooler = await readPoolerProbe(config, region, env, Math.max(1000, Math.floor(timeoutMs / 4)));
    const snapshot = pooler === undefined ? read : { ...read, pooler };
    return { region: region.name, findings: doctorRules({ config, region, snapshot, envSet }) };
  })().finally(() => client?.end().catch(() => undefined));
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ResidencyError(
            'CONNECTION',
            `region "${region.name}": no answer within ${timeoutMs / 1000} s; is the server up and reachable at its url in regions.yaml?`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    // a hung server is not waited on: its socket is closed now (or as soon as it connects), not drained
    late = true;
    work.catch(() => undefined);
    void client?.end().catch(() => undefined);
    return { region: region.name, findings: [], error: regionError(region.name, error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The preflight: for each region, everything migrate, the writes and verify
 * need, read in one READ ONLY transaction (reachability and TLS of the CLI's
 * connection, the server's version, the migrator's rights, extensions with
 * their schemas and grants, max_prepared_transactions, each link's TLS files
 * and login, log settings that would write personal values, the link
 * password's variable), each finding with the SQL or setting that fixes it.
 * Regions are checked in parallel, each bounded by `timeoutMs`.
 *
 * @example
 * const report = await doctorFleet(config, process.env);
 * for (const r of report.regions) for (const f of r.findings) console.log(r.region, f.id, f.fix);
 */
export async function doctorFleet(config: Config, env: Env, options: DoctorOptions = {}): Promise<DoctorReport> {
  const selected =
    options.regions === undefined || options.regions.length === 0 ? [...config.regions] : selectRegions(config, options.regions, false);
  const envSet = new Set(Object.entries(env).flatMap(([name, value]) => (value === undefined || value === '' ? [] : [name])));
  const regions = await Promise.all(
    selected.map(async (region) => {
      const result = await checkRegion(config, region, env, envSet, options.timeoutMs ?? 20_000);
      options.onRegion?.(result);
      return result;
    }),
  );
  return {
    ok: regions.every((r) => r.error === undefined && r.findings.every((f) => f.level !== 'error')),
    regions,
  };
}
