import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** postgres_fdw: created (by an admin, unless the migrator is a superuser), and usable by the migrator. */
export const postgresFdw: DoctorRule = ({ snapshot }) => {
  const created = snapshot.extensions.some((e) => e.name === 'postgres_fdw');
  if (!created && snapshot.available !== null && !snapshot.available.some((e) => e.name === 'postgres_fdw'))
    return [
      doctorFinding(
        'postgres-fdw-unavailable',
        'error',
        'postgres_fdw is not installed on the server',
        'pg_available_extensions has no postgres_fdw: the server lacks its contrib files',
        "install the server's contrib package (e.g. postgresql-contrib), then: " + adminSql.postgresFdw(),
      ),
    ];
  if (snapshot.superuser) return [];
  if (!created)
    return [
      doctorFinding(
        'postgres-fdw-missing',
        'error',
        'postgres_fdw is not created',
        `only a superuser may create postgres_fdw, and "${snapshot.user}" is not one`,
        [adminSql.postgresFdw(), adminSql.fdwUsage(snapshot.user)],
      ),
    ];
  if (snapshot.fdwUsage !== true)
    return [
      doctorFinding(
        'postgres-fdw-usage',
        'error',
        'the migrator may not use postgres_fdw',
        `"${snapshot.user}" has no USAGE on the foreign-data wrapper postgres_fdw: migrate cannot create the other regions' servers`,
        adminSql.fdwUsage(snapshot.user),
      ),
    ];
  return [];
};
