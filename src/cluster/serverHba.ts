import type { LinkAuth } from '../config/types.js';

/** How a dev server admits the link role. */
export interface HbaInput {
  readonly linkRole: string;
  /** `cert`: the link role's client certificate; `password`: SCRAM. */
  readonly linkAuth: LinkAuth;
  /** Whether the link role must come over TLS; false only when regions.yaml weakened the region's sslmode to disable, allow or prefer. */
  readonly linkTlsOnly: boolean;
}

/** pg_hba.conf has no escape for a double quote inside a quoted name. */
export function hbaNameProblem(name: string): string | undefined {
  return name.includes('"') ? 'holds a double quote, which pg_hba.conf cannot express' : undefined;
}

/**
 * A dev server's pg_hba.conf: trust over its private Unix socket, SCRAM over
 * TCP, and the link role (the other regions) over TLS only (`hostssl`), by
 * certificate or SCRAM; a plain TCP connection of the link role is rejected.
 * Lines are matched top down, so the link role's come first.
 * @example renderHba({ linkRole: 'residency_link', linkAuth: 'password', linkTlsOnly: true })
 */
export function renderHba(input: HbaInput): string {
  const role = `"${input.linkRole}"`;
  const link = input.linkAuth === 'cert' ? 'cert' : 'scram-sha-256';
  const lines = [
    '# Written by pg-residency dev up at every start; change regions.yaml instead.',
    '# TYPE  DATABASE  USER  ADDRESS  METHOD',
    'local   all  all  trust',
    ...(input.linkTlsOnly
      ? [`hostssl all  ${role}  all  ${link}`, `host    all  ${role}  all  reject`]
      : [`host    all  ${role}  all  scram-sha-256`]),
    'host    all  all  127.0.0.1/32  scram-sha-256',
    'host    all  all  ::1/128  scram-sha-256',
  ];
  return `${lines.join('\n')}\n`;
}
