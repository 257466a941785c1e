import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** The migrator creates the link role and the app group (CREATEROLE) and schemas in the database it owns (admin contract). */
export const migratorRights: DoctorRule = ({ snapshot }) => {
  if (snapshot.superuser) return [];
  const out = [];
  if (!snapshot.createrole)
    out.push(
      doctorFinding(
        'migrator-createrole',
        'error',
        'the migrator cannot create the link role or the app group',
        `the role "${snapshot.user}" lacks CREATEROLE: migrate creates the link role (and sets its password) and the app group the app roles are made members of`,
        adminSql.createRole(snapshot.user),
      ),
    );
  if (!snapshot.ownsDatabase && !snapshot.createOnDatabase)
    out.push(
      doctorFinding(
        'migrator-database',
        'error',
        'the migrator cannot create schemas in the database',
        `the database "${snapshot.database}" is owned by "${snapshot.databaseOwner}", and "${snapshot.user}" has no CREATE on it`,
        adminSql.databaseOwner(snapshot.database, snapshot.user),
      ),
    );
  return out;
};
