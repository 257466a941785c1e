import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** The migrations are generated for the major regions.yaml names: another server version may reject them. */
export const serverMajor: DoctorRule = ({ region, snapshot }) =>
  snapshot.major === region.postgres
    ? []
    : [
        doctorFinding(
          'server-major',
          'error',
          'the server is not the PostgreSQL regions.yaml says',
          `regions.yaml says postgres: ${region.postgres}, the server runs ${snapshot.version} (major ${snapshot.major}); the migrations are generated for ${region.postgres}`,
          `set postgres: ${snapshot.major} for region "${region.name}" in regions.yaml, then run \`pg-residency gen-migrations\``,
        ),
      ];
