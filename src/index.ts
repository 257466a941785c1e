/**
 * pg-residency as a library: the functions behind each CLI command, taking
 * validated input and returning one result per region. Nothing here prints or
 * exits; errors are {@link ResidencyError}s with a stable `code`.
 *
 * @example
 * import { genMigrations, loadConfig, loadTemplates, migrateFleet, nodeGeneratedFs } from 'pg-residency';
 *
 * const config = await loadConfig('regions.yaml', process.env);
 * await genMigrations({ config, templates: await loadTemplates(), outDir: 'generated', check: false, force: false, fs: nodeGeneratedFs });
 * const results = await migrateFleet({ config, regions: [], all: true, direction: 'up', dir: 'generated', env: process.env, dryRun: false });
 * if (results.some((r) => r.status === 'failed')) throw results.find((r) => r.error)!.error;
 */

// Errors
export { ConfigError, ResidencyError, unknownRegion, type ConfigProblem, type ResidencyErrorCode } from './errors.js';

// regions.yaml
export type { Env } from './config/expandEnv.js';
export { loadConfig } from './config/loadConfig.js';
export { parseConfig } from './config/parseConfig.js';
export { redactSecrets, redactUrl } from './config/redact.js';
export type { Column, Config, ConfiguredMode, Entity, FdwTarget, Major, Mode, Pooler, Region } from './config/types.js';

// gen-migrations
export { genMigrations, type GeneratedFs, type GenMigrationsInput, type RegionGenResult } from './render/genMigrations.js';
export { DEFAULT_TEMPLATES_DIR, loadTemplates } from './render/loadTemplates.js';
export { nodeGeneratedFs } from './render/nodeGeneratedFs.js';
export type { TemplateSources } from './render/renderRegion.js';

// migrate up | down | status, sync, resolve
export { migrateFleet, type Direction, type MigrateInput, type MigrateStep, type RegionMigrateResult } from './migrate/migrateFleet.js';
export { needsAttention, statusFleet, type RegionStatus } from './migrate/statusFleet.js';
export { syncFleet, type RegionSyncResult, type SyncOptions } from './migrate/syncFleet.js';
export { resolveFleet, type RegionResolveResult, type ResolvedPart, type ResolveOptions } from './migrate/resolveFleet.js';

// verify
export { verifyFleet, type Finding, type Link, type RegionVerify, type VerifyOptions, type VerifyReport } from './verify/verifyFleet.js';
export { RULES, type RuleId } from './verify/rules.js';
export { repairFleet, type RepairChange, type RepairOptions, type RepairProgress, type RepairReport } from './verify/repairFleet.js';
export { doctorFleet, type DoctorOptions, type DoctorReport, type RegionDoctor } from './doctor/doctorFleet.js';
export type { DoctorFinding } from './doctor/doctorFinding.js';
export { adminSetupSql, type AdminSetup, type AdminSetupInput } from './doctor/adminSetupSql.js';

// gen-types: the application's TypeScript types from regions.yaml
export { genTypes, type GenTypesInput, type GenTypesResult } from './typegen/genTypes.js';
export { renderTypes } from './typegen/renderTypes.js';

// lint: residency rules (and squawk) over hand-written SQL
export { lintFiles, type LintOptions, type LintReport } from './lint/lintFiles.js';
export { lintSql, type SqlFile } from './lint/lintSql.js';
export type { LintFinding, LintLevel } from './lint/lintFinding.js';
export { LINT_RULES } from './lint/lintRules.js';
export type { LintRule } from './lint/lintRule.js';

// dev up | down | status
export { devUp, type DevUpOptions, type DevUpResult } from './cluster/devUp.js';
export { devDown, type DevDownOptions, type DevDownResult } from './cluster/devDown.js';
export { devStatus, type DevStatusOptions, type DevStatusResult } from './cluster/devStatus.js';
export { devEnv } from './cluster/devSecrets.js';

// The application's client: pooled sessions per region, the SQL API per entity
export { connectFleet, type ConnectFleetOptions, type EntityTypes, type FleetClient, type UntypedEntities } from './client/connectFleet.js';
export {
  type CallOptions,
  type EntityClient,
  type EntityRow,
  type FilterComparison,
  type FindOptions,
  type ReadFilter,
  type UpsertResult,
} from './client/entityClient.js';
export { FleetCallError, RETRYABLE_SQLSTATES } from './client/callError.js';

// The command line, in-process
export { buildCli, type CliIo, type TextSink } from './cli/buildCli.js';
