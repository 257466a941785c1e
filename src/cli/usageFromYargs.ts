import { closest } from './closest.js';
import { UsageError } from './usageError.js';

/** What the CLI knows of one command, to name a close match. */
export interface CommandShape {
  /** `migrate`. */
  readonly name: string;
  /** Its long options without dashes, the global ones included: `dry-run`, `json`, `config`. */
  readonly options: readonly string[];
  /** The choices of its `<action>`, when it takes one: `up`, `down`, `status`. */
  readonly actions?: readonly string[];
}

/** The command a command line names: its first word that is one. */
export function commandOf(argv: readonly string[], commands: readonly CommandShape[]): CommandShape | undefined {
  const word = argv.find((a) => !a.startsWith('-'));
  return commands.find((c) => c.name === word);
}

/** The dashed spelling of an option name as the user typed it: `--dryrun`, `-x`. */
function typed(name: string, argv: readonly string[]): string {
  const dashed = argv.find((a) => a.replace(/^-+/, '').split('=')[0] === name && a.startsWith('-'));
  return dashed?.split('=')[0] ?? (name.length === 1 ? `-${name}` : `--${name}`);
}

/**
 * Turns a yargs validation message into a UsageError that names the problem
 * once, with a close match of what was mistyped: an unknown command, option or
 * action, a missing command or action, or a check's own message (kept as is).
 * Pure: the command line and the commands' shapes are passed in.
 */
export function usageFromYargs(message: string, argv: readonly string[], commands: readonly CommandShape[]): UsageError {
  const command = commandOf(argv, commands);
  const at = command?.name;
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    const names = unknown[1]!.split(', ');
    const options = names.filter((n) => argv.some((a) => a.startsWith('-') && a.replace(/^-+/, '').split('=')[0] === n));
    const words = names.filter((n) => !options.includes(n));
    // a mistyped command first: its options cannot be judged without it
    if (command === undefined && words.length > 0) {
      const suggestion = closest(
        words[0]!,
        commands.map((c) => c.name),
      );
      return new UsageError(`unknown command "${words[0]}"`, suggestion === undefined ? {} : { suggestion });
    }
    if (options.length > 0) {
      const shown = options.map((o) => typed(o, argv));
      const suggestion = closest(options[0]!, command?.options ?? ['config', 'state-dir', 'help', 'version']);
      return new UsageError(
        `unknown option${shown.length > 1 ? 's' : ''} ${shown.join(', ')}${at === undefined ? '; name a command first' : ` for ${at}`}`,
        {
          ...(suggestion === undefined ? {} : { suggestion: `--${suggestion}` }),
          ...(at === undefined ? {} : { command: at }),
        },
      );
    }
    return new UsageError(`unexpected argument${words.length > 1 ? 's' : ''} ${words.map((n) => `"${n}"`).join(', ')} for ${at}`, {
      ...(at === undefined ? {} : { command: at }),
    });
  }
  const invalid = /Argument: (\S+), Given: "([^"]*)", Choices: (.*)$/m.exec(message);
  if (invalid) {
    const choices = [...invalid[3]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    const suggestion = closest(invalid[2]!, choices);
    return new UsageError(`${at ?? ''} ${invalid[1]} "${invalid[2]}" is not one of ${choices.join(', ')}`.trim(), {
      ...(suggestion === undefined ? {} : { suggestion: `${at} ${suggestion}` }),
      ...(at === undefined ? {} : { command: at }),
    });
  }
  if (/^Not enough non-option arguments|^name a command/.test(message)) {
    if (at !== undefined) return new UsageError(`${at} needs an action: ${(command?.actions ?? []).join(', ')}`, { command: at });
    const global = ['config', 'state-dir', 'help', 'version', 'h'];
    const option = argv.find((a) => a.startsWith('-') && !global.includes(a.replace(/^-+/, '').split('=')[0]!));
    if (option !== undefined) return new UsageError(`unknown option ${option.split('=')[0]}; name a command first`);
    return new UsageError('name a command');
  }
  const missing = /^Missing required arguments?: (.*)$/.exec(message);
  if (missing)
    return new UsageError(`${at ?? ''} needs --${missing[1]!.split(', ').join(', --')}`.trim(), at === undefined ? {} : { command: at });
  const following = /^Not enough arguments following: (.*)$/.exec(message);
  if (following) return new UsageError(`--${following[1]} needs a value`, at === undefined ? {} : { command: at });
  // a .check() of ours: its message already says what to do
  return new UsageError(message.split('\n')[0]!, at === undefined ? {} : { command: at });
}
