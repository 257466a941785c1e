import type { Config, Region } from '../config/types.js';
import type { DoctorFinding } from './doctorFinding.js';
import type { DoctorSnapshot } from './doctorSnapshot.js';

/** What a doctor rule reads: regions.yaml, the region, what was read from its server, and which variables are set. */
export interface DoctorInput {
  readonly config: Config;
  readonly region: Region;
  readonly snapshot: DoctorSnapshot;
  /** The names of the environment variables that are set and not empty (never their values). */
  readonly envSet: ReadonlySet<string>;
}

/** One check: pure, over named fields of the input. */
export type DoctorRule = (input: DoctorInput) => DoctorFinding[];
