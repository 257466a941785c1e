import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/loadConfig.js';
import { genMigrations } from '../../render/genMigrations.js';
import { loadTemplates } from '../../render/loadTemplates.js';
import { nodeGeneratedFs } from '../../render/nodeGeneratedFs.js';

interface Args {
  config: string;
  out: string;
  check: boolean;
  force: boolean;
  templates?: string;
}

export const genMigrationsCommand: CommandModule<object, Args> = {
  command: 'gen-migrations',
  describe: 'Render regions.yaml into per-region SQL migrations under generated/<region>/',
  builder: (y) =>
    y
      .option('out', { type: 'string', default: 'generated', describe: 'folder of the generated migrations' })
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
      .option('templates', { type: 'string', describe: 'folder of the SQL templates (default: the ones shipped with pg-residency)' })
      .example('$0 gen-migrations', 'write generated/usa/0001_extensions.sql ...')
      .example('$0 gen-migrations --check', 'in CI: fail when generated/ is stale') as never,
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    const templates = await loadTemplates(argv.templates);
    const results = await genMigrations({ config, templates, outDir: argv.out, check: argv.check, force: argv.force, fs: nodeGeneratedFs });
    for (const r of results) {
      const what =
        r.status === 'unchanged' ? 'up to date' : r.status === 'stale' ? `stale: ${r.files.join(', ')}` : `wrote ${r.files.length} file(s)`;
      console.log(`${r.region.padEnd(12)} ${what}`);
    }
    for (const warning of results.flatMap((r) => r.warnings)) console.error(`warning: ${warning}`);
    if (results.some((r) => r.status === 'stale')) {
      console.error(`\n${argv.out}/ is not what ${argv.config} produces; run \`pg-residency gen-migrations\` and commit the result.`);
      process.exitCode = 1;
    }
  },
};
