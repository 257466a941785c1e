import type { CommandModule } from 'yargs';
import type { RegionRead, VerifyResult } from '../../verify/verifyFleet.js';
import { elapsed, jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  json: boolean;
}

/** `--json` result of verify. */
export interface VerifyJson {
  /** False on any inconsistency or unreachable region. */
  readonly ok: boolean;
  readonly regions: readonly (Omit<RegionRead, 'error'> & { readonly error?: JsonError })[];
  readonly inconsistencies: VerifyResult['inconsistencies'];
  readonly checked: VerifyResult['checked'];
}

/** `pg-residency verify`: each region's read as it finishes, then every problem found. */
export function verifyCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'verify',
    describe: 'Check that every region holds the same directory and each personal row only in its owner; exit 1 on any difference',
    builder: (y) => jsonOption(y).example('$0 verify', 'after an incident: find partly committed writes') as never,
    handler: async (argv) => {
      const [{ loadConfig }, { verifyFleet }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../verify/verifyFleet.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const result = await verifyFleet(config, ctx.env, {
        onRegion: (r, ms) => {
          const region = r.region.padEnd(12);
          if (r.error) ctx.error(`${region} not read: error [${r.error.code}]: ${r.error.message} (${elapsed(ms)})`);
          else ctx.line(`${region} read ${r.directoryRows} directory rows, ${r.personalRows} personal keys (${elapsed(ms)})`);
        },
      });
      for (const i of result.inconsistencies) ctx.line(`${i.entity} ${i.key}: ${i.problem}`);
      for (const [entity, n] of Object.entries(result.checked)) {
        const problems = result.inconsistencies.filter((i) => i.entity === entity).length;
        ctx.line(`${entity}: ${n} directory rows compared, ${problems} problem(s)`);
      }
      const ok = result.unreachable.length === 0 && result.inconsistencies.length === 0;
      ctx.result({
        ok,
        regions: result.regions.map((r) => ({ ...r, error: r.error && jsonError(r.error) })),
        inconsistencies: result.inconsistencies,
        checked: result.checked,
      } satisfies VerifyJson);
      if (!ok) ctx.fail();
    },
  };
}
