import { SSL_MODES, type Region } from '../../config/types.js';
import { doctorFinding, type DoctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** What to do about a link libpq refused, from libpq's own reason. */
function linkFix(here: string, to: Region, reason: string): string {
  const rebind = 'then `pg-residency migrate up --all` binds the link again';
  if (/root certificate|certificate verify failed|self[- ]signed|unable to get local issuer/i.test(reason))
    return `set fdw: { sslrootcert: <the CA file that signed "${to.name}"'s server certificate> } for region "${to.name}" in regions.yaml, as a path on "${here}"'s server (a relative one is read from its data directory); ${rebind}`;
  if (/server certificate for .* does not match host name/i.test(reason))
    return `set fdw.host of region "${to.name}" in regions.yaml to a name its server certificate holds; ${rebind}`;
  if (/certificate|private key/i.test(reason))
    return `set link.sslcert and link.sslkey in regions.yaml to the link role's certificate and key, as paths on "${here}"'s server, or remove both to log in with passwords; ${rebind}`;
  if (/password is required/i.test(reason) && to.fdw.auth === 'cert')
    return `dblink lets a role that is not a superuser log in only with a password, and the link to "${to.name}" uses the link role's certificate: remove link.sslcert and link.sslkey from regions.yaml (the links then log in with passwords); ${rebind}`;
  if (/password authentication failed|password is required|no password|no pg_hba/i.test(reason))
    return `set ${to.fdw.passwordEnv} to the link role's password (the same value in every region's migrate) and allow the link role in "${to.name}"'s pg_hba.conf (hostssl ... scram-sha-256); ${rebind}`;
  if (/does not support SSL|SSL off/i.test(reason)) return `turn ssl on in "${to.name}"'s server (ssl = on, with its certificate and key)`;
  return `check that "${to.name}" is up and that its fdw host and port in regions.yaml reach it from "${here}"'s server; ${rebind}`;
}

/**
 * Each link from this region to another: tried through its foreign server
 * where the region is migrated (libpq's reason when it fails); otherwise what
 * regions.yaml lets one check: sslmode, the CA file, and (for a superuser)
 * whether the files it names exist on this server.
 */
export const linkTls: DoctorRule = ({ config, region, snapshot }) => {
  const out: DoctorFinding[] = [];
  const missingFile = (path: string | undefined) =>
    path !== undefined && snapshot.files.some((f) => f.path === path && f.exists === false) ? path : undefined;
  for (const to of config.regions.filter((r) => r.name !== region.name)) {
    const probe = snapshot.linkProbes.find((p) => p.server === to.name);
    if (probe !== undefined && !probe.ok) {
      out.push(
        doctorFinding(
          'link-failed',
          'error',
          `"${region.name}" cannot reach "${to.name}"`,
          `connecting through the server "${to.name}" as the link role failed: ${probe.error ?? 'no reason given'}`,
          linkFix(region.name, to, probe.error ?? ''),
        ),
      );
      continue;
    }
    if (SSL_MODES.indexOf(to.fdw.sslmode) < SSL_MODES.indexOf('verify-full'))
      out.push(
        doctorFinding(
          'link-sslmode',
          'warning',
          `the link to "${to.name}" does not check its server`,
          `fdw.sslmode of region "${to.name}" is ${to.fdw.sslmode}: ${SSL_MODES.indexOf(to.fdw.sslmode) < SSL_MODES.indexOf('require') ? 'the link may be unencrypted' : "the server's host name is not checked"}, so a server in between could read other regions' calls`,
          `set fdw: { sslmode: verify-full, sslrootcert: <CA file> } for region "${to.name}" in regions.yaml`,
        ),
      );
    if (probe !== undefined) continue;
    const verifies = to.fdw.sslmode === 'verify-ca' || to.fdw.sslmode === 'verify-full';
    if (verifies && to.fdw.sslrootcert === undefined)
      out.push(
        doctorFinding(
          'link-sslrootcert',
          'warning',
          `the link to "${to.name}" names no CA file`,
          `fdw.sslrootcert of region "${to.name}" is not set: libpq on "${region.name}"'s server then looks for root.crt in ~/.postgresql of the server's OS user, and fails without it`,
          `set fdw: { sslrootcert: <the CA file that signed "${to.name}"'s server certificate> } for region "${to.name}" in regions.yaml, as a path on "${region.name}"'s server`,
        ),
      );
    const missing = [
      verifies ? missingFile(to.fdw.sslrootcert) : undefined,
      ...(to.fdw.auth === 'cert' ? [missingFile(config.link.sslcert), missingFile(config.link.sslkey)] : []),
    ].filter((p): p is string => p !== undefined);
    if (missing.length > 0)
      out.push(
        doctorFinding(
          'link-file-missing',
          'error',
          `a TLS file of the link to "${to.name}" is not on "${region.name}"'s server`,
          `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist on "${region.name}"'s server (a relative path is read from its data directory)`,
          `copy the file(s) to "${region.name}"'s server, or set the paths in regions.yaml (fdw.sslrootcert of "${to.name}", link.sslcert, link.sslkey) to where they are on it`,
        ),
      );
  }
  return out;
};
