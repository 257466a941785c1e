import { adminSql, DBLINK_SCHEMA } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/**
 * dblink: in `residency_dblink` (the generated functions call it there), not
 * usable by PUBLIC (whoever may execute it can run SQL on a session's open
 * link as the link role), usable by the migrator (whose functions call it).
 */
export const dblink: DoctorRule = ({ snapshot }) => {
  const created = snapshot.extensions.find((e) => e.name === 'dblink');
  if (created === undefined) {
    if (snapshot.available !== null && !snapshot.available.some((e) => e.name === 'dblink'))
      return [
        doctorFinding(
          'dblink-unavailable',
          'error',
          'dblink is not installed on the server',
          'pg_available_extensions has no dblink: the server lacks its contrib files',
          ["install the server's contrib package (e.g. postgresql-contrib), then:", ...adminSql.dblink()],
        ),
      ];
    if (snapshot.superuser) return [];
    return [
      doctorFinding(
        'dblink-missing',
        'error',
        'dblink is not created',
        `only a superuser may create dblink, and "${snapshot.user}" is not one; two-phase writes call it in schema ${DBLINK_SCHEMA}`,
        [...adminSql.dblink(), ...adminSql.dblinkNotPublic(), ...adminSql.dblinkForMigrator(snapshot.user)],
      ),
    ];
  }
  const out = [];
  if (created.schema !== DBLINK_SCHEMA)
    out.push(
      doctorFinding(
        'dblink-schema',
        'error',
        `dblink is in schema ${created.schema}, not ${DBLINK_SCHEMA}`,
        `the generated functions call ${DBLINK_SCHEMA}.dblink_*: every write would fail with "function ${DBLINK_SCHEMA}.dblink_get_connections() does not exist"`,
        [...adminSql.moveDblink(), ...adminSql.dblinkNotPublic(), ...(snapshot.superuser ? [] : adminSql.dblinkForMigrator(snapshot.user))],
      ),
    );
  const publicFunctions = snapshot.dblinkFunctions.filter((f) => f.publicExecute);
  // PUBLIC's USAGE on a shared schema such as public is that schema's business; on dblink's own schema it is not
  const publicUsage = created.schema === DBLINK_SCHEMA && snapshot.dblinkSchema?.publicUsage === true;
  if (publicFunctions.length > 0 || publicUsage)
    out.push(
      doctorFinding(
        'dblink-public',
        'error',
        'PUBLIC may use dblink',
        `${[
          ...(publicFunctions.length > 0
            ? [`PUBLIC may execute ${publicFunctions.length} dblink function(s) (e.g. ${publicFunctions[0]!.signature})`]
            : []),
          ...(publicUsage ? [`PUBLIC has USAGE on schema ${DBLINK_SCHEMA}`] : []),
        ].join('; ')}: any role could run SQL on a session's open link as the link role`,
        created.schema === DBLINK_SCHEMA ? adminSql.dblinkNotPublic() : [...adminSql.moveDblink(), ...adminSql.dblinkNotPublic()],
      ),
    );
  if (!snapshot.superuser && created.schema === DBLINK_SCHEMA) {
    const denied = snapshot.dblinkFunctions.filter((f) => !f.execute);
    if (snapshot.dblinkSchema?.usage !== true || denied.length > 0)
      out.push(
        doctorFinding(
          'dblink-migrator',
          'error',
          'the migrator may not use dblink',
          `"${snapshot.user}" ${snapshot.dblinkSchema?.usage !== true ? `has no USAGE on schema ${DBLINK_SCHEMA}` : `may not execute ${denied.length} dblink function(s) (e.g. ${denied[0]!.signature})`}: the write functions it owns call dblink with its rights`,
          adminSql.dblinkForMigrator(snapshot.user),
        ),
      );
  }
  return out;
};
