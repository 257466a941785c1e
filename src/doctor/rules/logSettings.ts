import { ident, literal } from '../../sql/quote.js';
import { doctorFinding, type DoctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** Severity levels in PostgreSQL's order. */
const LEVELS = ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'info', 'notice', 'warning', 'error', 'log', 'fatal', 'panic'];

const valueIn = (config: readonly string[], name: string): string | undefined =>
  config.find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);

/**
 * Log settings that would write personal values into the server log: every
 * write's text (log_statement mod/all), slow statements' text
 * (log_min_duration_statement >= 0), bind parameters of failing statements
 * (log_parameter_max_length_on_error, 13+), at the server or database level;
 * and, for the link role's sessions (other regions' calls), a failing
 * statement's text (log_min_error_statement below panic).
 */
export const logSettings: DoctorRule = ({ config, snapshot }) => {
  const out: DoctorFinding[] = [];
  const database = snapshot.roleSettings.filter((s) => s.role === '' && s.database === snapshot.database).flatMap((s) => s.config);
  const scopes = [
    { scope: 'the server', value: (name: string) => snapshot.settings[name] },
    { scope: `database ${snapshot.database}`, value: (name: string) => valueIn(database, name) },
  ];
  const fix = (scope: string, name: string, value: string) =>
    scope === 'the server'
      ? [`ALTER SYSTEM SET ${name} = ${literal(value)};`, 'SELECT pg_reload_conf();']
      : [`ALTER DATABASE ${ident(snapshot.database)} SET ${name} = ${literal(value)};`];
  for (const { scope, value } of scopes) {
    const statement = value('log_statement');
    if (statement === 'all' || statement === 'mod')
      out.push(
        doctorFinding(
          'log-statement',
          'error',
          `log_statement is ${statement} (${scope})`,
          `log_statement = ${statement} for ${scope}: the text of every write, personal values included, is logged`,
          fix(scope, 'log_statement', 'none'),
        ),
      );
    const duration = value('log_min_duration_statement');
    if (duration !== undefined && Number.parseInt(duration, 10) >= 0)
      out.push(
        doctorFinding(
          'log-min-duration-statement',
          'error',
          `log_min_duration_statement is ${duration} (${scope})`,
          `log_min_duration_statement = ${duration} for ${scope}: statements that take longer are logged with their text and values`,
          fix(scope, 'log_min_duration_statement', '-1'),
        ),
      );
    const params = value('log_parameter_max_length_on_error');
    if (snapshot.major >= 13 && params !== undefined && params !== '0')
      out.push(
        doctorFinding(
          'log-parameter-max-length-on-error',
          'error',
          `log_parameter_max_length_on_error is ${params} (${scope})`,
          `log_parameter_max_length_on_error = ${params} for ${scope}: the bind parameters of failing statements, personal values included, are logged`,
          fix(scope, 'log_parameter_max_length_on_error', '0'),
        ),
      );
  }
  if (snapshot.linkRoleExists) {
    const link = config.link.role;
    const own = (db: string) =>
      valueIn(
        snapshot.roleSettings.filter((s) => s.role === link && s.database === db).flatMap((s) => s.config),
        'log_min_error_statement',
      );
    const level =
      own(snapshot.database) ?? own('') ?? valueIn(database, 'log_min_error_statement') ?? snapshot.settings.log_min_error_statement;
    if (level !== undefined && LEVELS.indexOf(level) < LEVELS.indexOf('panic'))
      out.push(
        doctorFinding(
          'log-min-error-statement',
          'error',
          `log_min_error_statement is ${level} for the link role`,
          `sessions of "${link}" (other regions' calls) log the text of a failing statement, values included, at level ${level}`,
          `ALTER ROLE ${ident(link)} SET log_min_error_statement = 'panic';`,
        ),
      );
  }
  return out;
};
