// The timeline of one single write (issue 20, CPU per write): on a proxied
// fleet of `regions` regions, every server logs each statement it runs with
// its duration (log_min_duration_statement = 0); after warm-up writes, one
// new person is upserted in usa and every server's log lines of it are
// printed in time order, with the milliseconds since the call was sent.
// With TRACE_NESTED=1 the calling session also logs every statement run
// inside the write's functions (auto_explain), so pg_sleep's wake-ups and the
// time between waves show.
//   npm run build && node --import tsx bench/traceWrite.ts [regions]
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { ident } from '../src/sql/quote.js';
import { identityCalls as call, newPerson } from './identityCalls.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';

const count = Number(process.argv[2] ?? 3);
const regions = regionFleet(count);
const fleet = await startProxiedFleet({ regions, delayMs: 5 });
try {
  const clients: Record<string, pg.Client> = {};
  const logs: Record<string, string> = {};
  for (const r of regions) {
    const c = await fleet.client(r.name);
    clients[r.name] = c;
    await c.query("ALTER SYSTEM SET log_line_prefix = '%n %a [%p] '");
    await c.query('ALTER SYSTEM SET log_min_duration_statement = 0');
    await c.query(`ALTER ROLE ${ident(fleet.config.link.role)} SET log_min_duration_statement = 0`);
    await c.query(`ALTER ROLE ${ident(fleet.config.link.role)} SET log_min_messages = 'log'`);
    await c.query('SELECT pg_reload_conf()');
    const dir = (await c.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory'])).rows[0]!.d;
    logs[r.name] = join(dirname(dir), 'postgres.log');
  }
  const usa = clients.usa!;
  for (let i = 0; i < 6; i += 1) await call.upsert(usa, newPerson('usa'));
  await new Promise((r) => setTimeout(r, 300));
  const sizes = Object.fromEntries(regions.map((r) => [r.name, statSync(logs[r.name]!).size]));
  if (process.env.TRACE_NESTED === '1') {
    await usa.query("LOAD 'auto_explain'");
    await usa.query('SET auto_explain.log_min_duration = 0');
    await usa.query('SET auto_explain.log_nested_statements = on');
  }
  const t0 = performance.timeOrigin + performance.now();
  await call.upsert(usa, newPerson('usa'));
  const t1 = performance.timeOrigin + performance.now();
  const arrivals = (await usa.query<{ a: string }>("SELECT current_setting('residency.arrivals', true) AS a")).rows[0]?.a;
  await new Promise((r) => setTimeout(r, 300));
  const lines: { t: number; text: string }[] = [];
  for (const r of regions) {
    const text = readFileSync(logs[r.name]!, 'utf8').slice(sizes[r.name]);
    for (const line of text.split('\n')) {
      const m = /^(\d+\.\d+) (\S*) \[(\d+)\] LOG:\s+duration: ([\d.]+) ms\s+(.*)$/.exec(line);
      if (m === null || m[5] === 'plan:') continue;
      const end = Number(m[1]) * 1000;
      const dur = Number(m[4]);
      lines.push({ t: end - dur, text: `${r.name.padEnd(4)} ${m[3]} ${dur.toFixed(2).padStart(7)} ms  ${m[5]!.slice(0, 150)}` });
    }
  }
  // auto_explain's lines: the duration, then the statement on a later line
  let pending: { t: number; head: string } | null = null;
  for (const line of readFileSync(logs.usa!, 'utf8').slice(sizes.usa).split('\n')) {
    const d = /^(\d+\.\d+) \S* \[(\d+)\] LOG:\s+duration: ([\d.]+) ms\s+plan:/.exec(line);
    if (d !== null) {
      const dur = Number(d[3]);
      pending = { t: Number(d[1]) * 1000 - dur, head: `usa  ${d[2]} ${dur.toFixed(2).padStart(7)} ms  nested: ` };
      continue;
    }
    const q = /Query Text: (.*)/.exec(line);
    if (q !== null && pending !== null) {
      lines.push({ t: pending.t, text: pending.head + q[1]!.slice(0, 130) });
      pending = null;
    }
  }
  lines.sort((a, b) => a.t - b.t);
  process.stdout.write(`${count} regions, one write: ${(t1 - t0).toFixed(1)} ms\n`);
  for (const l of lines) process.stdout.write(`${(l.t - t0).toFixed(1).padStart(7)}  ${l.text}\n`);
  // what the session remembers of each region's answers ({"<region> <shape>": [ms, spread]}, the waits' windows)
  process.stdout.write(`residency.arrivals: ${arrivals ?? ''}\n`);
} finally {
  await fleet.stop();
}
