import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import type { CliContext } from '../context.js';
import type { GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  dir: string;
}

/**
 * `pg-residency demo`: a walkthrough for people to read, so it has no
 * `--json`; the commands it chains (dev up, gen-migrations, migrate up) do.
 */
export function demoCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'demo',
    describe: 'Start the local fleet, apply the migrations and run the seed walkthrough, then a rehome and an erase',
    builder: (y) => y.option('dir', { type: 'string', default: 'generated', describe: 'folder of the generated migrations' }) as never,
    handler: async (argv) => {
      // with exitProcess(false) yargs runs the handler even after a usage error (exit 2 already set):
      // `demo --json` must not start the fleet
      if (ctx.exitCode !== 0) return;
      const [{ loadConfig }, { runDemo }, { loadTemplates }, { nodeGeneratedFs }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../demo/runDemo.js'),
        import('../../render/loadTemplates.js'),
        import('../../render/nodeGeneratedFs.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      await runDemo({
        config,
        stateDir: resolve(argv['state-dir']),
        generatedDir: argv.dir,
        templates: await loadTemplates(),
        fs: nodeGeneratedFs,
        env: ctx.env,
        report: (text) => ctx.line(text),
      });
    },
  };
}
