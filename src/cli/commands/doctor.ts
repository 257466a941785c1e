import type { CommandModule } from 'yargs';
import type { DoctorFinding, RegionDoctor } from '../../doctor/doctorFleet.js';
import { jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, regionOptions, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  region: string[];
  all: boolean;
  json: boolean;
}

/** `--json` result of doctor: a stable contract (docs/reference/doctor.md). */
export interface DoctorJson {
  /** False when anything blocks (exit 1). */
  readonly ok: boolean;
  readonly regions: readonly { readonly region: string; readonly findings: readonly DoctorFinding[]; readonly error?: JsonError }[];
}

const pad = (s: string) => s.padEnd(12);

function printRegion(ctx: CliContext, r: RegionDoctor): void {
  if (r.error) {
    ctx.error(`${pad(r.region)} not checked: error [${r.error.code}]: ${r.error.message}`);
    return;
  }
  const errors = r.findings.filter((f) => f.level === 'error').length;
  ctx.line(`${pad(r.region)} ${errors === 0 ? 'ready' : 'BLOCKED'}: ${errors} error(s), ${r.findings.length - errors} warning(s)`);
  for (const f of r.findings) {
    ctx.line(`  ${f.level.padEnd(8)}${f.id}: ${f.title}`);
    ctx.line(`          ${f.detail}`);
    ctx.line(`          fix: ${f.fix.split('\n').join('\n               ')}`);
  }
}

/** `pg-residency doctor`: the preflight, a block per region, exit 1 when anything blocks. */
export function doctorCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'doctor',
    describe: "Preflight, read-only: each region's rights, extensions, settings and links, each finding with the SQL that fixes it",
    builder: (y) =>
      regionOptions(jsonOption(y))
        .check((argv) =>
          argv.all && argv.region.length > 0 ? `--all and --region ${argv.region.join(', ')} contradict each other: pass one` : true,
        )
        .example('$0 doctor --all', 'before the first migrate, on servers pg-residency did not start')
        .example('$0 doctor --region gbr --json', "gbr's findings as one JSON document") as never,
    handler: async (argv) => {
      if (ctx.exitCode !== 0) return;
      const [{ loadConfig }, { doctorFleet }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../doctor/doctorFleet.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const report = await doctorFleet(config, ctx.env, { regions: argv.all ? [] : argv.region });
      for (const r of report.regions) printRegion(ctx, r);
      const blocked = report.regions.filter((r) => r.error || r.findings.some((f) => f.level === 'error')).length;
      ctx.line(
        `\n${report.ok ? 'ok' : 'FAILED'}: ${report.regions.length - blocked} of ${report.regions.length} region(s) ready${blocked ? `, ${blocked} blocked` : ''}`,
      );
      ctx.result({
        ok: report.ok,
        regions: report.regions.map((r) => ({ region: r.region, findings: r.findings, ...(r.error ? { error: jsonError(r.error) } : {}) })),
      } satisfies DoctorJson);
      if (!report.ok) ctx.fail();
    },
  };
}
