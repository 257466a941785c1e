import type { Config, Region, SslMode } from '../config/types.js';
import { SSL_MODES } from '../config/types.js';
import { durationMs } from '../config/durationMs.js';

/**
 * Session settings every pooled server connection gets when it is opened
 * (PgBouncer's `connect_query`). postgres_fdw sets them with plain `SET`s
 * when it connects, but in transaction mode its later transactions may run
 * on another server connection, and PgBouncer 1.18 carries over only
 * DateStyle, TimeZone, client_encoding, standard_conforming_strings and
 * application_name: search_path (postgres_fdw prints pg_catalog's functions
 * and operators unqualified), extra_float_digits (PostgreSQL 10 and 11 print
 * floats rounded without it) and IntervalStyle would be lost.
 */
export const POOLED_SESSION_SETTINGS = 'SET search_path = pg_catalog; SET extra_float_digits = 3; SET intervalstyle = postgres';

/** Files the pooler reads and writes, as absolute paths. */
export interface PoolerFiles {
  readonly authFile: string;
  readonly hbaFile: string;
  readonly logFile: string;
  readonly pidFile: string;
  /** The CA that checks the regions' servers and the link role's certificate. */
  readonly caFile: string | undefined;
  /** The certificate the pooler shows the region's server (the region's own server certificate in the dev fleet). */
  readonly serverCert: { readonly cert: string; readonly key: string } | undefined;
  /** The link role's client certificate, shown to every region's server; undefined: passwords only. */
  readonly linkCert: { readonly cert: string; readonly key: string } | undefined;
}

/** PgBouncer's name for a database or user: double-quoted when not plain. */
function iniName(name: string): string {
  return /^[A-Za-z0-9_]+$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** A connect-string value, single-quoted when not plain. */
function connValue(value: string): string {
  return /^[A-Za-z0-9_.:/-]+$/.test(value) ? value : `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The weakest of some sslmodes. */
function weakest(modes: readonly SslMode[]): SslMode {
  return modes.reduce((a, b) => (SSL_MODES.indexOf(a) <= SSL_MODES.indexOf(b) ? a : b), 'verify-full');
}

const TLS_MODES: readonly SslMode[] = ['require', 'verify-ca', 'verify-full'];

/** PgBouncer's query_wait_timeout, in whole seconds: the fleet's lock_timeout, at least 1. */
export function queueWaitSeconds(config: Pick<Config, 'timeouts'>): number {
  const ms = durationMs(config.timeouts.lockTimeout);
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 5;
}

/**
 * The pgbouncer.ini of the pooler beside `region`: transaction pooling, one
 * database per region of the fleet (named after the region, itself included)
 * with at most `pool_size` server connections each, TLS to each server
 * checked as the region's own links check it, the link role's certificate
 * shown where it has one. Holds no secret.
 * @throws Error when `region` has no pooler
 */
export function renderPoolerIni(config: Config, region: Region, files: PoolerFiles): string {
  const pooler = region.pooler;
  if (pooler === undefined) throw new Error(`region "${region.name}" has no pooler`);
  const serverMode = weakest(config.regions.map((r) => r.fdw.sslmode));
  const clientTls = TLS_MODES.includes(pooler.sslmode);
  const lines = [
    `; Written by pg-residency for region "${region.name}"'s link pooler at every start; change regions.yaml instead.`,
    '[databases]',
    ...config.regions.map(
      (r) =>
        `${iniName(r.name)} = host=${connValue(r.fdw.host)} port=${r.fdw.port} dbname=${connValue(r.fdw.dbname)} pool_size=${pooler.poolSize} max_db_connections=${pooler.poolSize} connect_query='${POOLED_SESSION_SETTINGS}'`,
    ),
    '',
    '[pgbouncer]',
    `listen_addr = ${pooler.host}`,
    `listen_port = ${pooler.port}`,
    'unix_socket_dir =',
    'pool_mode = transaction',
    `default_pool_size = ${pooler.poolSize}`,
    'reserve_pool_size = 0',
    // under the default open-files limit of 1024 (PgBouncer warns above it)
    'max_client_conn = 900',
    'auth_type = hba',
    `auth_hba_file = ${files.hbaFile}`,
    `auth_file = ${files.authFile}`,
    `stats_users = ${config.link.role}`,
    // a link waits for a server connection at most lock_timeout (as long as a claim waits for a key),
    // well within the write's link timeout (2 x lock_timeout + 1 s): past it PgBouncer answers
    // query_wait_timeout and the write fails with RS013 (the region's link pool is full), never
    // as an unreachable region (RS011, its rows queued)
    `query_wait_timeout = ${queueWaitSeconds(config)}`,
    'server_connect_timeout = 5',
    'ignore_startup_parameters = extra_float_digits',
    'log_connections = 0',
    'log_disconnections = 0',
    `logfile = ${files.logFile}`,
    `pidfile = ${files.pidFile}`,
    `server_tls_sslmode = ${serverMode}`,
    ...(files.caFile === undefined ? [] : [`server_tls_ca_file = ${files.caFile}`]),
    ...(files.linkCert === undefined
      ? []
      : [`server_tls_cert_file = ${files.linkCert.cert}`, `server_tls_key_file = ${files.linkCert.key}`]),
    ...(clientTls && files.serverCert !== undefined
      ? [
          'client_tls_sslmode = require',
          `client_tls_cert_file = ${files.serverCert.cert}`,
          `client_tls_key_file = ${files.serverCert.key}`,
          ...(files.caFile === undefined ? [] : [`client_tls_ca_file = ${files.caFile}`]),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The pooler's hba file: only the link role, to the fleet's databases (and
 * PgBouncer's console, for doctor), by certificate where the target region
 * takes one (`fdw.auth`), else SCRAM; over TLS when the pooler's sslmode asks
 * for it. Everyone else is rejected.
 */
export function renderPoolerHba(config: Config, region: Region): string {
  const pooler = region.pooler;
  if (pooler === undefined) throw new Error(`region "${region.name}" has no pooler`);
  const type = TLS_MODES.includes(pooler.sslmode) ? 'hostssl' : 'host';
  const role = iniName(config.link.role);
  const lines = config.regions.flatMap((r) =>
    ['0.0.0.0/0', '::0/0'].map(
      (address) => `${type} ${iniName(r.name)} ${role} ${address} ${r.fdw.auth === 'cert' ? 'cert' : 'scram-sha-256'}`,
    ),
  );
  lines.push(`${type} pgbouncer ${role} 0.0.0.0/0 scram-sha-256`, `${type} pgbouncer ${role} ::0/0 scram-sha-256`);
  lines.push('host all all 0.0.0.0/0 reject', 'host all all ::0/0 reject');
  return `${lines.join('\n')}\n`;
}

/** The auth_file line of the link role: its SCRAM verifier, never its password. */
export function renderAuthFile(role: string, verifier: string): string {
  return `"${role.replaceAll('"', '""')}" "${verifier}"\n`;
}
