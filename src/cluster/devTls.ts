import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, Region } from '../config/types.js';
import { regionAddress } from './regionAddress.js';
import { regionDirName } from './regionPaths.js';
import type { ServerUser } from './serverUser.js';

/**
 * The folder, inside the state directory, of the dev fleet's CA and
 * certificates. A leading dot: no region's folder can have that name
 * ({@link regionDirName} encodes a leading `.`).
 */
export const TLS_DIR_NAME = '.tls';

/** The dev fleet's certificate files. */
export interface DevTlsPaths {
  readonly dir: string;
  /** The local CA: every region's server certificate and the link role's are signed by it. */
  readonly caCert: string;
  /** Only this process's user reads it; the servers never need it. */
  readonly caKey: string;
  /** The link role's client certificate (CN = the link role), for certificate authentication. */
  readonly linkCert: string;
  readonly linkKey: string;
}

/** A region server's certificate and key. */
export interface ServerTlsFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * Where the dev fleet keeps its certificates. From a region's data directory
 * (`<stateDir>/<region>/data`, where the server runs) the folder is
 * `../../.tls`: the root regions.yaml names the CA and the link role's
 * certificate that way, so they hold for any --state-dir.
 * @example devTlsPaths('.pg-residency').caCert // '.pg-residency/.tls/ca.crt'
 */
export function devTlsPaths(stateDir: string): DevTlsPaths {
  const dir = join(stateDir, TLS_DIR_NAME);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    linkCert: join(dir, 'link.crt'),
    linkKey: join(dir, 'link.key'),
  };
}

/** A region server's certificate files, named after its folder. */
export function serverTlsFiles(stateDir: string, region: string): ServerTlsFiles {
  const { dir } = devTlsPaths(stateDir);
  const base = regionDirName(region);
  return { cert: join(dir, `${base}.crt`), key: join(dir, `${base}.key`) };
}

/**
 * The names and addresses a region's certificate is valid for: those the
 * other regions use (its fdw host), and the loopback names a local server
 * answers on. An IP address is listed both as an IP and as a DNS name:
 * libpq before 14 compares the host text with DNS names only.
 * @example serverNames(usa) // ['127.0.0.1', 'localhost', '::1']
 */
export function serverNames(region: Region): string[] {
  return [...new Set([region.fdw.host, regionAddress(region).host, '127.0.0.1', 'localhost', '::1'])];
}

function subjectAltName(names: readonly string[]): string {
  const isIp = (n: string) => /^[0-9.]+$/.test(n) || n.includes(':');
  return names.flatMap((n) => (isIp(n) ? [`IP:${n}`, ...(n.includes(':') ? [] : [`DNS:${n}`])] : [`DNS:${n}`])).join(',');
}

/** A `-subj` value: `/` `+` `=` `\` and `,` are escaped, so any role name can be a CN. */
function subject(commonName: string): string {
  return `/CN=${commonName.replace(/[\\/+=,]/g, (c) => `\\${c}`)}`;
}

function openssl(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'the openssl command is not installed; install OpenSSL 3 (apt-get install openssl)'
          : `openssl ${args[0]} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`;
      reject(new Error(`cannot create the local fleet's TLS certificates: ${reason}`, { cause: error }));
    });
  });
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
/** Ten years: a dev fleet's certificates should not expire under it. */
const DAYS = '3650';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates a certificate and its key signed by the CA (OpenSSL 3's `req -x509
 * -CA`), key mode 0600 owned by `owner`; both are written aside and renamed,
 * so a half-written pair is never used.
 */
async function issue(
  paths: DevTlsPaths,
  cert: string,
  key: string,
  commonName: string,
  extensions: readonly string[],
  owner: ServerUser | undefined,
) {
  const [tmpCert, tmpKey] = [`${cert}.${process.pid}.tmp`, `${key}.${process.pid}.tmp`];
  await openssl([
    'req',
    '-x509',
    ...KEY_ARGS,
    '-keyout',
    tmpKey,
    '-out',
    tmpCert,
    '-days',
    DAYS,
    '-subj',
    subject(commonName),
    '-CA',
    paths.caCert,
    '-CAkey',
    paths.caKey,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  await chmod(tmpKey, 0o600);
  await chmod(tmpCert, 0o644);
  if (owner !== undefined) await chown(tmpKey, owner.uid, owner.gid);
  await rename(tmpCert, cert);
  await rename(tmpKey, key);
}

/**
 * Makes sure the dev fleet has its TLS files under `<stateDir>/.tls`: a local
 * CA (its key readable by this process's user only), a server certificate
 * per region for the names the other regions use ({@link serverNames}), and
 * a client certificate for the link role. The keys the servers read belong
 * to the server account with mode 0600, as PostgreSQL and libpq require.
 * Files already there are kept; a missing one is created with the `openssl`
 * command. Nothing here is printed.
 * @throws Error when openssl is missing or fails; devUp names the region
 */
export async function ensureDevTls(config: Config, stateDir: string, owner: ServerUser | undefined): Promise<DevTlsPaths> {
  const paths = devTlsPaths(stateDir);
  // Others may traverse (the server account reads its files); nothing is listed.
  await mkdir(paths.dir, { recursive: true, mode: 0o711 });
  await chmod(paths.dir, 0o711);
  if (!(await exists(paths.caCert)) || !(await exists(paths.caKey))) {
    const [tmpCert, tmpKey] = [`${paths.caCert}.${process.pid}.tmp`, `${paths.caKey}.${process.pid}.tmp`];
    await openssl([
      'req',
      '-x509',
      ...KEY_ARGS,
      '-keyout',
      tmpKey,
      '-out',
      tmpCert,
      '-days',
      DAYS,
      '-subj',
      '/CN=pg-residency dev fleet CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await chmod(tmpKey, 0o600);
    await chmod(tmpCert, 0o644);
    await rename(tmpCert, paths.caCert);
    await rename(tmpKey, paths.caKey);
    // Everything signed by an earlier CA is worthless now.
    for (const region of config.regions) {
      const files = serverTlsFiles(stateDir, region.name);
      await rm(files.cert, { force: true });
    }
    await rm(paths.linkCert, { force: true });
  }
  const pending: Promise<void>[] = [];
  for (const region of config.regions) {
    const files = serverTlsFiles(stateDir, region.name);
    if ((await exists(files.cert)) && (await exists(files.key))) continue;
    pending.push(
      issue(
        paths,
        files.cert,
        files.key,
        `pg-residency ${regionDirName(region.name)}`,
        [`subjectAltName=${subjectAltName(serverNames(region))}`, 'extendedKeyUsage=serverAuth'],
        owner,
      ),
    );
  }
  if (!(await exists(paths.linkCert)) || !(await exists(paths.linkKey))) {
    pending.push(issue(paths, paths.linkCert, paths.linkKey, config.link.role, ['extendedKeyUsage=clientAuth'], owner));
  }
  await Promise.all(pending);
  return paths;
}
