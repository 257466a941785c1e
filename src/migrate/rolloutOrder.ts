import type { MigrationFile, RegionMigrations } from './regionMigrations.js';

/** What a region outside the run has applied (or why that is unknown). */
export interface RegionProgress {
  readonly region: string;
  readonly migrations: RegionMigrations;
  /** Names of the applied migrations; undefined when the region could not be read. */
  readonly applied: ReadonlySet<string> | undefined;
  /** Why the region could not be read. */
  readonly unreadable?: string;
}

/** A remote file of a region's queue that must wait for other regions' local wave. */
export interface RemoteWait {
  /** Its position in the queue: the files before it may run. */
  readonly index: number;
  readonly file: MigrationFile;
  readonly step: string;
  /** The regions that have not run the step's local files, each with why when it could not be read. */
  readonly behind: readonly { readonly region: string; readonly why?: string }[];
}

/**
 * The order of a rollout region by region (`migrate up --region`), the same
 * as `--all` keeps with its waves: a step's remote files (functions that
 * accept a new column, foreign tables that read one) run in a region only
 * once every region has run the step's local files (the column exists
 * everywhere). So a canary region never accepts a value another region would
 * drop. Returns the first remote file of the queue that must wait, and for
 * whom; undefined when the whole queue may run. A region's first step (its
 * creation) never waits: the others may not exist yet. Pure.
 * @example remoteWaits(usa, queue, [gbr, aus]) // { index: 1, step: 'add-phone', behind: [{ region: 'gbr' }], ... }
 */
export function remoteWaits(
  target: RegionMigrations,
  queue: readonly MigrationFile[],
  others: readonly RegionProgress[],
): RemoteWait | undefined {
  const stepOf = new Map<string, { name: string; first: boolean }>();
  target.steps.forEach((s, i) => {
    for (const f of s.files) stepOf.set(f, { name: s.name, first: i === 0 });
  });
  for (const [index, file] of queue.entries()) {
    if (file.phase !== 'remote') continue;
    const step = stepOf.get(file.name);
    if (step === undefined || step.first) continue;
    const behind = others.flatMap((o) => {
      const theirs = [...o.migrations.steps].reverse().find((s) => s.name === step.name);
      if (theirs === undefined) return [];
      const local = o.migrations.files.filter((f) => f.phase === 'local' && theirs.files.includes(f.name));
      if (local.length === 0) return [];
      if (o.applied === undefined) return [{ region: o.region, why: o.unreadable ?? 'it could not be read' }];
      return local.some((f) => !o.applied!.has(f.name)) ? [{ region: o.region }] : [];
    });
    if (behind.length > 0) return { index, file, step: step.name, behind };
  }
  return undefined;
}

/** The warning for a queue stopped before a remote file: which regions must go first, and the command. */
export function remoteWaitMessage(region: string, wait: RemoteWait): string {
  const names = behindNames(wait);
  const flags = wait.behind.map((b) => `--region ${b.region}`).join(' ');
  return `rollout in progress: region "${region}" ran step "${wait.step}" up to its remote wave; ${wait.file.file} waits until ${names} ran the step's local wave (so that no region accepts a column another region does not have yet). Run \`pg-residency migrate up ${flags}\` (or --all), then \`pg-residency migrate up --region ${region}\` again`;
}

/**
 * Whether a file of a step renames a column: the step's record in state.json
 * lists it in `together` (its typed change said so at generation,
 * Contribution.together); a step recorded before `together` existed is read
 * from the file's header, which names the rename template.
 */
function renamesColumn(file: MigrationFile, step: RegionMigrations['steps'][number]): boolean {
  if (step.together !== undefined) return step.together.includes(file.name);
  const header = file.content.slice(0, file.content.indexOf('-- Up Migration'));
  return header.includes('templates/column_rename.sql.hbs');
}

/**
 * A rename rolls out to every region in one run (issue 18): a region renamed
 * while another is not would store the column's default for a value the other
 * sends under the old name. Returns the first file of the queue that renames
 * a column while a region outside the run has not applied its step, with
 * those regions; undefined when the queue may run. Pure.
 * @example renameWaits(usa, queue, [gbr, aus]) // { index: 0, step: 'rename-phone', behind: [{ region: 'gbr' }, { region: 'aus' }], ... }
 */
export function renameWaits(
  target: RegionMigrations,
  queue: readonly MigrationFile[],
  others: readonly RegionProgress[],
): RemoteWait | undefined {
  for (const [index, file] of queue.entries()) {
    const step = target.steps.find((s) => s.files.includes(file.name));
    if (step === undefined || !renamesColumn(file, step)) continue;
    const behind = others.flatMap((o) => {
      const theirs = o.migrations.steps.find((s) => s.name === step.name);
      if (theirs === undefined) return [];
      if (o.applied === undefined) return [{ region: o.region, why: o.unreadable ?? 'it could not be read' }];
      return theirs.files.some((f) => !o.applied!.has(f)) ? [{ region: o.region }] : [];
    });
    if (behind.length > 0) return { index, file, step: step.name, behind };
  }
  return undefined;
}

/** The warning for a queue stopped before a rename: it rolls out with --all. */
export function renameWaitMessage(region: string, wait: RemoteWait): string {
  const names = behindNames(wait);
  return `step "${wait.step}" renames a column: ${wait.file.file} was not run in region "${region}" because ${names} did not run it yet, and a region renamed before the others would store the default for a value written under the old name. A rename rolls out to every region in one run: \`pg-residency migrate up --all\``;
}

/** The regions a wait is for, quoted, each with why when it could not be read. */
function behindNames(wait: RemoteWait): string {
  return wait.behind.map((b) => `"${b.region}"${b.why === undefined ? '' : ` (${b.why})`}`).join(', ');
}
