// The waits of a write's and a read's waves, A/B on one fleet (issues 20, 21):
// on a proxied fleet (5 ms each way, usa on PostgreSQL 10), variant A's
// functions (CREATE OR REPLACE texts dumped from another checkout's fleet) and
// this checkout's (B) are installed in every region in turn, alternating
// round by round, and each round times single writes (upsert_identity of a
// new person, called in usa, its owner), get_identity_many of 100 keys spread
// over the fleet, called in usa, and the floor (one round trip to every other
// region in parallel), with the calling backend's CPU per call.
//   node --import tsx bench/waitsAB.ts dump <file>                 # this checkout's functions, for a later A
//   node --import tsx bench/waitsAB.ts <file> [regions] [rounds] [calls]
import { readFileSync, writeFileSync } from 'node:fs';
import type pg from 'pg';
import { ident } from '../src/sql/quote.js';
import { benchKey } from './benchReads.js';
import { identityCalls as call, newPerson } from './identityCalls.js';
import { median } from './median.js';
import { cpuMs } from './processCpu.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';

/** The functions whose waits differ between variants (the ones the fleet has are overwritten). */
const NAMES = ['wave', 'await', 'read_send', 'read_collect', 'read_wave'];

const dumpTo = process.argv[2] === 'dump' ? process.argv[3] : undefined;
const fileA = dumpTo === undefined ? process.argv[2] : undefined;
const count = Number(process.argv[3] ?? 3);
const rounds = Number(process.argv[4] ?? 16);
const calls = Number(process.argv[5] ?? 5);
const perRegion = Number(process.env.BENCH_PEOPLE ?? 100_000);

async function definitions(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ def: string }>(
    `SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'residency' AND p.proname = ANY ($1) ORDER BY p.proname`,
    [NAMES],
  );
  return rows.map((r) => `${r.def};\n`).join('\n');
}

const regions = regionFleet(dumpTo === undefined ? count : 3);
const fleet = await startProxiedFleet({ regions, delayMs: 5 });
try {
  const admins: pg.Client[] = [];
  for (const r of regions) admins.push(await fleet.client(r.name));
  if (dumpTo !== undefined) {
    writeFileSync(dumpTo, await definitions(admins[0]!));
    process.stdout.write(`wrote ${dumpTo}\n`);
  } else {
    const variants = { A: readFileSync(fileA!, 'utf8'), B: await definitions(admins[0]!) };
    const usa = await fleet.client('usa');
    const pid = (usa as unknown as { processID: number }).processID;
    const proxied = await Promise.all(regions.filter((r) => r.name !== 'usa').map((r) => fleet.proxiedClient(r.name)));
    // people loaded straight into the tables, as bench/benchReads.ts does; 100 keys spread over the fleet
    const names = regions.map((r) => r.name);
    await Promise.all(
      regions.map(async (r, i) => {
        const c = admins[i]!;
        await c.query(
          `INSERT INTO shared.identity (uuid, region, note, created_on) SELECT md5(r.name || ':' || i)::uuid, r.name, 'n',
            '2020-01-01'::timestamptz FROM unnest($1::text[]) r(name), generate_series(1, $2::integer) i`,
          [names, perRegion],
        );
        await c.query(
          `INSERT INTO ${ident(r.name)}.identity_details (uuid, region, name) SELECT md5($1 || ':' || i)::uuid, $1, 'Person ' || i
            FROM generate_series(1, $2::integer) i`,
          [r.name, perRegion],
        );
        await c.query('VACUUM ANALYZE shared.identity');
        await c.query(`VACUUM ANALYZE ${ident(r.name)}.identity_details`);
      }),
    );
    const keys = Array.from({ length: 100 }, (_, i) => benchKey(names[i % names.length]!, 1 + ((i * 7919) % perRegion)));
    const figures: Record<
      string,
      {
        write: number[];
        writeCpu: number[];
        read: number[];
        readCpu: number[];
        floor: number[];
        polls: number;
        loopCpu: number[];
        remoteCpu: number[];
      }
    > = {
      A: { write: [], writeCpu: [], read: [], readCpu: [], floor: [], polls: 0, loopCpu: [], remoteCpu: [] },
      B: { write: [], writeCpu: [], read: [], readCpu: [], floor: [], polls: 0, loopCpu: [], remoteCpu: [] },
    };
    // how often usa's backends poll a link (dblink_is_busy calls, track_functions), per variant
    await admins[0]!.query("ALTER SYSTEM SET track_functions = 'all'");
    await admins[0]!.query('SELECT pg_reload_conf()');
    const polls = async () => {
      await new Promise((r) => setTimeout(r, 600));
      const { rows } = await admins[0]!.query<{ n: string | null }>(
        "SELECT sum(calls) AS n FROM pg_stat_user_functions WHERE schemaname = 'residency_dblink' AND funcname = 'dblink_is_busy'",
      );
      return Number(rows[0]?.n ?? 0);
    };
    const timed = async (run: () => Promise<unknown>) => {
      const c = cpuMs(pid);
      const t = process.hrtime.bigint();
      await run();
      return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpu: cpuMs(pid) - c };
    };
    const loopback = JSON.stringify({ usa: 'SELECT 1' });
    const remote = JSON.stringify(Object.fromEntries(names.filter((r) => r !== 'usa').map((r) => [r, 'SELECT 1'])));
    for (let round = 0; round < rounds; round += 1) {
      for (const name of round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        for (const admin of admins) await admin.query(variants[name]);
        const f = figures[name]!;
        for (let i = 0; i < 3; i += 1) {
          await call.upsert(usa, newPerson('usa'));
          await usa.query('SELECT count(*) FROM shared.get_identity_many($1::uuid[])', [keys]);
        }
        const polled = await polls();
        for (let i = 0; i < calls; i += 1) {
          const w = await timed(() => call.upsert(usa, newPerson('usa')));
          f.write.push(w.ms);
          f.writeCpu.push(w.cpu);
          const r = await timed(() => usa.query('SELECT count(*) FROM shared.get_identity_many($1::uuid[])', [keys]));
          f.read.push(r.ms);
          f.readCpu.push(r.cpu);
          const t = process.hrtime.bigint();
          await Promise.all(proxied.map((c) => c.query('SELECT 1')));
          f.floor.push(Number(process.hrtime.bigint() - t) / 1e6);
          // one bare wave (SELECT 1) on the loopback, one on every other region
          f.loopCpu.push((await timed(() => usa.query("SELECT * FROM residency.wave($1::jsonb, NULL, '{}')", [loopback]))).cpu);
          f.remoteCpu.push((await timed(() => usa.query("SELECT * FROM residency.wave($1::jsonb, NULL, '{}')", [remote]))).cpu);
        }
        f.polls += (await polls()) - polled;
      }
      process.stderr.write(`round ${round + 1}/${rounds}\n`);
    }
    process.stdout.write(
      `${perRegion} people per region; ${regions.length} regions (${regions.map((r) => `${r.name} ${r.postgres}`).join(', ')}), ${rounds} rounds x ${calls} calls per variant, alternated\n`,
    );
    // each call against the floor measured right after it (the load drifts), and the medians
    const ratio = (times: number[], floor: number[]) => median(times.map((t, i) => t / floor[i]!));
    for (const [name, f] of Object.entries(figures)) {
      process.stdout.write(
        `${name}: floor ${median(f.floor).toFixed(1)} ms; single write ${median(f.write).toFixed(1)} ms, ${ratio(f.write, f.floor).toFixed(2)}x floor (backend CPU ${median(f.writeCpu).toFixed(2)} ms); ` +
          `get_identity_many(100) ${median(f.read).toFixed(1)} ms, ${ratio(f.read, f.floor).toFixed(2)}x (backend CPU ${median(f.readCpu).toFixed(2)} ms); ${(f.polls / f.write.length).toFixed(0)} polls per write, read and two bare waves; ` +
          `backend CPU of a bare wave on the loopback ${median(f.loopCpu).toFixed(2)} ms, on the others ${median(f.remoteCpu).toFixed(2)} ms\n`,
      );
    }
  }
} finally {
  await fleet.stop();
}
