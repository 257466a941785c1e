import type { CommandModule } from 'yargs';
import type { RegionGenResult } from '../../render/genMigrations.js';
import type { CliContext } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  dir: string;
  check: boolean;
  force: boolean;
  name?: string;
  'allow-destructive': boolean;
  templates?: string;
  json: boolean;
}

/** `--json` result of gen-migrations. */
export interface GenMigrationsJson {
  /** False with --check when anything is stale. */
  readonly ok: boolean;
  readonly regions: readonly RegionGenResult[];
}

function describe(r: RegionGenResult): string {
  if (r.status === 'unchanged') return 'up to date';
  return r.status === 'stale' ? `stale: ${r.files.join(', ')}` : `wrote ${r.files.length} file(s)`;
}

/** `pg-residency gen-migrations`: regions.yaml to generated/<region>/. */
export function genMigrationsCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'gen-migrations',
    describe: 'Render regions.yaml into per-region SQL migrations under generated/<region>/',
    builder: (y) =>
      jsonOption(y)
        .option('dir', {
          type: 'string',
          alias: 'out',
          default: 'generated',
          describe: 'folder of the generated migrations (--out is the same option)',
        })
        .option('check', {
          type: 'boolean',
          default: false,
          describe: 'write nothing; exit 1 and name the files when generated/ is not what regions.yaml produces',
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'regenerate from scratch after regions.yaml changed (only when no database applied them)',
        })
        .option('name', { type: 'string', describe: 'name of the step appended for a changed regions.yaml (a slug; default step<N>)' })
        .option('allow-destructive', {
          type: 'boolean',
          default: false,
          describe: 'allow a step that drops columns, entities or regions, and their data',
        })
        .option('templates', { type: 'string', describe: 'folder of the SQL templates (default: the ones shipped with pg-residency)' })
        .example('$0 gen-migrations', 'write generated/usa/0001_extensions.sql ...')
        .example('$0 gen-migrations --name add-email', 'after editing regions.yaml: append a step named add-email to every region')
        .example('$0 gen-migrations --check', 'in CI: fail when generated/ is stale') as never,
    handler: async (argv) => {
      // Loaded here, not at startup: generation never loads pg or node-pg-migrate.
      const [{ loadConfig }, { genMigrations }, { loadTemplates }, { nodeGeneratedFs }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../render/genMigrations.js'),
        import('../../render/loadTemplates.js'),
        import('../../render/nodeGeneratedFs.js'),
      ]);
      const [config, templates] = await Promise.all([loadConfig(argv.config, ctx.env), loadTemplates(argv.templates)]);
      const regions = await genMigrations({
        config,
        templates,
        outDir: argv.dir,
        check: argv.check,
        force: argv.force,
        allowDestructive: argv['allow-destructive'],
        ...(argv.name === undefined ? {} : { name: argv.name }),
        fs: nodeGeneratedFs,
      });
      const stale = regions.some((r) => r.status === 'stale');
      for (const r of regions) ctx.line(`${r.region.padEnd(12)} ${describe(r)}`);
      for (const warning of regions.flatMap((r) => r.warnings)) ctx.error(`warning: ${warning}`);
      const destructive = regions.flatMap((r) => r.destructive);
      if (destructive.length > 0) ctx.line(`\nDestructive (review before you apply):\n${destructive.map((d) => `  ${d}`).join('\n')}`);
      ctx.result({ ok: !stale, regions } satisfies GenMigrationsJson);
      if (stale) {
        ctx.error(`${argv.dir}/ is not what ${argv.config} produces; run \`pg-residency gen-migrations\` and commit the result.`);
        ctx.fail();
      }
    },
  };
}
