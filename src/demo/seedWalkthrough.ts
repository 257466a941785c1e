/**
 * The statements of the seed proof of concept's README walkthrough, verbatim.
 * The demo runs exactly these, so the seed's instructions keep working.
 */
export const SEED_UPSERTS = `select
  shared.upsert_identity(
      '7139f8aa-7f93-4657-83ad-b7d74a22159f',
      'David Welch',
      'usa',
      'Dave is really nice'
  ) as dave,
  shared.upsert_identity(
      'd0c4d726-225c-426d-80d2-7406eb1c9739',
      'Da Queen',
      'gbr',
      'Da queen is a powerhouse, but sort of an acquired taste'
  ) as queen,
  shared.upsert_identity(
      uuid_generate_v4(),
      'Someone Random',
      'aus',
      'This will always make someone new'
  ) as rando,

  true as dummy
;`;

/** The three selects the seed README runs in a region. */
export function seedSelects(region: string): string[] {
  return ['select * from shared.identity;', 'select * from shared.identity_details;', `select * from ${region}.identity_details;`];
}

export const DAVE = '7139f8aa-7f93-4657-83ad-b7d74a22159f';
