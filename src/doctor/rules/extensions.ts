import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/**
 * The other extensions regions.yaml needs (uuid-ossp when a default calls
 * uuid_generate_v*, and those it lists): created, or creatable by the
 * migrator (a superuser; on 13+ the database owner, for a trusted one).
 */
export const extensions: DoctorRule = ({ config, snapshot }) =>
  config.extensions
    .filter((name) => name !== 'postgres_fdw' && !snapshot.extensions.some((e) => e.name === name))
    .flatMap((name) => {
      const available = snapshot.available === null ? { name, trusted: false } : snapshot.available.find((e) => e.name === name);
      if (available === undefined)
        return [
          doctorFinding(
            'extension-unavailable',
            'error',
            `extension ${name} is not installed on the server`,
            `regions.yaml needs ${name} (a default or \`extensions:\`), and pg_available_extensions has no ${name}`,
            `install the package that provides ${name} (uuid-ossp: the server's contrib package), then: ${adminSql.extension(name)}`,
          ),
        ];
      const creatable =
        snapshot.superuser || (available.trusted && snapshot.major >= 13 && (snapshot.ownsDatabase || snapshot.createOnDatabase));
      if (creatable) return [];
      return [
        doctorFinding(
          'extension-missing',
          'error',
          `extension ${name} is not created`,
          `regions.yaml needs ${name}, and "${snapshot.user}" may not create it (${available.trusted && snapshot.major >= 13 ? 'it has no CREATE on the database' : 'only a superuser may'})`,
          adminSql.extension(name),
        ),
      ];
    });
