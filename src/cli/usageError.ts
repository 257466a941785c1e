import { ResidencyError } from '../errors.js';

/**
 * A command line that cannot run: an unknown command or option, a missing or
 * contradictory one. Raised before anything runs; the CLI prints at most three
 * lines (the problem, a "did you mean", where the help is) and exits 2.
 */
export class UsageError extends ResidencyError {
  /** The close match of a mistyped command, option or value: `--dry-run`. */
  readonly suggestion: string | undefined;
  /** The command whose `--help` to point at, or undefined for the top level. */
  readonly command: string | undefined;

  constructor(message: string, options: { suggestion?: string; command?: string } = {}) {
    super('USAGE', message);
    this.name = 'UsageError';
    this.suggestion = options.suggestion;
    this.command = options.command;
  }

  /** `see pg-residency migrate --help`. */
  get help(): string {
    return `see pg-residency ${this.command === undefined ? '' : `${this.command} `}--help`;
  }

  /** The lines the CLI prints in text mode: at most three. */
  lines(): string[] {
    return [`error [USAGE]: ${this.message}`, ...(this.suggestion === undefined ? [] : [`did you mean ${this.suggestion}?`]), this.help];
  }

  /** The message `--json` carries: the problem, the suggestion and the help pointer in one line. */
  jsonMessage(): string {
    return `${this.message}${this.suggestion === undefined ? '' : `; did you mean ${this.suggestion}?`}; ${this.help}`;
  }
}
