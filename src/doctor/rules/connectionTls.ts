import { doctorFinding } from '../doctorFinding.js';
import { isLocalHost } from '../../config/localHost.js';
import type { DoctorRule } from '../doctorRule.js';

/** The CLI's own connection, which carries the migrator's password and every value sync and repair read, is TLS unless it stays on this machine. */
export const connectionTls: DoctorRule = ({ region, snapshot }) => {
  if (snapshot.ssl) return [];
  let host: string;
  try {
    host = decodeURIComponent(new URL(region.url).hostname);
  } catch {
    return [];
  }
  if (isLocalHost(host)) return [];
  return [
    doctorFinding(
      'connection-without-tls',
      'warning',
      "the CLI's connection is not encrypted",
      `the connection to ${host} is not TLS (pg_stat_ssl): the migrator's password and what the commands read cross the network in clear`,
      `add ?sslmode=verify-full&sslrootcert=<the CA file> to region "${region.name}"'s url in regions.yaml (and ssl = on on the server)`,
    ),
  ];
};
