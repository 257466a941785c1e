import { loadModule, parseSync } from 'libpg-query';

let loaded: Promise<void> | undefined;

/** Loads PostgreSQL's parser (libpg-query, WebAssembly) once per process; parseStatements needs it. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

/** One statement of a parsed text: its node, and where its text is (byte offset and length; 0 = to the end). */
export interface ParsedStatement {
  readonly stmt: Readonly<Record<string, unknown>>;
  readonly stmt_location?: number;
  readonly stmt_len?: number;
}

/**
 * The statements of `sql`, parsed by PostgreSQL's own parser. Call
 * loadSqlParser first. Throws libpg-query's error for text it refuses.
 */
export function parseStatements(sql: string): readonly ParsedStatement[] {
  return (parseSync(sql) as { stmts?: readonly ParsedStatement[] }).stmts ?? [];
}
