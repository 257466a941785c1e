import type { Major } from '../../config/types.js';
import { linkRoleLogSettings } from '../../plan/linkRoleSettings.js';
import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/**
 * The log settings migrate gives the link role (and the functions' SET
 * clauses) are superuser-only: on 15+ the migrator needs SET privilege on
 * each; on 10-14 no such privilege exists, so an admin applies them once the
 * link role exists (nothing to say when they are in place already).
 */
export const parameterPrivileges: DoctorRule = ({ config, snapshot }) => {
  if (snapshot.superuser) return [];
  const major = snapshot.major as Major;
  if (major >= 15) {
    const denied = snapshot.parameterPrivileges.filter((p) => !p.granted).map((p) => p.name);
    return denied.length === 0
      ? []
      : [
          doctorFinding(
            'log-parameter-privilege',
            'error',
            'the migrator may not set the link role’s log settings',
            `"${snapshot.user}" has no SET privilege on ${denied.join(', ')}: migrate sets them for the link role so that other regions' values stay out of this server's log`,
            adminSql.parameterGrants(major, snapshot.user, denied),
          ),
        ];
  }
  const wanted = linkRoleLogSettings(major);
  const held = snapshot.roleSettings.filter((s) => s.role === config.link.role).flatMap((s) => s.config);
  if (snapshot.linkRoleExists && wanted.every((w) => held.includes(`${w.name}=${w.value}`))) return [];
  return [
    doctorFinding(
      'link-role-log-settings',
      'warning',
      'an admin must give the link role its log settings',
      `PostgreSQL ${major} lets only a superuser set ${wanted.map((w) => w.name).join(', ')} for a role, and "${snapshot.user}" is not one; ${snapshot.linkRoleExists ? `the link role "${config.link.role}" lacks some of them` : `run this once \`pg-residency migrate up\` has created the link role "${config.link.role}"`}`,
      adminSql.linkRoleSettings(major, config.link.role),
    ),
  ];
};
