import type { Env } from '../config/expandEnv.js';
import { redactSecrets } from '../config/redact.js';
import { ConfigError, ResidencyError } from '../errors.js';
import type { UsageError } from './usageError.js';

/** Where the CLI writes: `process.stdout` from the binary, a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Everything the CLI reads from and writes to: the binary passes the process's, tests their own. */
export interface CliIo {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  /** Read only: the secrets file is merged into a copy. */
  readonly env: Env;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
}

/** An error as `--json` prints it. */
export interface JsonError {
  readonly code: string;
  readonly message: string;
  /** With code CONFIG: every problem of regions.yaml, each with its path. */
  readonly problems?: readonly { readonly path: string; readonly message: string }[];
}

/** An error as `--json` prints it: its code, message and, for a config error, its problems. */
export function jsonError(error: unknown): JsonError {
  if (error instanceof ConfigError) return { code: error.code, message: error.message, problems: error.problems };
  if (error instanceof ResidencyError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: redactSecrets(error instanceof Error ? error.message : String(error)) };
}

/** `error [CODE]: message`, as the CLI prints an error in text mode. */
export function formatError(error: unknown): string {
  if (error instanceof ResidencyError) return `error [${error.code}]: ${error.message}`;
  if (error instanceof Error) return `error: ${redactSecrets(error.message)}`;
  return `error: ${redactSecrets(String(error))}`;
}

/** Elapsed time for progress lines: `120 ms`, `2.4 s`. */
export function elapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * What a command handler gets: the environment (with the secrets file merged
 * in once the global options are known), where to print results and errors,
 * and the exit code. Results go to stdout, errors to stderr; with `--json`,
 * stdout holds exactly one JSON document.
 */
export class CliContext {
  exitCode = 0;
  /** Set by the CLI's middleware before any handler runs. */
  env: Env;
  json = false;

  constructor(private readonly io: CliIo) {
    this.env = io.env;
  }

  /** A line of the human-readable result (nothing in --json mode). */
  line(text: string): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** A line about an error, always on stderr; in --json mode the result carries it instead. */
  error(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** The command's result document, in --json mode. */
  result(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Exit non-zero at the end of the command. */
  fail(code = 1): void {
    this.exitCode = Math.max(this.exitCode, code);
  }

  /** An error that stopped the command: one line of text, or one JSON object with --json. */
  fatal(error: unknown): void {
    this.io.stderr.write(this.json ? `${JSON.stringify({ error: jsonError(error) })}\n` : `${formatError(error)}\n`);
    this.fail(1);
  }

  /**
   * A command line that cannot run: at most three lines on stderr (the
   * problem, a "did you mean", where the help is), or one JSON object with
   * --json; exit 2. No help text is dumped.
   */
  usage(error: UsageError): void {
    this.io.stderr.write(
      this.json ? `${JSON.stringify({ error: { code: error.code, message: error.jsonMessage() } })}\n` : `${error.lines().join('\n')}\n`,
    );
    this.fail(2);
  }

  /** A progress line on stderr while long work runs (nothing with --json, whose stderr is for errors). */
  progress(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** --help and --version text. */
  raw(stream: 'stdout' | 'stderr', text: string): void {
    this.io[stream].write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
