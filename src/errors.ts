import { redactSecrets } from './config/redact.js';

/**
 * The typed errors pg-residency raises. Each has a stable `code` so callers and
 * tests can tell them apart without parsing messages, and a message that names
 * the culprit and says what to do next.
 */
export type ResidencyErrorCode =
  | 'CONFIG'
  | 'TEMPLATE'
  | 'UNKNOWN_REGION'
  | 'CONNECTION'
  | 'MIGRATION'
  | 'CHECKSUM'
  | 'CLUSTER'
  | 'RESIDENCY'
  /** A call of a generated SQL function refused by PostgreSQL; the error carries its SQLSTATE (see FleetCallError). */
  | 'CALL'
  /** A command line that cannot run (an unknown command or option, a missing or contradictory one): exit 2. */
  | 'USAGE';

/**
 * An error of pg-residency. Its message never shows a password: a connection
 * url's or libpq string's password in it is replaced by `***` (redactSecrets),
 * whoever wrote the message.
 */
export class ResidencyError extends Error {
  readonly code: ResidencyErrorCode;

  constructor(code: ResidencyErrorCode, message: string, options?: { cause?: unknown }) {
    super(redactSecrets(message), options);
    this.code = code;
    this.name = 'ResidencyError';
  }
}

/** One problem found in regions.yaml, with the path of the offending value. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** Every problem in a configuration, reported together. */
export class ConfigError extends ResidencyError {
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.path ? `${p.path}: ` : ''}${p.message}`);
    super('CONFIG', `${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

/** A region name the configuration does not define. */
export function unknownRegion(name: string, known: readonly string[]): ResidencyError {
  return new ResidencyError('UNKNOWN_REGION', `unknown region "${name}"; regions.yaml defines ${known.map((k) => `"${k}"`).join(', ')}`);
}
