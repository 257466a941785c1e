import type { Config } from '../config/types.js';

/**
 * What one generation was made from, recorded in `generated/<region>/state.json`
 * so that a later change to regions.yaml can be told apart from a template
 * change, and (later) turned into appended migrations. No URLs, no secrets.
 */
export function desiredState(config: Config, regionName: string) {
  return {
    region: regionName,
    // Certificate paths differ per environment, like the hosts: not recorded.
    link: { role: config.link.role, passwordEnv: config.link.passwordEnv },
    timeouts: config.timeouts,
    fdwOptions: config.fdwOptions,
    extensions: config.extensions,
    appRoles: config.appRoles,
    regions: config.regions.map((r) => ({
      name: r.name,
      postgres: r.postgres,
      mode: r.mode,
      fdw: { host: r.fdw.host, port: r.fdw.port, dbname: r.fdw.dbname },
    })),
    entities: config.entities,
  };
}

export type DesiredState = ReturnType<typeof desiredState>;

export interface GenerationRecord {
  readonly generation: number;
  readonly files: readonly string[];
  readonly desired: DesiredState;
}

export interface StateFile {
  readonly format: 1;
  readonly generations: readonly GenerationRecord[];
}

export const STATE_FILE = 'state.json';

/** Stable JSON: the same state always gives the same bytes. */
export function renderState(state: StateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
