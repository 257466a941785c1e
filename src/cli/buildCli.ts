import yargs from 'yargs';
import { CliContext, type CliIo } from './context.js';
import { packageVersion } from './packageVersion.js';
import { STATE_DIR, withSecretsFile } from './secrets.js';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { genMigrationsCommand } from './commands/genMigrations.js';
import { genTypesCommand } from './commands/genTypes.js';
import { lintCommand } from './commands/lint.js';
import { migrateCommand } from './commands/migrate.js';
import { repairCommand } from './commands/repair.js';
import { syncCommand } from './commands/sync.js';
import { resolveCommand } from './commands/resolve.js';
import { verifyCommand } from './commands/verify.js';

export type { CliIo, TextSink } from './context.js';

/**
 * The pg-residency command line, run in-process: parses `argv`, runs the
 * command, writes results to `stdout` and errors to `stderr`, and resolves to
 * the exit code (0 done, 1 failed or needs attention, 2 usage error). It never
 * exits the process nor changes `env`. Command modules load their libraries
 * only when they run, so `gen-migrations` never loads pg or node-pg-migrate.
 * @example process.exitCode = await buildCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr })
 */
export async function buildCli(io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  const cli = yargs()
    .scriptName('pg-residency')
    .usage(
      '$0 <command> [options]\n\nKeeps personal data in its home region: one PostgreSQL database per region, one schema for the application.',
    )
    .option('config', { type: 'string', default: 'regions.yaml', describe: 'path to regions.yaml', global: true })
    .option('state-dir', {
      type: 'string',
      default: STATE_DIR,
      describe: "where `dev up` keeps the local servers' data and secrets.env",
      global: true,
    })
    .middleware(async (args) => {
      ctx.json = args.json === true;
      // The local fleet's generated passwords reach every command; the environment wins.
      ctx.env = await withSecretsFile(io.env, String(args['state-dir']));
    })
    .command(genMigrationsCommand(ctx))
    .command(migrateCommand(ctx))
    .command(syncCommand(ctx))
    .command(resolveCommand(ctx))
    .command(verifyCommand(ctx))
    .command(repairCommand(ctx))
    .command(devCommand(ctx))
    .command(demoCommand(ctx))
    .command(lintCommand(ctx))
    .command(genTypesCommand(ctx))
    .demandCommand(1, 'name a command; see --help')
    .strict()
    .recommendCommands()
    .exitProcess(false)
    .fail((message, error, y) => {
      // A command's .check() returns its message as a string: a usage error too.
      if (error instanceof Error) throw error;
      let help = '';
      y.showHelp((text: string) => (help = text));
      ctx.raw('stderr', `${help}\n\n${message}`);
      ctx.fail(2);
    })
    .help()
    .version(packageVersion());
  try {
    await cli.parseAsync([...io.argv], {}, (_error, _argv, output) => {
      // --help and --version: yargs hands the text here instead of printing it
      if (output && ctx.exitCode === 0) ctx.raw('stdout', output);
    });
  } catch (error) {
    ctx.fatal(error);
  }
  return ctx.exitCode;
}
