import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** A row of the seed entity `shared.identity`, as its functions take it. */
export interface Person {
  readonly uuid: string;
  readonly region: string;
  readonly name: string;
  readonly note: string;
}

let serial = 0;

/** A person nobody has stored yet, owned by `region`. */
export function newPerson(region: string): Person {
  serial += 1;
  return { uuid: randomUUID(), region, name: `Bench Person ${serial}`, note: `bench ${serial}` };
}

/** `count` new people whose owners cycle through `regions`. */
export function newPeople(count: number, regions: readonly string[]): Person[] {
  return Array.from({ length: count }, (_, i) => newPerson(regions[i % regions.length]!));
}

/**
 * The calls of the generated SQL API of `shared.identity` that the benchmark
 * times, each one statement on the given connection.
 */
export const identityCalls = {
  upsert: (client: pg.Client, p: Person) =>
    client.query('SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [p.uuid, p.name, p.region, p.note]),
  upsertMany: (client: pg.Client, people: readonly Person[]) =>
    client.query('SELECT count(*) FROM shared.upsert_identity_many($1::jsonb)', [JSON.stringify(people)]),
  get: (client: pg.Client, uuid: string) => client.query('SELECT * FROM shared.get_identity($1)', [uuid]),
  selectUnpruned: (client: pg.Client, uuid: string) => client.query('SELECT * FROM shared.identity_details WHERE uuid = $1', [uuid]),
  selectPruned: (client: pg.Client, uuid: string, region: string) =>
    client.query('SELECT * FROM shared.identity_details WHERE region = $2 AND uuid = $1', [uuid, region]),
  rehome: (client: pg.Client, uuid: string, region: string) => client.query('SELECT shared.rehome_identity($1, $2)', [uuid, region]),
  erase: (client: pg.Client, uuid: string) => client.query('SELECT shared.erase_identity($1)', [uuid]),
} as const;
