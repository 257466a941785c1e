import type { CommandModule } from 'yargs';
import type { CliContext } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  out: string;
  check: boolean;
  json: boolean;
}

/** `pg-residency gen-types`: regions.yaml to the application's TypeScript types. */
export function genTypesCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'gen-types',
    describe: "Write each entity's row and key types and the region names as TypeScript, for connectFleet<Entities, Region>()",
    builder: (y) =>
      jsonOption(y)
        .option('out', { type: 'string', default: 'src/residency-types.ts', describe: 'the TypeScript file to write' })
        .option('check', {
          type: 'boolean',
          default: false,
          describe: 'write nothing; exit 1 when the file is not what regions.yaml gives',
        })
        .example('$0 gen-types', 'write src/residency-types.ts')
        .example('$0 gen-types --check', 'in CI: fail when the types are stale') as never,
    handler: async (argv) => {
      const [{ loadConfig }, { genTypes, sourceName }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../typegen/genTypes.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const result = await genTypes({ config, out: argv.out, check: argv.check, source: sourceName(argv.config) });
      const what = result.status === 'unchanged' ? 'up to date' : result.status === 'stale' ? 'stale' : 'written';
      ctx.line(`${result.file} ${what} (${result.entities.join(', ')})`);
      ctx.result({ ok: result.status !== 'stale', ...result });
      if (result.status === 'stale') {
        ctx.error(`${result.file} is not what ${argv.config} gives; run \`pg-residency gen-types\` and commit the result.`);
        ctx.fail();
      }
    },
  };
}
