import { DEFAULT_APP_GROUP } from '../config/derivedNames.js';
import type { Config, Major, Mode } from '../config/types.js';

/**
 * What a generation is made from: the config without anything that differs
 * per environment (urls, hosts, ports, database names, which come from
 * `${VAR}` expansion). Two environments with one regions.yaml have one
 * FleetState, so they share one generated history.
 */
export interface FleetState extends Omit<Config, 'regions' | 'link' | 'appGroup'> {
  /**
   * Undefined in a history generated before the app group: its app roles
   * were granted each object directly (ops/appGroup.ts appends the move).
   */
  readonly appGroup?: string;
  readonly link: { readonly role: string; readonly passwordEnv: string };
  readonly regions: readonly {
    readonly name: string;
    readonly postgres: Major;
    readonly mode: Mode;
    readonly passwordEnv: string;
  }[];
}

export function fleetState(config: Config): FleetState {
  return {
    mode: config.mode,
    // the link role's certificate paths differ per environment: bound at migrate time
    link: { role: config.link.role, passwordEnv: config.link.passwordEnv },
    timeouts: config.timeouts,
    fdwOptions: config.fdwOptions,
    extensions: config.extensions,
    appRoles: config.appRoles,
    appGroup: config.appGroup,
    regions: config.regions.map((r) => ({ name: r.name, postgres: r.postgres, mode: r.mode, passwordEnv: r.fdw.passwordEnv })),
    entities: config.entities,
  };
}

/**
 * A Config to render templates from a recorded FleetState. Templates never
 * print urls or connection options, so those are left empty.
 */
export function fleetConfig(state: FleetState): Config {
  return {
    ...state,
    appGroup: state.appGroup ?? DEFAULT_APP_GROUP,
    link: { ...state.link, sslcert: undefined, sslkey: undefined },
    regions: state.regions.map((r) => ({
      name: r.name,
      postgres: r.postgres,
      mode: r.mode,
      url: '',
      fdw: {
        host: '',
        port: 0,
        dbname: '',
        passwordEnv: r.passwordEnv,
        sslmode: 'verify-full',
        sslmodeExplicit: false,
        sslrootcert: undefined,
        sslcrl: undefined,
        auth: 'password',
      },
    })),
  };
}
