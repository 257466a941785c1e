import type { CommandModule } from 'yargs';
import type { RepairProgress, RepairReport } from '../../verify/repairFleet.js';
import { elapsed, type CliContext } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  'dry-run': boolean;
  json: boolean;
}

/** `--json` result of repair. */
export type RepairJson = RepairReport;

/** A progress line on stderr: each region connected, each entity audited and repaired. */
function progressLine(p: RepairProgress, dryRun: boolean): string {
  if (p.kind === 'connected') return `${p.region.padEnd(12)} connected (${elapsed(p.ms)})`;
  if (p.kind === 'audited') return `${p.entity}: ${p.keys} key(s) to repair, ${p.unrepaired} finding(s) left to you (${elapsed(p.ms)})`;
  const regions = Object.entries(p.changesByRegion).map(([region, n]) => `${region} ${n}`);
  return `${p.entity}: ${dryRun ? 'would change' : 'changed'} ${regions.join(', ')} (${elapsed(p.ms)})`;
}

/** `pg-residency repair`: every change, one line each, then what is left to a person. */
export function repairCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'repair',
    describe:
      "Converge every region's rows from each key's owner: directory rows, orphans, interrupted rehomes; a second run changes nothing",
    builder: (y) =>
      jsonOption(y)
        .option('dry-run', { type: 'boolean', default: false, describe: 'list the changes, make none' })
        .example('$0 repair --dry-run', 'what repair would change')
        .example('$0 repair', 'after verify reported RV101, RV102, RV104, RV105 or RV106') as never,
    handler: async (argv) => {
      const [{ loadConfig }, { repairFleet }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../verify/repairFleet.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const report = await repairFleet(config, ctx.env, {
        dryRun: argv['dry-run'],
        onProgress: (p) => ctx.progress(progressLine(p, argv['dry-run'])),
      });
      const verb = report.dryRun ? 'would ' : '';
      for (const c of report.changes) {
        const what = {
          'copy-directory': `${verb}copy the directory row of "${c.from}" to "${c.region}"`,
          'move-personal': `${verb}move the personal row from "${c.from}" into its recorded owner "${c.region}" (an interrupted rehome)`,
          'delete-personal': `${verb}delete the personal row in "${c.region}", outside its owner`,
          'delete-directory': `${verb}delete the orphaned directory row in "${c.region}"`,
        }[c.action];
        ctx.line(`${c.entity} ${c.key}: ${what}${report.dryRun ? '' : ` (${c.rows} row(s))`}`);
      }
      for (const f of report.unrepaired) ctx.line(`left to you: ${f.rule} ${f.region} ${f.object}: ${f.detail}; ${f.fix}`);
      ctx.line(
        `${report.changes.length} change(s)${report.dryRun ? ' (dry run: none made)' : ''}, ${report.unrepaired.length} left to you, in ${report.elapsedMs} ms`,
      );
      ctx.result(report);
      if (!report.ok) ctx.fail();
    },
  };
}
