// `node --import tsx bench/verify.ts [entities]`: the wall time and round trips
// of `verify --all` on a mixed fleet (10, 11, 18) holding 100,000 entities
// (default), clean and with one directory row broken. The rows are written
// directly as superuser, the same directory in every region and each personal
// row in its owner's leaf, which is what the functions leave behind.
import { performance } from 'node:perf_hooks';
import { verifyFleet } from '../src/verify/verifyFleet.js';
import { MIXED_FLEET, startScratchFleet } from '../test/helpers/scratchFleet.js';

const entities = Number(process.argv[2] ?? 100_000);
const fleet = await startScratchFleet({ regions: MIXED_FLEET, unsafeFast: true });
try {
  const regions = MIXED_FLEET.map((r) => r.name);
  const started = performance.now();
  await Promise.all(
    regions.map(async (region) => {
      const owner = regions.indexOf(region);
      await fleet.query(
        region,
        `INSERT INTO shared.identity (uuid, region, note, created_on)
           SELECT md5('k' || i)::uuid, (ARRAY['usa', 'gbr', 'aus'])[i % 3 + 1], 'note ' || i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
             FROM generate_series(1, ${entities}) i`,
      );
      await fleet.query(
        region,
        `INSERT INTO ${region}.identity_details (uuid, region, name)
           SELECT md5('k' || i)::uuid, '${region}', 'Person ' || i FROM generate_series(1, ${entities}) i WHERE i % 3 = ${owner}`,
      );
      await fleet.query(region, 'VACUUM ANALYZE shared.identity');
    }),
  );
  process.stderr.write(`bench: ${entities} entities written in ${Math.round(performance.now() - started)} ms\n`);
  const run = async (label: string) => {
    const t0 = performance.now();
    const report = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
    const ms = Math.round(performance.now() - t0);
    const trips = report.regions.map((r) => `${r.region} ${r.roundTrips}`).join(', ');
    process.stdout.write(
      `| ${label} | ${entities.toLocaleString('en')} | ${(ms / 1000).toFixed(2)} s | ${trips} | ${report.findings.map((f) => f.rule).join(', ') || 'none'} |\n`,
    );
  };
  process.stdout.write('| verify --all | entities | wall time | round trips per region | findings |\n| --- | --- | --- | --- | --- |\n');
  await run('clean, first run');
  await run('clean, again');
  await fleet.query('aus', "UPDATE shared.identity SET note = 'stale' WHERE uuid = md5('k7')::uuid");
  await fleet.query('gbr', "DELETE FROM shared.identity WHERE uuid = md5('k8')::uuid");
  await run('two broken directory rows');
} finally {
  await fleet.stop();
}
