import type { CommandModule } from 'yargs';
import type { Finding, RegionVerify, VerifyReport } from '../../verify/verifyFleet.js';
import { elapsed, jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, regionOptions, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  region: string[];
  all: boolean;
  dir: string;
  json: boolean;
}

/** `--json` result of verify: a stable contract (docs/reference/verify.md "Residency proof"). */
export interface VerifyJson {
  /** False on any error-level finding or unread region (exit 1). */
  readonly ok: boolean;
  readonly regions: readonly (Omit<RegionVerify, 'error'> & { readonly error?: JsonError })[];
  readonly findings: readonly Finding[];
  readonly summary: VerifyReport['summary'];
}

const pad = (s: string) => s.padEnd(12);

/** The human table of one region's findings: rule, object, detail, then the fix indented. */
function printFindings(ctx: CliContext, region: string, findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  ctx.line(`\n${region}: ${findings.length} finding(s)`);
  for (const f of findings) {
    ctx.line(`  ${f.rule} ${f.level === 'warning' ? 'warning ' : ''}${f.name.padEnd(28)} ${f.object}`);
    ctx.line(`        ${f.detail}`);
    ctx.line(`        fix: ${f.fix}`);
  }
}

/** `pg-residency verify`: each region's reads and links as it finishes, then a table of findings per region and a summary. */
export function verifyCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'verify',
    describe: 'Audit residency: rows, catalog drift, leak channels and links of every region; exit 1 on any finding',
    builder: (y) =>
      regionOptions(jsonOption(y))
        .option('dir', {
          type: 'string',
          default: 'generated',
          describe: 'folder of the generated migrations (what the applied ones created)',
        })
        .example('$0 verify --all', 'after an incident, or from monitoring with --json')
        .example('$0 verify --region gbr', "gbr's catalog, leak channels and links; rows compared with no other region") as never,
    handler: async (argv) => {
      const [{ loadConfig }, { verifyFleet }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../verify/verifyFleet.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const report = await verifyFleet(config, ctx.env, {
        regions: argv.all ? [] : argv.region,
        dir: argv.dir,
        onRegion: (r, ms) => {
          if (r.error) {
            ctx.error(`${pad(r.region)} not read: error [${r.error.code}]: ${r.error.message} (${elapsed(ms)})`);
            return;
          }
          const links = r.links.map((l) => (l.ok ? `${l.to} ${l.ms} ms` : `${l.to} unreachable`)).join(', ');
          ctx.line(
            `${pad(r.region)} ${r.directoryRows} directory rows, ${r.personalRows} personal rows, ${r.applied} migrations; links: ${links || 'none'}; ${r.roundTrips} round trips (${elapsed(ms)})`,
          );
          for (const s of r.skipped) ctx.line(`${pad('')} not checked: ${s}`);
        },
      });
      for (const r of report.regions)
        printFindings(
          ctx,
          r.region,
          report.findings.filter((f) => f.region === r.region),
        );
      const s = report.summary;
      const rules = Object.entries(s.rules)
        .map(([rule, n]) => `${rule} x${n}`)
        .join(', ');
      const unread = report.regions.filter((r) => r.error).length;
      ctx.line(
        `\n${report.ok ? 'ok' : 'FAILED'}: ${report.regions.length - unread} region(s) verified${unread ? `, ${unread} not read` : ''}, ${Object.values(s.entities).reduce((n, e) => n + e.directoryRows, 0)} directory rows compared, ${s.errors} error(s), ${s.warnings} warning(s)${rules ? ` (${rules})` : ''} in ${elapsed(s.elapsedMs)}`,
      );
      ctx.result({
        ok: report.ok,
        regions: report.regions.map((r) => ({ ...r, error: r.error && jsonError(r.error) })),
        findings: report.findings,
        summary: report.summary,
      } satisfies VerifyJson);
      if (!report.ok) ctx.fail();
    },
  };
}
