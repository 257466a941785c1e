import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pgbouncerBinary } from '../../src/cluster/devPooler.js';
import { renderAuthFile } from '../../src/cluster/poolerConfig.js';
import { runServerCommand } from '../../src/cluster/runServerCommand.js';
import { serverUser } from '../../src/cluster/serverUser.js';
import { freePort } from './freePort.js';

export interface AppPooler {
  readonly port: number;
  readonly pid: number;
  /** A new client session through the pooler as `user` (trust on loopback), connected; the caller ends it. */
  connect(user: string): Promise<pg.Client>;
  /** Stops it (SIGTERM) and deletes its directory. */
  stop(): Promise<void>;
}

/**
 * A PgBouncer in transaction mode in front of one region's server for the
 * application's sessions (database `residency`, `poolSize` server
 * connections per user), as an application pooler is deployed: trust on
 * loopback towards the clients, each user's password in its auth file to log
 * in to the server; a scratch directory, run as the server's OS user.
 */
export async function startAppPooler(options: {
  readonly serverPort: number;
  readonly users: Readonly<Record<string, string>>;
  readonly poolSize: number;
}): Promise<AppPooler> {
  const user = await serverUser();
  const dir = await mkdtemp(join(tmpdir(), 'rsd-apppooler-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const files = { ini: join(dir, 'pgbouncer.ini'), users: join(dir, 'users.txt'), pid: join(dir, 'pgbouncer.pid') };
  await writeFile(
    files.ini,
    [
      '[databases]',
      `residency = host=127.0.0.1 port=${options.serverPort} dbname=residency`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'auth_type = trust',
      `auth_file = ${files.users}`,
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${files.pid}`,
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  await writeFile(
    files.users,
    Object.entries(options.users)
      .map(([name, password]) => renderAuthFile(name, password))
      .join(''),
    { mode: 0o600 },
  );
  if (user !== undefined) for (const f of [dir, files.ini, files.users]) await chown(f, user.uid, user.gid);
  const outcome = await runServerCommand(user, pgbouncerBinary(), ['-d', '-q', files.ini], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  let pid: number | undefined;
  for (let i = 0; i < 200 && pid === undefined; i += 1) {
    pid = Number((await readFile(files.pid, 'utf8').catch(() => '')).trim()) || undefined;
    if (pid === undefined) await sleep(50);
  }
  if (pid === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the application pooler did not start: ${outcome.stderr.trim() || `exit code ${String(outcome.exitCode)}`}`);
  }
  const started = pid;
  return {
    port,
    pid: started,
    async connect(user) {
      const client = new pg.Client({ host: '127.0.0.1', port, user, database: 'residency' });
      await client.connect();
      return client;
    },
    async stop() {
      try {
        process.kill(started, 'SIGTERM');
      } catch {
        // already gone
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
