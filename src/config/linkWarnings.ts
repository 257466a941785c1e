import type { Region, SslMode } from './types.js';

const RISK: Record<Exclude<SslMode, 'verify-full'>, string> = {
  disable: 'the other regions reach it in clear text, so personal data crosses the border unencrypted',
  allow: 'the other regions try clear text first, so personal data may cross the border unencrypted',
  prefer: 'a server or network that declines TLS makes the other regions fall back to clear text, and no certificate is checked',
  require: 'the link is encrypted, but no certificate is checked, so anyone on the path can pose as this region',
  'verify-ca':
    'the certificate is checked against the CA, but not the host name, so any server with a certificate from that CA can pose as this region',
};

/**
 * The warnings about how the other regions reach `region`: one when
 * regions.yaml weakened its sslmode below `verify-full`, none otherwise.
 * Commands return them with their results; the CLI prints them.
 * @example linkWarnings(gbr) // ['region "gbr": fdw.sslmode is "disable": the other regions reach it in clear text, ...']
 */
export function linkWarnings(region: Region): string[] {
  const mode = region.fdw.sslmode;
  if (mode === 'verify-full') return [];
  return [`region "${region.name}": fdw.sslmode is "${mode}": ${RISK[mode]}; remove fdw.sslmode from regions.yaml to use verify-full`];
}
