import yargs from 'yargs';
import { ResidencyError } from '../errors.js';
import { loadSecretsFile, STATE_DIR } from './secrets.js';
import { devCommand } from './commands/dev.js';
import { genMigrationsCommand } from './commands/genMigrations.js';
import { migrateCommand } from './commands/migrate.js';
import { syncCommand } from './commands/sync.js';
import { verifyCommand } from './commands/verify.js';
import { demoCommand } from './commands/demo.js';

/** Entry point of the pg-residency binary. */
export async function main(argv: readonly string[]): Promise<void> {
  const cli = yargs([...argv])
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
    // The local fleet's generated passwords reach every command; the environment wins.
    .middleware((args) => loadSecretsFile(process.env, String(args['state-dir'])))
    .command(genMigrationsCommand)
    .command(migrateCommand)
    .command(syncCommand)
    .command(verifyCommand)
    .command(devCommand)
    .command(demoCommand)
    .demandCommand(1, 'name a command; see --help')
    .strict()
    .recommendCommands()
    .fail((message, error, y) => {
      // A command's .check() returns its message as a string: a usage error too.
      if (error instanceof Error) throw error;
      console.error(`${y.help()}\n\n${message}`);
      process.exit(2);
    })
    .help()
    .version();
  try {
    await cli.parseAsync();
  } catch (error) {
    console.error(formatError(error));
    process.exit(1);
  }
}

function formatError(error: unknown): string {
  if (error instanceof ResidencyError) return `error [${error.code}]: ${error.message}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
