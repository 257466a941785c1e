// The adopt suite (issue 23), run by `npm run bench` and alone by `npm run bench:adopt`:
// pg-residency adopt of N people from a source database into a mixed fleet
// (usa on 10, gbr on 11, aus on 18; the source is a database on aus's server,
// so the source and the regions share this machine's cores), beside a plain
// COPY of the same rows from the source into one table on one server (usa),
// then the cut-over pass after 1% of the source rows changed, and a pass
// with nothing changed. Every adopt run includes its verification (each
// range hashed again in every region after its write) and doctor's preflight.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { adoptEntity, type AdoptReport } from '../src/adopt/adoptEntity.js';
import { MIXED_FLEET, startScratchFleet } from '../test/helpers/scratchFleet.js';
import { machineInfo } from './machineInfo.js';

/** What the adopt suite runs: `rows` source people, adopt's `--batch`. */
export interface AdoptBenchOptions {
  readonly rows: number;
  readonly batch: number;
  readonly onProgress: (text: string) => void;
}

/**
 * Runs the adopt suite on a scratch mixed fleet and returns its table
 * (markdown): the plain COPY floor, the first run, the two 1%-changed passes
 * and a pass with nothing changed, each verified.
 */
export async function benchAdopt(options: AdoptBenchOptions): Promise<string> {
  const { rows, batch } = options;
  const machine = machineInfo();
  const fleet = await startScratchFleet({ regions: MIXED_FLEET, unsafeFast: true });
  const log = options.onProgress;
  const client = async (region: string, database: string) => {
    const c = new pg.Client({ host: '127.0.0.1', port: fleet.ports[region], user: 'postgres', database, password: fleet.env.PGPASSWORD });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const QUERY = `SELECT id AS uuid, CASE country WHEN 'GB' THEN 'gbr' WHEN 'AU' THEN 'aus' ELSE 'usa' END AS region,
    note, created AS created_on, full_name AS name FROM people`;
  // the same with the column --changed-since names (compared, not copied)
  const QUERY_SINCE = QUERY.replace('full_name AS name FROM', 'full_name AS name, changed FROM');
  try {
    await fleet.query('aus', 'CREATE DATABASE legacy');
    const source = await client('aus', 'legacy');
    const t0 = performance.now();
    await source.query(
      `CREATE TABLE people (n int NOT NULL, id uuid PRIMARY KEY, country text, note text, created timestamptz NOT NULL, full_name text,
         changed timestamptz NOT NULL)`,
    );
    await source.query(
      `INSERT INTO people SELECT i, md5('p' || i)::uuid, (ARRAY['GB', 'AU', 'US'])[i % 3 + 1], 'note ' || i,
         timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second', 'Person ' || i,
         timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second' FROM generate_series(1, ${rows}) i`,
    );
    await source.query('CREATE INDEX ON people (changed)');
    await source.query('VACUUM ANALYZE people');
    log(`${rows.toLocaleString('en')} source rows written in ${Math.round(performance.now() - t0)} ms`);

    // the floor: the same rows (cast and ordered as adopt reads them), COPYed into one table on one server
    const usa = await client('usa', 'residency');
    await usa.query(
      `CREATE TABLE bench_copy (uuid uuid PRIMARY KEY, region text NOT NULL, note text, created_on timestamptz NOT NULL, name text)`,
    );
    const c0 = performance.now();
    await pipeline(
      source.query(
        copyTo(`COPY (SELECT uuid, region, note, created_on, name FROM (${QUERY}) q ORDER BY uuid) TO STDOUT`),
      ) as unknown as Readable,
      usa.query(copyFrom('COPY bench_copy FROM STDIN')),
    );
    const copyMs = performance.now() - c0;
    log(`plain COPY: ${Math.round(copyMs)} ms`);
    await usa.end();

    const adopt = async (
      label: string,
      changedSince?: string,
    ): Promise<{ label: string; ms: number; report: AdoptReport; rss: number }> => {
      const a0 = performance.now();
      let rss = process.memoryUsage().rss;
      const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 100);
      const report = await adoptEntity({
        config: fleet.config,
        env: fleet.env,
        entity: 'shared.identity',
        from: `postgres://postgres@127.0.0.1:${fleet.ports.aus}/legacy`,
        query: changedSince === undefined ? QUERY : QUERY_SINCE,
        batch,
        changedSince,
        onProgress: (p) => log(`${label}: ${p.rows.toLocaleString('en')} rows`),
        progressEveryMs: 5000,
      });
      const ms = performance.now() - a0;
      clearInterval(sampler);
      if (!report.ok) throw new Error(`${label}: adopt did not end ok: ${JSON.stringify({ ...report, regions: undefined })}`);
      log(`${label}: ${Math.round(ms)} ms; source wait ${report.sourceMs} ms, batching ${report.batchMs} ms`);
      for (const r of report.regions) log(`  ${r.region}: busy ${r.ms} ms ${JSON.stringify(r.phases)}`);
      return { label, ms, report, rss };
    };
    // 1% of the rows changed at random places (every range touched), found by the column (--changed-since), then by hashes
    const first = await adopt('first run', 'changed');
    await source.query(`UPDATE people SET note = note || ' (changed)', changed = now() WHERE n % 100 = 0`);
    await source.query('VACUUM ANALYZE people');
    const bySince = await adopt('1% changed, --changed-since changed', 'changed');
    await source.query(`UPDATE people SET note = note || ' (changed)', changed = now() WHERE n % 100 = 1`);
    await source.query('VACUUM ANALYZE people');
    const byHash = await adopt('1% changed, by hashes (no column)');
    const again = await adopt('nothing changed, by hashes');
    await source.end();

    const rate = (ms: number) => Math.round((rows * 1000) / ms).toLocaleString('en');
    const written = (r: AdoptReport) => r.regions.reduce((n, s) => n + s.directoryRows + s.personalRows, 0).toLocaleString('en');
    return [
      `adopt bench: ${rows.toLocaleString('en')} people, --batch ${batch}; ${machine.cores} cores (${machine.cpuModel}), load ${machine.load} at start, node ${machine.node}`,
      '',
      '| run | wall time | rows/s (source rows) | rows written (directory + personal, all regions) | × plain COPY | peak RSS of the process |',
      '| --- | --- | --- | --- | --- | --- |',
      `| plain COPY into one table on one server (usa) | ${(copyMs / 1000).toFixed(2)} s | ${rate(copyMs)} | ${rows.toLocaleString('en')} | 1.00x | |`,
      ...[first, bySince, byHash, again].map(
        (r) =>
          `| adopt, ${r.label} (verified) | ${(r.ms / 1000).toFixed(2)} s | ${rate(r.ms)} | ${written(r.report)} | ${(r.ms / copyMs).toFixed(2)}x | ${Math.round(r.rss / 2 ** 20)} MiB |`,
      ),
      '',
      `adopt's first run took ${(first.ms / copyMs).toFixed(2)}x the plain COPY; load ${machineInfo().load} at the end.`,
      '',
    ].join('\n');
  } finally {
    await fleet.stop();
  }
}
