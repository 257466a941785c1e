/**
 * The rules `pg-residency verify` checks, by stable id. The ids, names and
 * levels are part of the `--json` contract (docs/reference/verify.md "Residency proof"): a rule
 * keeps its id for as long as it exists, and a new check gets a new id.
 *
 * RV1xx rows, RV2xx catalog drift, RV3xx leak channels, RV4xx reachability.
 */
export const RULES = {
  RV101: {
    name: 'directory-row-missing',
    level: 'error',
    checks: "a key's directory row is missing in a region while other regions hold it",
  },
  RV102: { name: 'directory-row-differs', level: 'error', checks: "a region's directory row differs from the owner's" },
  RV103: { name: 'leaf-row-wrong-region', level: 'error', checks: "a row of a region's local leaf carries another region's value" },
  RV104: {
    name: 'personal-row-outside-owner',
    level: 'error',
    checks: "a personal row in a region that the directory does not name as the key's owner, while the owner holds it too",
  },
  RV105: { name: 'personal-row-missing', level: 'error', checks: 'directory rows for a key whose personal row no region holds' },
  RV106: {
    name: 'rehome-interrupted',
    level: 'error',
    checks:
      'a personal row stored only outside the owner its directory names (an interrupted rehome), or in several regions with no single owner',
  },
  RV107: { name: 'personal-row-without-directory', level: 'error', checks: 'a personal row with no directory row in any region' },
  RV108: {
    name: 'write-unresolved',
    level: 'error',
    checks:
      'a part of a two-phase write prepared over a minute ago and neither committed nor rolled back (its coordinator crashed or lost the region): it holds row locks and back vacuum, and its rows are not visible yet',
  },
  RV109: {
    name: 'write-decided-prepared',
    level: 'error',
    checks:
      "directory rows for a key whose personal row no region shows, while a two-phase write whose coordinator holds its commit record is still prepared: the decided write's rows appear once `pg-residency resolve` commits it (not an orphan: repair leaves it)",
  },
  RV201: {
    name: 'object-missing',
    level: 'error',
    checks: 'an object an applied migration created (schema, table, foreign table, type, server, function by signature) is missing',
  },
  RV202: {
    name: 'object-unexpected',
    level: 'error',
    checks: 'an object in a managed schema that no applied migration created (extension members aside)',
  },
  RV203: {
    name: 'column-drift',
    level: 'error',
    checks: "a directory, parent, leaf or foreign partition's columns differ from regions.yaml (missing, extra, other type)",
  },
  RV204: {
    name: 'partition-drift',
    level: 'error',
    checks: 'a leaf or foreign partition is not attached to its parent, or its bound is not its region',
  },
  RV205: { name: 'constraint-missing', level: 'error', checks: "a local leaf lacks its primary key or its CHECK (region = '<region>')" },
  RV206: {
    name: 'foreign-table-target',
    level: 'error',
    checks:
      "a foreign partition does not read the owner region's local leaf through the owner's server (e.g. it reads the parent, which loops and reads every region)",
  },
  RV207: { name: 'function-drift', level: 'error', checks: 'a function body differs from the one the applied migrations created' },
  RV208: {
    name: 'server-options',
    level: 'error',
    checks:
      "a region's foreign server's host, port, dbname, sslrootcert or connect_timeout differ from what migrate binds from regions.yaml (the region's own, or its pooler's where this region has one)",
  },
  RV209: { name: 'server-undeclared-host', level: 'error', checks: 'a foreign server reaching a host regions.yaml does not name' },
  RV210: { name: 'user-mapping-role', level: 'error', checks: 'a user mapping that logs in as a role other than the link role' },
  RV211: {
    name: 'link-not-verified-tls',
    level: 'error',
    checks: 'a foreign server whose sslmode is below verify-full without regions.yaml saying so',
  },
  RV212: {
    name: 'link-tls-weakened',
    level: 'warning',
    checks: 'a foreign server whose sslmode regions.yaml explicitly weakened below verify-full',
  },
  RV213: {
    name: 'link-role-grants',
    level: 'error',
    checks:
      'the link role lacks SELECT on the local leaf, or holds more (INSERT, UPDATE, DELETE, TRUNCATE, ...: writes go through the apply functions)',
  },
  RV214: {
    name: 'link-role-rights',
    level: 'error',
    checks:
      'the link role holds a right beyond SELECT on the local leaves and the directories, EXECUTE on the apply functions and decide(), INSERT on the commit records and USAGE on their schemas (a write right on a directory, CREATE anywhere, a role membership), or lacks one of those',
  },
  RV215: {
    name: 'dblink-exposed',
    level: 'error',
    checks: 'dblink missing or not in schema residency_dblink, or its functions executable by PUBLIC, the link role or an app role',
  },
  RV216: {
    name: 'prepared-transactions-off',
    level: 'error',
    checks: 'max_prepared_transactions is 0: every (two-phase) write fails',
  },
  RV217: {
    name: 'app-role-not-member',
    level: 'error',
    checks: 'a role of app_roles missing, or not a member of the app group (app_group) that holds the grants on the generated objects',
  },
  RV301: {
    name: 'statistics-copied',
    level: 'error',
    checks: "pg_statistic rows of a foreign partition, or of a parent's resident columns (samples of other regions' personal values)",
  },
  RV302: {
    name: 'publication-personal',
    level: 'error',
    checks: 'a publication that includes a personal table (a leaf, a parent with foreign partitions), or FOR ALL TABLES',
  },
  RV303: {
    name: 'stat-statements-utility',
    level: 'error',
    checks:
      'pg_stat_statements loaded or installed with track_utility on: utility statements (CALL, DO, PREPARE ...) are kept with their literal values',
  },
  RV304: { name: 'log-statement', level: 'error', checks: 'log_statement mod or all, for the server or a role/database' },
  RV305: {
    name: 'log-duration',
    level: 'error',
    checks: 'log_min_duration_statement >= 0 (or a statement/transaction sample rate), for the server or a role/database',
  },
  RV306: {
    name: 'log-error-statement',
    level: 'error',
    checks: "log_min_error_statement at error or below for an app role (a failing call's text is logged)",
  },
  RV307: {
    name: 'log-parameters-on-error',
    level: 'error',
    checks: 'log_parameter_max_length_on_error != 0 (13+): bind parameters of failing statements are logged',
  },
  RV308: {
    name: 'link-role-log-settings',
    level: 'error',
    checks: "the link role's protective per-role log settings are missing or changed",
  },
  RV309: {
    name: 'queue-holds-values',
    level: 'error',
    checks: 'an outbox or queue table with columns beyond the key, the region and queued_at',
  },
  RV310: {
    name: 'direct-rights-personal',
    level: 'error',
    checks: 'PUBLIC or an app role with direct rights on a leaf or a foreign partition',
  },
  RV311: { name: 'link-session-without-tls', level: 'error', checks: 'a live session of the link role that is not TLS (pg_stat_ssl)' },
  RV401: { name: 'region-unreachable', level: 'error', checks: 'a region cannot reach another through its foreign server' },
  RV402: {
    name: 'rollout-in-progress',
    level: 'warning',
    checks: 'a region has generated migrations it has not applied yet: rows are compared once every region runs the same step',
  },
} as const satisfies Record<string, { name: string; level: 'error' | 'warning'; checks: string }>;

export type RuleId = keyof typeof RULES;
