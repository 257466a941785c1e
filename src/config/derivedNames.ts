/** The schema of pg-residency's own objects in every region: the region registry and its helpers. */
export const REGISTRY_SCHEMA = 'residency';

/** The schema two-phase writes install dblink in (templates/two_phase.sql.hbs): reserved like REGISTRY_SCHEMA. */
export const DBLINK_SCHEMA = 'residency_dblink';

/** The schema `pg-residency adopt` keeps its checkpoints in (keys, counts and hashes): reserved like REGISTRY_SCHEMA. */
export const ADOPT_SCHEMA = 'residency_adopt';

/**
 * The names pg-residency derives from an entity name. Kept in one place so the
 * validator checks exactly the names the templates will create.
 */
export function derivedNames(entity: string) {
  return {
    details: `${entity}_details`,
    detailsIn: `${entity}_details_in`,
    upsert: `upsert_${entity}`,
    upsertMany: `upsert_${entity}_many`,
    upsertRows: `upsert_${entity}_rows`,
    upsertResult: `${entity}_upsert_result`,
    rehome: `rehome_${entity}`,
    erase: `erase_${entity}`,
    get: `get_${entity}`,
    getMany: `get_${entity}_many`,
    countByRegion: `count_${entity}_by_region`,
    find: `find_${entity}`,
    sync: `sync_${entity}`,
    outbox: `${entity}_outbox`,
    row: `${entity}_row`,
    apply: `apply_${entity}`,
    defaults: `${entity}_defaults`,
  } as const;
}

/** The app group's name when regions.yaml gives no `app_group` (the role app_roles are members of). */
export const DEFAULT_APP_GROUP = 'residency_app';
