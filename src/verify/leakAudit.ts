import { derivedNames } from '../config/derivedNames.js';
import type { Config, Major, Region } from '../config/types.js';
import { linkRoleLogSettings } from '../plan/linkRoleSettings.js';
import type { CatalogSnapshot } from './catalogSnapshot.js';
import { finding, type Finding } from './finding.js';

/** Severity levels in PostgreSQL's order: a setting at or below `error` logs a failing statement. */
const LEVELS = ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'info', 'notice', 'warning', 'error', 'log', 'fatal', 'panic'];

const settingOf = (config: readonly string[], name: string): string | undefined => {
  const entry = config.find((c) => c.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
};

/**
 * The channels through which personal values leave their region's tables
 * inside the database: statistics, publications, statement statistics, the
 * server log, queues, direct grants, links without TLS.
 */
export function auditLeaks(config: Config, region: Region, cat: CatalogSnapshot): Finding[] {
  const out: Finding[] = [];
  const here = region.name;
  const link = config.link.role;
  const resident = new Set(config.entities.flatMap((e) => e.resident.map((c) => c.name)));
  const personalTables = new Set(
    config.entities.flatMap((e) => {
      const n = derivedNames(e.name);
      return [`${e.schema}.${n.details}`, ...config.regions.flatMap((r) => [`${r.name}.${n.details}`, `${r.name}.${n.detailsIn}`])];
    }),
  );

  // RV301: ANALYZE copies samples of a foreign partition's (or a parent's) values into pg_statistic here
  const sampled = new Map<string, string[]>();
  for (const s of cat.statistics.filter(
    (x) => (x.kind === 'f' || x.kind === 'p') && resident.has(x.column) && personalTables.has(`${x.schema}.${x.name}`),
  ))
    sampled.set(`${s.schema}.${s.name}`, [...(sampled.get(`${s.schema}.${s.name}`) ?? []), s.column]);
  for (const [table, columns] of sampled)
    out.push(
      finding(
        'RV301',
        here,
        table,
        `pg_statistic holds samples of ${columns.map((c) => `"${c}"`).join(', ')}, values of personal rows stored in another region`,
        `ALTER ${table.includes('.') ? 'TABLE ONLY' : 'TABLE'} ${table} ALTER COLUMN ... SET STATISTICS 0 for each, then delete them: DELETE FROM pg_statistic WHERE starelid = '${table}'::regclass`,
      ),
    );

  // RV302: a publication ships a personal table's rows (its initial sync copies everything it reads)
  for (const p of cat.publications) {
    if (p.all)
      out.push(
        finding(
          'RV302',
          here,
          `publication ${p.name}`,
          'publishes FOR ALL TABLES, so every personal leaf too',
          `DROP PUBLICATION "${p.name}" and publish named, non-personal tables only`,
        ),
      );
    else
      for (const t of p.tables.filter((t) => personalTables.has(t)))
        out.push(
          finding(
            'RV302',
            here,
            `publication ${p.name}`,
            `publishes the personal table ${t}`,
            `ALTER PUBLICATION "${p.name}" DROP TABLE ${t}`,
          ),
        );
  }

  // RV303: pg_stat_statements replaces constants of planned statements by $n, but keeps utility statements verbatim
  const preloaded = (cat.settings.shared_preload_libraries ?? '').split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  if (preloaded.includes('pg_stat_statements') && cat.settings['pg_stat_statements.track_utility'] !== 'off')
    out.push(
      finding(
        'RV303',
        here,
        'pg_stat_statements',
        `loaded with pg_stat_statements.track_utility = ${cat.settings['pg_stat_statements.track_utility'] ?? 'on'}${cat.statStatements ? '' : ' (the extension is not created here, but the server collects)'}: CALL, DO, PREPARE and EXPLAIN statements are kept with their literal values`,
        'set pg_stat_statements.track_utility = off (postgresql.conf), or remove pg_stat_statements from shared_preload_libraries',
      ),
    );

  // the log: server settings, then per-role and per-database ones (the link role's own are RV308)
  const scopes = [
    { scope: 'the server', config: Object.entries(cat.settings).flatMap(([k, v]) => (v === null ? [] : [`${k}=${v}`])) },
    ...cat.roleSettings
      .filter((s) => s.role !== link)
      .map((s) => ({
        scope: s.role === '' ? `database ${s.database}` : `role ${s.role}${s.database ? ` in ${s.database}` : ''}`,
        config: s.config,
      })),
  ];
  const fix = (scope: string, setting: string) =>
    scope === 'the server'
      ? `set ${setting} in postgresql.conf (ALTER SYSTEM SET ...; SELECT pg_reload_conf())`
      : `ALTER ${scope.startsWith('role') ? 'ROLE' : 'DATABASE'} ... SET ${setting}`;
  for (const { scope, config: c } of scopes) {
    const statement = settingOf(c, 'log_statement');
    if (statement === 'mod' || statement === 'all')
      out.push(
        finding(
          'RV304',
          here,
          `log_statement (${scope})`,
          `is "${statement}": every write's text, literal values included, is logged`,
          fix(scope, "log_statement = 'ddl' or 'none'"),
        ),
      );
    const duration = settingOf(c, 'log_min_duration_statement');
    if (duration !== undefined && Number.parseInt(duration, 10) >= 0)
      out.push(
        finding(
          'RV305',
          here,
          `log_min_duration_statement (${scope})`,
          `is ${duration}: statements that take longer are logged with their text`,
          fix(scope, 'log_min_duration_statement = -1'),
        ),
      );
    const sample = settingOf(c, 'log_min_duration_sample');
    if (sample !== undefined && Number.parseInt(sample, 10) >= 0)
      out.push(
        finding(
          'RV305',
          here,
          `log_min_duration_sample (${scope})`,
          `is ${sample}: a sample of statements is logged with their text`,
          fix(scope, 'log_min_duration_sample = -1'),
        ),
      );
    const tx = settingOf(c, 'log_transaction_sample_rate');
    if (tx !== undefined && Number.parseFloat(tx) > 0)
      out.push(
        finding(
          'RV305',
          here,
          `log_transaction_sample_rate (${scope})`,
          `is ${tx}: a sample of transactions is logged statement by statement`,
          fix(scope, 'log_transaction_sample_rate = 0'),
        ),
      );
    const params = settingOf(c, 'log_parameter_max_length_on_error');
    if (cat.major >= 13 && params !== undefined && params !== '0')
      out.push(
        finding(
          'RV307',
          here,
          `log_parameter_max_length_on_error (${scope})`,
          `is ${params}: the bind parameters of a failing statement are logged`,
          fix(scope, 'log_parameter_max_length_on_error = 0'),
        ),
      );
  }
  // RV306: what a failing call of an app role logs, from the most specific setting to the server's
  const serverLevel = cat.settings.log_min_error_statement ?? 'error';
  const currentDb = cat.roleSettings.find((s) => s.role === '' && s.database !== '');
  for (const role of config.appRoles) {
    const specific = [
      cat.roleSettings.find((s) => s.role === role && s.database !== ''),
      cat.roleSettings.find((s) => s.role === role && s.database === ''),
      currentDb,
    ].map((s) => (s === undefined ? undefined : settingOf(s.config, 'log_min_error_statement')));
    const level = specific.find((v) => v !== undefined) ?? serverLevel;
    if (LEVELS.indexOf(level) <= LEVELS.indexOf('error'))
      out.push(
        finding(
          'RV306',
          here,
          `role ${role}`,
          `log_min_error_statement is ${level} for it: a failing call outside the generated functions (a literal cast, a typo) is logged with its text, values included`,
          `ALTER ROLE "${role}" SET log_min_error_statement = panic (as an admin: a superuser, or the cloud's admin role), and pass values as bind parameters`,
        ),
      );
  }
  // RV308: the link role's sessions carry other regions' values
  const linkConfig = cat.roleSettings.find((s) => s.role === link && s.database === '')?.config ?? [];
  const missing = linkRoleLogSettings(cat.major as Major).filter((s) => settingOf(linkConfig, s.name) !== s.value);
  if (missing.length > 0)
    out.push(
      finding(
        'RV308',
        here,
        `role ${link}`,
        `missing or changed: ${missing.map((s) => `${s.name} = ${s.value}`).join(', ')}`,
        '`pg-residency migrate up --all` sets them again where the migrating role may (a superuser; 15+: GRANT SET ON PARAMETER), else prints the SQL an admin runs (docs/own-databases.md)',
      ),
    );

  for (const e of config.entities) {
    const n = derivedNames(e.name);
    // RV309: an outbox holds keys and region names only
    const allowed = new Set([e.key.name, e.regionColumn, 'queued_at']);
    const extra = cat.columns.filter((c) => c.schema === e.schema && c.name === n.outbox && !allowed.has(c.column));
    if (extra.length > 0)
      out.push(
        finding(
          'RV309',
          here,
          `${e.schema}.${n.outbox}`,
          `holds column(s) ${extra.map((c) => `"${c.column}"`).join(', ')} beyond the key, the region and queued_at`,
          `ALTER TABLE ${e.schema}.${n.outbox} DROP COLUMN ...`,
        ),
      );
  }

  // RV310: personal tables are reached through the functions and the parent only
  const parents = new Set(config.entities.map((e) => `${e.schema}.${derivedNames(e.name).details}`));
  const direct = cat.grants.filter(
    (g) =>
      personalTables.has(`${g.schema}.${g.name}`) &&
      (g.grantee === 'PUBLIC' ||
        ((config.appRoles.includes(g.grantee) || g.grantee === config.appGroup) && !parents.has(`${g.schema}.${g.name}`))),
  );
  for (const g of direct)
    out.push(
      finding(
        'RV310',
        here,
        `${g.schema}.${g.name}`,
        `${g.grantee === 'PUBLIC' ? 'PUBLIC' : g.grantee === config.appGroup ? `the app group "${g.grantee}"` : `the app role "${g.grantee}"`} holds ${g.privilege} on it directly`,
        `REVOKE ALL ON ${g.schema}.${g.name} FROM ${g.grantee === 'PUBLIC' ? 'PUBLIC' : `"${g.grantee}"`}`,
      ),
    );

  // RV311: the link role's sessions here carry values from other regions
  if (cat.linkSessionsWithoutTls > 0)
    out.push(
      finding(
        'RV311',
        here,
        `role ${link}`,
        `${cat.linkSessionsWithoutTls} live session(s) of the link role without TLS`,
        `admit the link role over hostssl only in pg_hba.conf (hostnossl ... ${link} all reject), and set sslmode verify-full for "${here}" in regions.yaml`,
      ),
    );
  // RV108: a two-phase write whose part here was never finished (the resolver decides it from the coordinator's record)
  for (const p of cat.stalePrepared)
    out.push(
      finding(
        'RV108',
        here,
        `prepared transaction ${p.gid}`,
        `a part of a two-phase write prepared ${p.age} s ago is neither committed nor rolled back; its rows are not visible and it holds their locks`,
        'run `pg-residency resolve --all` (or `SELECT * FROM residency.resolve()` in the coordinating region named in the gid)',
      ),
    );
  return out;
}
