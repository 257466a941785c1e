import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** migrate reads the link role's password of this region and of every other one from the environment (names only here, never a value). */
export const linkPasswordEnv: DoctorRule = ({ config, region, envSet }) => {
  const needed = [region, ...config.regions.filter((r) => r.name !== region.name)].map((r) => r.fdw.passwordEnv);
  const missing = [...new Set(needed)].filter((name) => !envSet.has(name));
  return missing.length === 0
    ? []
    : [
        doctorFinding(
          'link-password-env',
          'error',
          'the link password is not in the environment',
          `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: migrate sets the link role "${config.link.role}"'s password from ${missing.length === 1 ? 'it' : 'them'}`,
          `${missing.map((name) => `export ${name}=<the link role's password>`).join('; ')} (the same value wherever migrate runs; the local fleet keeps it in .pg-residency/secrets.env)`,
        ),
      ];
};
