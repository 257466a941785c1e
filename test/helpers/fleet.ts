// Tests use the same throwaway fleets as the benchmarks.
export {
  MIXED_FLEET as MIXED,
  SEED_ENTITY_YAML as SEED_ENTITY,
  startScratchFleet as startFleet,
  type ScratchFleet as Fleet,
} from './scratchFleet.js';
export { freePort } from './freePort.js';
