/** The region options as yargs parsed them. */
export interface RegionSelectionArgs {
  readonly region: readonly string[];
  readonly all: boolean;
}

/**
 * The one region-selection check every command with `--region`/`--all` runs
 * before anything else: exactly one of them. Returns true, or the usage error's
 * message (yargs' `.check()` contract).
 */
export function checkRegionSelection(argv: RegionSelectionArgs): true | string {
  if (argv.all && argv.region.length > 0)
    return `--all and --region ${argv.region.join(', ')} contradict each other: pass --all for every region, or --region NAME for some`;
  if (!argv.all && argv.region.length === 0) return 'name the regions: --region NAME (repeatable) or --all';
  const empty = argv.region.find((r) => String(r).trim() === '');
  if (empty !== undefined) return '--region needs a region name, e.g. --region usa';
  return true;
}
