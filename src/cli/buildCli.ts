import yargs, { type CommandModule } from 'yargs';
import { CliContext, type CliIo } from './context.js';
import { UsageError } from './usageError.js';
import { usageFromYargs, type CommandShape } from './usageFromYargs.js';
import { packageVersion } from './packageVersion.js';
import { STATE_DIR, withSecretsFile } from './secrets.js';
import { adoptCommand } from './commands/adopt.js';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { doctorCommand } from './commands/doctor.js';
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
  // Decided from the raw arguments: a usage error is found before any option is parsed.
  ctx.json = io.argv.some((a) => a === '--json' || a === '--json=true');
  const commands: CommandModule<object, never>[] = [
    genMigrationsCommand(ctx),
    doctorCommand(ctx),
    migrateCommand(ctx),
    syncCommand(ctx),
    resolveCommand(ctx),
    verifyCommand(ctx),
    repairCommand(ctx),
    devCommand(ctx),
    demoCommand(ctx),
    lintCommand(ctx),
    genTypesCommand(ctx),
    adoptCommand(ctx),
  ] as never;
  const shapes = commands.map(commandShape);
  let cli = yargs()
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
    });
  for (const command of commands) cli = cli.command(command);
  cli = cli
    .demandCommand(1, 'name a command')
    // unknown commands and options are refused before any handler runs
    .strict()
    .strictOptions()
    .exitProcess(false)
    .fail((message, error) => {
      // Thrown, so that no handler runs after a usage error (yargs would run it
      // when fail returns). A command's .check() message is a usage error too.
      if (error instanceof Error) throw error;
      throw usageFromYargs(message, io.argv, shapes);
    })
    .help()
    .version(packageVersion());
  try {
    await cli.parseAsync([...io.argv], {}, (_error, _argv, output) => {
      // --help and --version: yargs hands the text here instead of printing it
      if (output && ctx.exitCode === 0) ctx.raw('stdout', output);
    });
  } catch (error) {
    if (error instanceof UsageError) ctx.usage(error);
    else ctx.fatal(error);
  }
  return ctx.exitCode;
}

/** A command's name and long options (its own and the global ones), for "did you mean". */
function commandShape(command: CommandModule<object, never>): CommandShape {
  const name = String(command.command).split(' ')[0]!;
  const y = yargs().option('config', {}).option('state-dir', {}).help().version();
  const built = typeof command.builder === 'function' ? command.builder(y) : y;
  // getOptions is public in yargs 18 but missing from @types/yargs 17
  const options = (
    built as unknown as {
      getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; choices: Record<string, string[]> };
    }
  ).getOptions();
  const keys = options.key;
  const aliases = Object.values(options.alias).flat();
  return {
    name,
    options: [...new Set([...Object.keys(keys), ...aliases])].filter((k) => k !== 'action' && k.length > 1),
    ...(options.choices.action === undefined ? {} : { actions: options.choices.action }),
  };
}
