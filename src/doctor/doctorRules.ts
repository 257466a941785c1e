import type { DoctorFinding } from './doctorFinding.js';
import type { DoctorInput, DoctorRule } from './doctorRule.js';
import { connectionTls } from './rules/connectionTls.js';
import { dblink } from './rules/dblink.js';
import { extensions } from './rules/extensions.js';
import { linkPasswordEnv } from './rules/linkPasswordEnv.js';
import { linkPooler } from './rules/linkPooler.js';
import { linkTls } from './rules/linkTls.js';
import { logSettings } from './rules/logSettings.js';
import { maxPreparedTransactions } from './rules/maxPreparedTransactions.js';
import { migratorRights } from './rules/migratorRights.js';
import { parameterPrivileges } from './rules/parameterPrivileges.js';
import { postgresFdw } from './rules/postgresFdw.js';
import { serverMajor } from './rules/serverMajor.js';
import { writeGate } from './rules/writeGate.js';

/** Every doctor check, in the order its findings are reported. */
export const DOCTOR_RULES: readonly DoctorRule[] = [
  connectionTls,
  serverMajor,
  migratorRights,
  postgresFdw,
  dblink,
  extensions,
  parameterPrivileges,
  maxPreparedTransactions,
  writeGate,
  linkTls,
  linkPooler,
  logSettings,
  linkPasswordEnv,
];

/** The findings of every rule for one region: errors first, then warnings, each in rule order. */
export function doctorRules(input: DoctorInput): DoctorFinding[] {
  const all = DOCTOR_RULES.flatMap((rule) => rule(input));
  return [...all.filter((f) => f.level === 'error'), ...all.filter((f) => f.level === 'warning')];
}
