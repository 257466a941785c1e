/** The file, inside the data directory, that holds the settings pg-residency manages. */
export const SETTINGS_FILE_NAME = 'pg-residency.conf';

/** The line appended once to postgresql.conf so that the server reads {@link SETTINGS_FILE_NAME}. */
export const SETTINGS_INCLUDE_LINE = `include_if_exists = '${SETTINGS_FILE_NAME}'`;

/** What a dev server's settings depend on. */
export interface ServerSettingsInput {
  readonly host: string;
  readonly port: number;
  readonly socketDir: string;
  /**
   * Trade durability for speed (`fsync`, `synchronous_commit` and
   * `full_page_writes` off): a killed server then loses commits it
   * acknowledged. Only for test fleets that inject no faults; default false.
   */
  readonly unsafeFast?: boolean;
  /** The server's certificate and key and the CA its clients' certificates are checked against: absolute paths. */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/**
 * Prepared transactions a dev server may hold: two-phase commit across
 * regions needs one per write the fleet's regions may have in flight at once,
 * this region's own included (its loopback part is prepared too since issue
 * 20; docs/guides/sizing.md): the max_connections (60) of three regions.
 */
export const MAX_PREPARED_TRANSACTIONS = 180;

/**
 * The settings of a dev server, as postgresql.conf text: where it listens,
 * TLS with the dev fleet's certificates, durable commits (a killed server keeps
 * every commit it acknowledged, unless `unsafeFast`), prepared transactions
 * for two-phase commit, PL/pgSQL and dblink loaded by the postmaster (a new
 * session's first write does not load them, docs/own-databases.md), and a small
 * footprint, since a fleet runs several servers on one machine. Written at
 * every start so that a port changed in regions.yaml takes effect, and kept
 * in a file so that a manual `pg_ctl start` behaves the same.
 * @example renderServerSettings({ host: '127.0.0.1', port: 54310, socketDir: '/x/run', tls: { certFile: '/s/.tls/usa.crt', keyFile: '/s/.tls/usa.key', caFile: '/s/.tls/ca.crt' } })
 */
export function renderServerSettings(input: ServerSettingsInput): string {
  const settings: [string, string | number][] = [
    ['port', input.port],
    ['listen_addresses', confString(input.host)],
    ['unix_socket_directories', confString(input.socketDir)],
    ['fsync', input.unsafeFast === true ? 'off' : 'on'],
    ['synchronous_commit', input.unsafeFast === true ? 'off' : 'on'],
    ['full_page_writes', input.unsafeFast === true ? 'off' : 'on'],
    ['max_prepared_transactions', MAX_PREPARED_TRANSACTIONS],
    ['max_connections', 60],
    ['shared_buffers', confString('32MB')],
    // loaded once by the postmaster, not by each new session on its first write
    ['shared_preload_libraries', confString('plpgsql, dblink')],
    ['ssl', 'on'],
    ['ssl_cert_file', confString(input.tls.certFile)],
    ['ssl_key_file', confString(input.tls.keyFile)],
    ['ssl_ca_file', confString(input.tls.caFile)],
  ];
  const warning = input.unsafeFast === true ? '# UNSAFE: a crash loses acknowledged commits (a test fleet that injects no faults).\n' : '';
  return `# Written by pg-residency dev up at every start; change regions.yaml instead.\n${warning}${settings.map(([name, value]) => `${name} = ${value}\n`).join('')}`;
}

/** A postgresql.conf string value: quotes double, and a backslash is an escape there. */
function confString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
