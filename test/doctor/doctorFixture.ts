import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import type { DoctorInput } from '../../src/doctor/doctorRule.js';
import type { DoctorSnapshot } from '../../src/doctor/doctorSnapshot.js';
import { linkRoleLogSettings } from '../../src/plan/linkRoleSettings.js';

/** Three regions on 10, 15 and 18, two on remote hosts, aus on this machine; uuid-ossp needed by a default. */
export const CONFIG: Config = parseConfig(
  `
regions:
  - { name: usa, url: "postgres://migrator@db.usa.example:5432/residency", postgres: 10, fdw: { sslrootcert: /etc/ssl/ca.crt } }
  - { name: gbr, url: "postgres://migrator@db.gbr.example:5432/residency", postgres: 15, fdw: { sslrootcert: /etc/ssl/ca.crt } }
  - { name: aus, url: "postgres://migrator@127.0.0.1:5432/residency", postgres: 18, fdw: { sslrootcert: /etc/ssl/ca.crt } }
entities:
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid, default: uuid_generate_v4() }
    resident: [{ name: name, type: text }]
`,
  'regions.yaml',
  {},
);

/**
 * A fleet of `regions` (regions.yaml lines, one `- { name: ... }` each) with
 * one entity, identity (a uuid key, a resident name): for the rules that
 * read only the regions' settings (poolers, gates).
 */
export function fleetOf(regions: string): Config {
  return parseConfig(
    `
regions:
${regions.replace(/^\n+|\s+$/g, '')}
entities:
  - name: identity
    key: { name: uuid, type: uuid }
    resident: [{ name: name, type: text }]
`,
    'regions.yaml',
    {},
  );
}

/** A region as a ready, migrated fleet leaves it, seen by a migrator that is not a superuser (PostgreSQL 15, gbr). */
export function readySnapshot(overrides: Partial<DoctorSnapshot> = {}): DoctorSnapshot {
  return {
    major: 15,
    version: '15.4 (Debian 15.4-1)',
    ssl: true,
    sslVersion: 'TLSv1.3',
    user: 'migrator',
    database: 'residency',
    superuser: false,
    createrole: true,
    databaseOwner: 'migrator',
    ownsDatabase: true,
    createOnDatabase: true,
    extensions: [
      { name: 'plpgsql', schema: 'pg_catalog' },
      { name: 'postgres_fdw', schema: 'public' },
      { name: 'dblink', schema: 'residency_dblink' },
      { name: 'uuid-ossp', schema: 'public' },
    ],
    available: [
      { name: 'postgres_fdw', trusted: false },
      { name: 'dblink', trusted: false },
      { name: 'uuid-ossp', trusted: true },
    ],
    fdwUsage: true,
    dblinkSchema: { name: 'residency_dblink', usage: true, publicUsage: false },
    dblinkFunctions: [
      { signature: 'residency_dblink.dblink_connect(text,text)', execute: true, publicExecute: false },
      { signature: 'residency_dblink.dblink_get_connections()', execute: true, publicExecute: false },
    ],
    parameterPrivileges: linkRoleLogSettings(15).map((s) => ({ name: s.name, granted: true })),
    settings: {
      max_prepared_transactions: '300',
      max_connections: '100',
      log_statement: 'ddl',
      log_min_duration_statement: '-1',
      log_min_error_statement: 'error',
      log_parameter_max_length_on_error: '0',
    },
    roleSettings: [{ role: 'residency_link', database: '', config: linkRoleLogSettings(15).map((s) => `${s.name}=${s.value}`) }],
    linkRoleExists: true,
    servers: [
      { name: 'usa', options: { host: 'db.usa.example', port: '5432' } },
      { name: 'gbr', options: { host: 'db.gbr.example', port: '5432' } },
      { name: 'aus', options: { host: '127.0.0.1', port: '5432' } },
    ],
    linkProbes: [
      { server: 'usa', ok: true },
      { server: 'aus', ok: true },
    ],
    files: [],
    ...overrides,
  };
}

/** The rule input for a region of {@link CONFIG} (gbr by default) with every password variable set. */
export function input(snapshot: DoctorSnapshot, region = 'gbr', envSet: readonly string[] = ['PG_RESIDENCY_LINK_PASSWORD']): DoctorInput {
  return { config: CONFIG, region: CONFIG.regions.find((r) => r.name === region)!, snapshot, envSet: new Set(envSet) };
}
