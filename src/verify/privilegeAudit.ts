import { derivedNames, REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Config, Region } from '../config/types.js';
import { ident, qualified } from '../sql/quote.js';
import type { CatalogSnapshot } from './catalogSnapshot.js';
import { finding, type Finding } from './finding.js';

/** The schema the generated functions call dblink in; no one but its owner may use it. */
export const DBLINK_SCHEMA = 'residency_dblink';

/**
 * What the link role needs in a region, and nothing more: other regions read
 * this region's leaves (postgres_fdw, and `get` through dblink) and a region
 * joining the fleet copies the directories (backfill), other regions send a
 * write's part here as `<schema>.apply_<entity>(jsonb)` (SECURITY DEFINER: it
 * does the writing), insert the commit record of a write this region
 * coordinates (in its loopback) and ask `residency.decide(text)` for the
 * outcome of one; USAGE on the schemas those live in.
 */
export function expectedLinkRights(config: Config, here: string) {
  return {
    relations: [
      ...config.entities.map((e) => ({ schema: here, name: derivedNames(e.name).details, privileges: ['SELECT'] })),
      ...config.entities.map((e) => ({ schema: e.schema, name: e.name, privileges: ['SELECT'] })),
      { schema: REGISTRY_SCHEMA, name: 'commit_records', privileges: ['INSERT'] },
    ],
    functions: [
      ...config.entities.map((e) => ({ schema: e.schema, name: derivedNames(e.name).apply, args: 'jsonb' })),
      { schema: REGISTRY_SCHEMA, name: 'decide', args: 'text' },
      // a write's decision on the loopback, and the fence's fresh read of a record (issue 20)
      { schema: REGISTRY_SCHEMA, name: 'decision', args: 'text' },
      { schema: REGISTRY_SCHEMA, name: 'recorded', args: 'text' },
    ],
    schemas: [...new Set([...config.entities.map((e) => e.schema), here, REGISTRY_SCHEMA])].sort(),
  };
}

/** A map key for a schema-qualified name (names may hold dots: never split one). */
const key = (o: { schema: string; name: string }) => JSON.stringify([o.schema, o.name]);

/**
 * The link role's rights (RV213 on the local leaves, RV214 on everything
 * else), dblink's exposure (RV215), max_prepared_transactions (RV216) and
 * the app roles' membership of the app group (RV217) in one region. One leaked link password must not be write access to personal
 * rows, nor a way to run SQL as anyone else; a fleet whose writes cannot
 * prepare must not pass.
 */
export function auditPrivileges(config: Config, region: Region, cat: CatalogSnapshot): Finding[] {
  const out: Finding[] = [];
  const here = region.name;
  const link = config.link.role;
  const role = ident(link);
  const want = expectedLinkRights(config, here);
  const rights = cat.linkRights;
  // each local leaf, with the apply function that writes it
  const leaves = new Map(
    config.entities.map((e) => [key({ schema: here, name: derivedNames(e.name).details }), `${e.schema}.${derivedNames(e.name).apply}`]),
  );

  if (!rights.exists)
    out.push(
      finding(
        'RV214',
        here,
        `role ${link}`,
        'the link role does not exist: no other region can read or write here',
        'run `pg-residency migrate up --all`',
      ),
    );

  // tables, views, foreign tables, sequences
  type Held = {
    schema: string;
    name: string;
    kind?: string;
    privileges: Set<string>;
    public: Set<string>;
    owner: boolean;
    column: Set<string>;
  };
  const held = new Map<string, Held>();
  const entry = (o: { schema: string; name: string }): Held =>
    held.get(key(o)) ??
    held
      .set(key(o), { schema: o.schema, name: o.name, privileges: new Set(), public: new Set(), owner: false, column: new Set() })
      .get(key(o))!;
  for (const r of rights.relations) {
    const h = entry(r);
    h.kind = r.kind;
    h.privileges.add(r.privilege);
    if (r.public) h.public.add(r.privilege);
    if (r.column) h.column.add(r.privilege);
    h.owner ||= r.owner;
  }
  const present = new Set(cat.relations.map(key));
  const needs = new Map(want.relations.map((r) => [key(r), r.privileges]));
  if (rights.exists) for (const r of want.relations.filter((x) => present.has(key(x)))) entry(r);
  const byName = (h: Held) => `${h.schema}.${h.name}`;
  const sorted = [...held.values()].sort((a, b) => (byName(a) < byName(b) ? -1 : byName(a) > byName(b) ? 1 : 0));
  for (const h of sorted) {
    const object = `${h.schema}.${h.name}`;
    const needed = needs.get(key(h)) ?? [];
    const have = [...h.privileges].sort();
    const extra = have.filter((p) => !needed.includes(p));
    const missing = needed.filter((p) => !have.includes(p));
    if (extra.length === 0 && missing.length === 0) continue;
    const name = qualified(h.schema, h.name);
    const on = h.kind === 'S' ? `SEQUENCE ${name}` : name;
    const fixes = [
      ...(missing.length > 0 ? [`GRANT ${missing.join(', ')} ON ${on} TO ${role}`] : []),
      ...(h.owner ? [`ALTER ${h.kind === 'S' ? 'SEQUENCE' : 'TABLE'} ${name} OWNER TO <the migrating role>`] : []),
      ...(extra.length > 0 ? [`REVOKE ${extra.join(', ')} ON ${on} FROM ${role}`] : []),
      ...(extra.some((p) => h.public.has(p)) ? [`REVOKE ${extra.filter((p) => h.public.has(p)).join(', ')} ON ${on} FROM PUBLIC`] : []),
    ];
    const how = [
      h.owner ? 'as its owner' : '',
      extra.some((p) => h.public.has(p)) ? 'partly through PUBLIC' : '',
      extra.some((p) => h.column.has(p)) ? 'on some columns' : '',
    ].filter(Boolean);
    const holds = `the link role "${link}" holds ${have.join(', ') || 'nothing'}${how.length > 0 ? ` (${how.join(', ')})` : ''}`;
    if (leaves.has(key(h)))
      out.push(
        finding(
          'RV213',
          here,
          object,
          `${holds}; it needs exactly SELECT (other regions read the leaf; their writes arrive through ${leaves.get(key(h))}())`,
          fixes.join('; '),
        ),
      );
    else
      out.push(
        finding(
          'RV214',
          here,
          object,
          `${holds}; it needs ${needed.length > 0 ? `exactly ${needed.join(', ')}` : 'nothing here'}${extra.some((p) => ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'].includes(p)) ? ' (a leaked link password must not write rows directly)' : ''}`,
          fixes.join('; '),
        ),
      );
  }

  // functions: EXECUTE on the apply functions and decide(), decision() and recorded(), nothing else
  const existing = new Set(cat.functions.map(key));
  const executable = new Set(rights.functions.map(key));
  const wanted = new Set(want.functions.map(key));
  for (const f of want.functions)
    if (rights.exists && existing.has(key(f)) && !executable.has(key(f)))
      out.push(
        finding(
          'RV214',
          here,
          `function ${f.schema}.${f.name}(${f.args})`,
          `the link role "${link}" may not execute it: other regions' writes (or resolvers) fail here with 42501`,
          `GRANT EXECUTE ON FUNCTION ${qualified(f.schema, f.name)}(${f.args}) TO ${role}`,
        ),
      );
  for (const f of rights.functions.filter((x) => !wanted.has(key(x)))) {
    const signature = `${qualified(f.schema, f.name)}(${f.args})`;
    out.push(
      finding(
        'RV214',
        here,
        `function ${f.schema}.${f.name}(${f.args})`,
        `the link role "${link}" may execute it${f.owner ? ' (as its owner)' : f.public ? ' (through PUBLIC)' : ''}; it needs EXECUTE only on the apply functions and ${REGISTRY_SCHEMA}.decide(), decision() and recorded()`,
        f.owner
          ? `ALTER FUNCTION ${signature} OWNER TO <the migrating role>`
          : `REVOKE EXECUTE ON FUNCTION ${signature} FROM ${role}${f.public ? `; REVOKE EXECUTE ON FUNCTION ${signature} FROM PUBLIC` : ''}`,
      ),
    );
  }

  // schemas: USAGE where those objects live; CREATE nowhere (public included)
  for (const s of want.schemas)
    if (rights.exists && cat.schemas.includes(s) && !rights.schemas.some((x) => x.schema === s && x.privilege === 'USAGE'))
      out.push(
        finding(
          'RV214',
          here,
          `schema ${s}`,
          `the link role "${link}" lacks USAGE on it: it cannot reach what it needs there`,
          `GRANT USAGE ON SCHEMA ${ident(s)} TO ${role}`,
        ),
      );
  for (const s of rights.schemas.filter((x) => x.privilege === 'CREATE' || !want.schemas.includes(x.schema)))
    out.push(
      finding(
        'RV214',
        here,
        `schema ${s.schema}`,
        `the link role "${link}" holds ${s.privilege} on it${s.owner ? ' (as its owner)' : s.public ? ' (through PUBLIC)' : ''}; it needs ${s.privilege === 'CREATE' ? 'to create nothing' : 'no USAGE there'}`,
        s.owner
          ? `ALTER SCHEMA ${ident(s.schema)} OWNER TO <the migrating role>`
          : `REVOKE ${s.privilege} ON SCHEMA ${ident(s.schema)} FROM ${role}${s.public ? `; REVOKE ${s.privilege} ON SCHEMA ${ident(s.schema)} FROM PUBLIC` : ''}`,
      ),
    );
  for (const m of rights.memberOf)
    out.push(
      finding(
        'RV214',
        here,
        `role ${link}`,
        `the link role is a member of "${m}": NOINHERIT or not, SET ROLE gives it every right of "${m}"`,
        `REVOKE ${ident(m)} FROM ${role}`,
      ),
    );

  // RV217: the app roles reach the generated objects as members of the app group
  for (const m of cat.appMembers ?? []) {
    if (m.member) continue;
    const grant = `GRANT ${ident(config.appGroup)} TO ${ident(m.role)}`;
    out.push(
      finding(
        'RV217',
        here,
        `role ${m.role}`,
        !m.exists
          ? 'is in app_roles but does not exist here: the application cannot log in as it'
          : !m.group
            ? `the app group "${config.appGroup}" does not exist here: "${m.role}" holds no right on the generated functions`
            : `is not a member of the app group "${config.appGroup}": its calls fail with 42501`,
        !m.exists
          ? `as an admin: CREATE ROLE ${ident(m.role)} LOGIN; then ${grant}`
          : !m.group
            ? '`pg-residency migrate up --all` (the migrations create the group)'
            : `${grant} (or \`pg-residency migrate up --all\`, whose migrations grant it)`,
      ),
    );
  }

  // RV215: dblink, whose open connections belong to the session that opened them
  if (existing.has(key({ schema: REGISTRY_SCHEMA, name: 'tx_open' }))) {
    const move = `CREATE SCHEMA IF NOT EXISTS ${ident(DBLINK_SCHEMA)}; REVOKE ALL ON SCHEMA ${ident(DBLINK_SCHEMA)} FROM PUBLIC`;
    const revoke = (schema: string, grantee: string) => `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${ident(schema)} FROM ${grantee}`;
    if (cat.dblink.schema === null)
      out.push(
        finding(
          'RV215',
          here,
          'extension dblink',
          'dblink is not installed: every write fails (the generated functions send their parts through it)',
          `${move}; CREATE EXTENSION dblink SCHEMA ${ident(DBLINK_SCHEMA)}; ${revoke(DBLINK_SCHEMA, 'PUBLIC')}`,
        ),
      );
    else if (cat.dblink.schema !== DBLINK_SCHEMA)
      out.push(
        finding(
          'RV215',
          here,
          'extension dblink',
          `dblink is installed in schema "${cat.dblink.schema}", not "${DBLINK_SCHEMA}": the generated functions call ${DBLINK_SCHEMA}.dblink_*(), so every write fails (42883)`,
          `as dblink's owner: ${move}; ALTER EXTENSION dblink SET SCHEMA ${ident(DBLINK_SCHEMA)}; ${revoke(DBLINK_SCHEMA, 'PUBLIC')}`,
        ),
      );
    const grantees = cat.dblink.executable.some((g) => g.grantee === 'PUBLIC')
      ? cat.dblink.executable.filter((g) => g.grantee === 'PUBLIC')
      : cat.dblink.executable;
    for (const g of grantees)
      out.push(
        finding(
          'RV215',
          here,
          'extension dblink',
          `${g.grantee === 'PUBLIC' ? 'PUBLIC (every role)' : g.grantee === link ? `the link role "${link}"` : `the app role "${g.grantee}"`} may execute ${g.functions} of dblink's functions: with them it can run SQL as the link role on a connection a write left open in its session, or open its own`,
          `as dblink's owner: ${revoke(cat.dblink.schema ?? DBLINK_SCHEMA, g.grantee === 'PUBLIC' ? 'PUBLIC' : ident(g.grantee))}`,
        ),
      );
  }

  // RV216: every write prepares a transaction in each region it touches
  if (cat.maxPreparedTransactions === 0)
    out.push(
      finding(
        'RV216',
        here,
        'max_prepared_transactions',
        'is 0: every write fails at PREPARE TRANSACTION (writes are two-phase); a server restarted with it loses every write until it is set again',
        `ALTER SYSTEM SET max_prepared_transactions = ${Math.max(cat.maxConnections, 1)} (at least the writes in flight at once), then restart the server (it is read at start only)`,
      ),
    );
  return out;
}
