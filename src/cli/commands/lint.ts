import type { CommandModule } from 'yargs';
import type { CliContext } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  files: string[];
  format: 'text' | 'github';
  squawk: boolean;
  json: boolean;
}

/** `pg-residency lint [files...]`: residency rules and squawk over hand-written SQL. */
export function lintCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'lint [files..]',
    describe: 'Check hand-written SQL for views, grants, triggers, publications... that expose personal columns, and for locking (squawk)',
    builder: (y) =>
      jsonOption(y)
        .positional('files', { type: 'string', array: true, default: [] as string[], describe: 'SQL files, or folders of *.sql files' })
        .option('format', {
          choices: ['text', 'github'] as const,
          default: 'text' as const,
          describe: 'text, or GitHub Actions annotations (::error file=...,line=...::...)',
        })
        .option('squawk', {
          type: 'boolean',
          default: true,
          describe: "also run squawk's locking rules when squawk-cli is installed (--no-squawk: skip)",
        })
        .check((argv) => (argv.files.length > 0 ? true : 'name the SQL files or folders to lint'))
        .example('$0 lint migrations/', 'lint every .sql file under migrations/')
        .example('$0 lint migrations/ --format github', 'in a GitHub Actions step: annotate the pull request') as never,
    handler: async (argv) => {
      const [{ loadConfig }, { lintFiles }, { formatGithub, formatText }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../lint/lintFiles.js'),
        import('../../lint/formatFindings.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const report = await lintFiles({ config, paths: argv.files, squawk: argv.squawk });
      if (!ctx.json) ctx.raw('stdout', argv.format === 'github' ? formatGithub(report) || '\n' : formatText(report));
      ctx.result(report);
      if (!report.ok) ctx.fail();
    },
  };
}
