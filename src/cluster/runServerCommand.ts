import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ServerUser } from './serverUser.js';

/** How a server program ended, with its output. */
export interface CommandOutcome {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runServerCommand}. */
export interface RunServerCommandOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

const MAX_OUTPUT_CHARS = 64 * 1024;

/**
 * Runs one of the PostgreSQL programs, as `user` through `runuser` when given
 * (that is, when this process is root). Arguments go to the program as they
 * are, with no shell in between. Resolves with the exit code and output; a
 * non-zero exit is not an error here. Rejects with a plain Error when the
 * program cannot be run at all; the caller adds which region it was for.
 * @example await runServerCommand(user, binaries.pgCtl, ['-D', dataDir, 'status'], { cwd, env })
 */
export function runServerCommand(
  user: ServerUser | undefined,
  program: string,
  args: readonly string[],
  options: RunServerCommandOptions,
): Promise<CommandOutcome> {
  const [file, argv] =
    user === undefined ? [program, [...args]] : [findRunuser(options.env.PATH), ['-u', user.name, '--', program, ...args]];
  return new Promise((resolve, reject) => {
    // detached: a server that pg_ctl starts must not share our process group,
    // or a Ctrl-C meant for pg-residency would reach it too.
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT_CHARS) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT_CHARS) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'ENOENT' && user !== undefined ? '; runuser (util-linux) is needed to run PostgreSQL as a non-root user' : '';
      reject(new Error(`cannot run ${file}: ${error.message}${hint}`, { cause: error }));
    });
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

/** runuser lives in an sbin directory, which a non-login PATH may lack. */
function findRunuser(path: string | undefined): string {
  const dirs = [...(path ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean);
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'runuser'), constants.X_OK);
      return join(dir, 'runuser');
    } catch {
      // not here
    }
  }
  return 'runuser';
}
