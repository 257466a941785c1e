import { ResidencyError } from '../errors.js';
import { sectionStart } from '../format/migrationSection.js';
import type { MigrationFile } from './regionMigrations.js';

interface PgErrorLike {
  message: string;
  code?: string;
  position?: string;
}

/**
 * Turns a failed node-pg-migrate run into an error naming the region, the file,
 * the line and statement, the PostgreSQL error, and the state left behind.
 * `position` is PostgreSQL's 1-based character offset into the section sent.
 */
export function migrationFailure(
  region: string,
  direction: 'up' | 'down',
  file: MigrationFile | undefined,
  error: unknown,
): ResidencyError {
  const pgError = error as PgErrorLike;
  const sqlstate = pgError.code ? ` [SQLSTATE ${pgError.code}]` : '';
  let where = file ? file.file : 'an unknown file';
  if (file && pgError.position) {
    const start = sectionStart(file.content, direction);
    const offset = start + Number(pgError.position) - 1;
    const line = file.content.slice(0, offset).split('\n').length;
    const statement = (file.content.split('\n')[line - 1] ?? '').trim();
    where = `${file.file} line ${line} (${statement.length > 80 ? `${statement.slice(0, 77)}...` : statement})`;
  }
  return new ResidencyError(
    'MIGRATION',
    `region "${region}": ${where} failed: ${pgError.message}${sqlstate}. Nothing of this run was applied in "${region}" (one transaction); fix the cause and run migrate ${direction} again.`,
    { cause: error },
  );
}
