import type { Major } from '../config/types.js';

/** The comment that marks a role pg-residency created: it alters no role without it. */
export const MANAGED_ROLE_COMMENT = 'managed by pg-residency';

/**
 * The per-role settings that keep the values a link-role session receives
 * (other regions' calls, arriving through postgres_fdw as statement text and
 * bind parameters) out of this region's server log, for the given server
 * version. Each is set with `ALTER ROLE ... SET`, which wins over the server's
 * own settings for the role's sessions. Most are superuser-only settings:
 * the migration sets them where the migrating role may (a superuser; 15+:
 * GRANT SET ON PARAMETER), else records an admin to-do that migrate prints
 * (residency.admin_step; docs/own-databases.md lists these names for the grant).
 *
 * - `log_min_messages = fatal`: errors (whose message or DETAIL may quote a
 *   value, e.g. "Failing row contains (...)") are returned to the calling
 *   region and not logged here
 * - `log_min_error_statement = panic`: a failing statement's text is not logged
 * - `log_error_verbosity = terse`: no DETAIL, QUERY or CONTEXT should one be logged
 * - `log_statement = none`, `log_min_duration_statement = -1`: no statement text
 * - 12+: `log_transaction_sample_rate = 0`; 13+: `log_min_duration_sample = -1`,
 *   `log_parameter_max_length = 0`, `log_parameter_max_length_on_error = 0`
 * @example linkRoleLogSettings(10)[0] // { name: 'log_min_messages', value: 'fatal' }
 */
export function linkRoleLogSettings(major: Major): { name: string; value: string }[] {
  const settings: [string, string, Major][] = [
    ['log_min_messages', 'fatal', 10],
    ['log_min_error_statement', 'panic', 10],
    ['log_error_verbosity', 'terse', 10],
    ['log_statement', 'none', 10],
    ['log_min_duration_statement', '-1', 10],
    ['log_transaction_sample_rate', '0', 12],
    ['log_min_duration_sample', '-1', 13],
    ['log_parameter_max_length', '0', 13],
    ['log_parameter_max_length_on_error', '0', 13],
  ];
  return settings.filter(([, , since]) => major >= since).map(([name, value]) => ({ name, value }));
}
