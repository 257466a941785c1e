import type pg from 'pg';
import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { qualified } from '../sql/quote.js';

/** A step the migrating role may not do in a region, with the SQL an admin runs for it. */
export interface AdminTodo {
  /** What is missing, e.g. `log settings of the link role residency_link`. */
  readonly item: string;
  /** The SQL an admin (a superuser, or the cloud's admin role) runs in the region's database; it ends by deleting its to-do. */
  readonly fix: string;
}

/**
 * The admin to-dos recorded in a region (`residency.admin_todo`, written by
 * the migrations where the migrating role lacked a right: see
 * docs/own-databases.md), sorted; none before the registry exists.
 * @example await readAdminTodo(client) // [{ item: 'log settings of the link role residency_link', fix: 'ALTER ROLE ...' }]
 */
export async function readAdminTodo(client: pg.Client): Promise<AdminTodo[]> {
  const table = qualified(REGISTRY_SCHEMA, 'admin_todo');
  const found = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (found.rows[0]?.exists !== true) return [];
  return (await client.query<AdminTodo>(`SELECT item, fix FROM ${table} ORDER BY item`)).rows;
}
