import type { CommandModule } from 'yargs';
import type { AdoptReport } from '../../adopt/adoptEntity.js';
import { elapsed, type CliContext } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  entity: string;
  from: string;
  query: string;
  batch: number;
  delete: boolean;
  check: boolean;
  'changed-since'?: string;
  json: boolean;
}

/** `--json` result of adopt: the report (docs/reference/adopt.md). Keys and counts only. */
export type AdoptJson = AdoptReport;

const pad = (s: string) => s.padEnd(12);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const shown = 20;

/** `pg-residency adopt`: progress on stderr, a line per region and the problems by key on stdout; exit 1 until the fleet equals the source. */
export function adoptCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'adopt',
    describe: "Bring an existing database's rows into the fleet: directory everywhere, personal data in its owner; resumable, verified",
    builder: (y) =>
      jsonOption(y)
        .option('entity', { type: 'string', demandOption: true, describe: 'the entity of regions.yaml, as schema.name' })
        .option('from', {
          type: 'string',
          demandOption: true,
          describe: 'the source database url (only read; PGPASSWORD when it has no password)',
        })
        .option('query', {
          type: 'string',
          demandOption: true,
          describe: "a SELECT run in the source yielding the entity's columns by name; map your data to regions with CASE",
        })
        .option('batch', {
          type: 'number',
          default: 10_000,
          describe: 'source rows per key range (compared, written and checkpointed as one)',
        })
        .option('delete', {
          type: 'boolean',
          default: false,
          describe: 'remove keys the fleet holds and the source no longer yields (reported otherwise)',
        })
        .option('check', {
          type: 'boolean',
          default: false,
          describe: 'compare only, write nothing; exit 1 while the fleet differs from the source',
        })
        .option('changed-since', {
          type: 'string',
          describe:
            'a column the query yields that grows with every write (updated_at): after a complete run, read only the rows changed since',
        })
        .check((argv) =>
          Number.isInteger(argv.batch) && argv.batch >= 1
            ? true
            : `--batch must be a whole number of rows, at least 1 (got ${String(argv.batch)})`,
        )
        .example(
          `$0 adopt --entity shared.identity --from postgres://reader@old-db/crm --query "SELECT id AS uuid, CASE country WHEN 'GB' THEN 'gbr' WHEN 'AU' THEN 'aus' ELSE 'usa' END AS region, note, created_on, full_name AS name FROM people"`,
          'copy everyone in; run again any time: only what changed is copied',
        ) as never,
    handler: async (argv) => {
      const [{ loadConfig }, { adoptEntity }, { progressLine }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../adopt/adoptEntity.js'),
        import('../../adopt/adoptProgress.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const report = await adoptEntity({
        config,
        env: ctx.env,
        entity: argv.entity,
        from: argv.from,
        query: argv.query,
        batch: argv.batch,
        delete: argv.delete,
        check: argv.check,
        changedSince: argv['changed-since'],
        onProgress: (p) => ctx.progress(progressLine(argv.entity, p)),
      });
      print(ctx, report);
      ctx.result(report satisfies AdoptJson);
      if (!report.ok) ctx.fail();
    },
  };
}

function print(ctx: CliContext, r: AdoptReport): void {
  for (const s of r.regions)
    ctx.line(
      `${pad(s.region)} ${s.directoryRows} directory rows, ${s.personalRows} personal rows written${s.moved ? `, ${s.moved} moved out` : ''}${s.deleted ? `, ${s.deleted} deleted` : ''}; ${s.rangesSame} ranges already equal, ${s.rangesWritten} written; ${mb(s.bytes)} (${elapsed(s.ms)})`,
    );
  const list = <T>(title: string, l: { count: number; keys: readonly T[] }, show: (x: T) => string, fix: string) => {
    if (l.count === 0) return;
    ctx.line(`\n${title}: ${l.count}`);
    for (const k of l.keys.slice(0, shown)) ctx.line(`  ${show(k)}`);
    if (l.count > shown) ctx.line(`  ... (--json lists up to ${l.keys.length})`);
    ctx.line(`  ${fix}`);
  };
  list(
    'rows whose region is NULL or not in regions.yaml (copied nowhere)',
    r.unplaced,
    (u) => `${u.key} (region ${u.region === null ? 'NULL' : JSON.stringify(u.region)})`,
    'map them to a region in --query, or leave them out of it',
  );
  list('keys the query yields more than once (the first row was adopted)', r.duplicates, (k) => k, 'make the query yield each key once');
  if (r.nullKeys > 0) ctx.line(`\nrows with a NULL key (copied nowhere): ${r.nullKeys}`);
  list(
    'keys in the fleet that the source does not yield (kept)',
    r.extra,
    (e) => `${e.region} ${e.key}`,
    'run again with --delete to remove them',
  );
  list(
    r.check ? 'keys that differ from the source' : 'keys that still differ from the source after the copy',
    r.mismatched,
    (m) => `${m.region} ${m.key}`,
    r.check ? 'run adopt without --check to copy them' : 'something else writes these keys: stop it and run adopt again',
  );
  const rate = r.elapsedMs > 0 ? Math.round((r.source.rows * 1000) / r.elapsedMs) : 0;
  ctx.line(
    `\n${r.ok ? 'ok' : 'FAILED'}: ${r.entity}: ${r.source.rows} source rows${r.mode === 'full' ? '' : ` (${r.mode === 'changed' ? 'changed since the last run' : 'all: rows were deleted'})`} in ${r.source.ranges} ranges, ${r.source.placed} placed, ${r.check ? 'compared' : 'adopted and verified'} in ${elapsed(r.elapsedMs)} (${rate.toLocaleString('en')} rows/s)`,
  );
}
