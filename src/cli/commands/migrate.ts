import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/loadConfig.js';
import { migrateFleet, type RegionMigrateResult } from '../../migrate/migrateFleet.js';
import { needsAttention, statusFleet, type RegionStatus } from '../../migrate/statusFleet.js';

interface Args {
  config: string;
  action: 'up' | 'down' | 'status';
  region: string[];
  all: boolean;
  dir: string;
  'dry-run': boolean;
  count?: number;
}

function printResult(r: RegionMigrateResult): void {
  const list = r.migrations.length ? `: ${r.migrations.join(', ')}` : '';
  console.log(`${r.region.padEnd(12)} ${r.status}${list}`);
  if (r.error) console.log(`${''.padEnd(12)} ${r.error.message}`);
  if (r.links !== undefined && r.links.length > 0) {
    const how = (auth: string) => (auth === 'cert' ? "by the link role's certificate (no password stored)" : 'by password (SCRAM)');
    console.log(`${''.padEnd(12)} links: ${r.links.map((l) => `to ${l.target} ${how(l.auth)}`).join(', ')}`);
  }
}

function printStatus(s: RegionStatus): void {
  if (s.error) {
    console.log(`${s.region.padEnd(12)} failed: ${s.error.message}`);
    return;
  }
  console.log(
    `${s.region.padEnd(12)} ${s.applied.length} applied, ${s.pending.length} pending, ${s.unknown.length} unknown, ${s.modified.length} modified`,
  );
  for (const name of s.pending) console.log(`${''.padEnd(12)} pending   ${name}`);
  for (const name of s.unknown) console.log(`${''.padEnd(12)} unknown   ${name} (applied, but not in generated/)`);
  for (const name of s.modified) console.log(`${''.padEnd(12)} modified  ${name} (edited after it was applied)`);
}

export const migrateCommand: CommandModule<object, Args> = {
  command: 'migrate <action>',
  describe: 'Apply, revert or inspect the generated migrations of one or more regions',
  builder: (y) =>
    y
      .positional('action', {
        choices: ['up', 'down', 'status'] as const,
        describe: 'up: apply pending; down: revert applied (all unless --count); status: list, exit 1 when anything is pending',
      })
      .option('region', { type: 'string', array: true, default: [], describe: 'a region from regions.yaml (repeatable)' })
      .option('all', { type: 'boolean', default: false, describe: "every region, owners' objects before foreign tables" })
      .option('dir', { type: 'string', default: 'generated', describe: 'folder of the generated migrations' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the SQL each region would run; change nothing' })
      .option('count', { type: 'number', describe: 'with down: revert only this many migrations per region' })
      .example('$0 migrate up --region usa', "apply usa's pending migrations")
      .example('$0 migrate up --all', 'apply every region, in waves')
      .example('$0 migrate status --all', 'exit 1 when any region has pending migrations') as never,
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    if (argv.action === 'status') {
      const statuses = await statusFleet(config, argv.region, argv.all, argv.dir, process.env);
      statuses.forEach(printStatus);
      if (statuses.some(needsAttention)) process.exitCode = 1;
      return;
    }
    const results = await migrateFleet({
      config,
      regions: argv.region,
      all: argv.all,
      direction: argv.action,
      dir: argv.dir,
      env: process.env,
      dryRun: argv['dry-run'],
      ...(argv.count !== undefined ? { count: argv.count } : {}),
    });
    if (argv['dry-run']) for (const r of results) if (r.sql) console.log(r.sql);
    results.forEach(printResult);
    for (const warning of results.flatMap((r) => r.warnings)) console.error(`warning: ${warning}`);
    if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
  },
};
