import test from 'ava';
import type { CatalogSnapshot } from '../../src/verify/catalogSnapshot.js';
import { auditPrivileges, expectedLinkRights } from '../../src/verify/privilegeAudit.js';
import type { LinkRights } from '../../src/verify/privilegeSnapshot.js';
import { fixtureConfig } from '../helpers/fixtures.js';

// RV213-RV216 on fabricated catalog snapshots of region usa of fleet4
// (entities shared.identity and billing.account, app roles app and reporting).
const config = fixtureConfig('fleet4');
const usa = config.regions.find((r) => r.name === 'usa')!;
const LINK = config.link.role;

const rel = (schema: string, name: string, kind = 'r') => ({
  schema,
  name,
  kind,
  parent: null,
  bound: null,
  extension: false,
  owned: false,
});
const fn = (schema: string, name: string) => ({ schema, name, nargs: 1, md5: '', oid: 1, extension: false });
const right = (
  schema: string,
  name: string,
  privilege: string,
  more: Partial<{ public: boolean; owner: boolean; column: boolean; kind: string }> = {},
) => ({
  schema,
  name,
  kind: 'r',
  privilege,
  public: false,
  owner: false,
  column: false,
  ...more,
});

const CLEAN_RIGHTS: LinkRights = {
  exists: true,
  relations: [
    right('usa', 'identity_details', 'SELECT'),
    right('usa', 'account_details', 'SELECT'),
    right('shared', 'identity', 'SELECT'),
    right('billing', 'account', 'SELECT'),
    right('residency', 'commit_records', 'INSERT'),
  ],
  functions: [
    { schema: 'shared', name: 'apply_identity', args: 'part jsonb', public: false, owner: false },
    { schema: 'billing', name: 'apply_account', args: 'part jsonb', public: false, owner: false },
    { schema: 'residency', name: 'decide', args: 'gid text', public: false, owner: false },
  ],
  schemas: ['billing', 'residency', 'shared', 'usa'].map((schema) => ({ schema, privilege: 'USAGE', public: false, owner: false })),
  memberOf: [],
};

function snapshot(change: Partial<CatalogSnapshot> & { rights?: Partial<LinkRights> } = {}): CatalogSnapshot {
  const { rights, ...rest } = change;
  return {
    major: 18,
    schemas: ['public', 'shared', 'billing', 'usa', 'gbr', 'aus', 'can', 'residency', 'residency_dblink'],
    relations: [
      rel('shared', 'identity'),
      rel('shared', 'identity_details', 'p'),
      rel('usa', 'identity_details'),
      rel('gbr', 'identity_details', 'f'),
      rel('billing', 'account'),
      rel('usa', 'account_details'),
      rel('residency', 'commit_records'),
      rel('residency', 'regions'),
    ],
    columns: [],
    constraints: [],
    foreignTables: [],
    servers: [],
    mappings: [],
    grants: [],
    functions: [
      fn('shared', 'apply_identity'),
      fn('billing', 'apply_account'),
      fn('residency', 'decide'),
      fn('residency', 'tx_open'),
      fn('shared', 'get_identity'),
    ],
    types: [],
    signatures: [],
    statistics: [],
    publications: [],
    settings: {},
    roleSettings: [],
    statStatements: false,
    linkSessionsWithoutTls: 0,
    stalePrepared: [],
    normalisedTypes: {},
    linkRights: { ...CLEAN_RIGHTS, ...rights },
    dblink: { schema: 'residency_dblink', executable: [] },
    maxPreparedTransactions: 20,
    maxConnections: 60,
    ...rest,
  };
}
const audit = (cat: CatalogSnapshot, c = config) =>
  auditPrivileges(c, usa, cat).map((f) => `${f.rule} ${f.level} ${f.object}: ${f.detail} | ${f.fix}`);

test('what the link role needs in usa: SELECT on the local leaves, INSERT on the commit records, EXECUTE on apply, decide, decision and recorded, USAGE on their schemas', (t) => {
  const want = expectedLinkRights(config, 'usa');
  t.deepEqual(
    want.relations.map((r) => `${r.schema}.${r.name} ${r.privileges.join(', ')}`),
    [
      'usa.identity_details SELECT',
      'usa.account_details SELECT',
      'shared.identity SELECT',
      'billing.account SELECT',
      'residency.commit_records INSERT',
    ],
  );
  t.deepEqual(
    want.functions.map((f) => `${f.schema}.${f.name}(${f.args})`),
    [
      'shared.apply_identity(jsonb)',
      'billing.apply_account(jsonb)',
      'residency.decide(text)',
      'residency.decision(text)',
      'residency.recorded(text)',
    ],
  );
  t.deepEqual(want.schemas, ['billing', 'residency', 'shared', 'usa']);
});

test('a region as the migrations leave it has no finding', (t) => {
  t.deepEqual(audit(snapshot()), []);
});

test('RV213: the write rights the link role held before issue 17, and a leaf it cannot read', (t) => {
  const old = snapshot({
    rights: {
      relations: [
        ...['DELETE', 'INSERT', 'SELECT', 'UPDATE'].map((p) => right('usa', 'identity_details', p)),
        right('shared', 'identity', 'SELECT'),
        right('billing', 'account', 'SELECT'),
        right('residency', 'commit_records', 'INSERT'),
      ],
    },
  });
  t.deepEqual(audit(old), [
    `RV213 error usa.account_details: the link role "${LINK}" holds nothing; it needs exactly SELECT (other regions read the leaf; their writes arrive through billing.apply_account()) | GRANT SELECT ON "usa"."account_details" TO "${LINK}"`,
    `RV213 error usa.identity_details: the link role "${LINK}" holds DELETE, INSERT, SELECT, UPDATE; it needs exactly SELECT (other regions read the leaf; their writes arrive through shared.apply_identity()) | REVOKE DELETE, INSERT, UPDATE ON "usa"."identity_details" FROM "${LINK}"`,
  ]);
  const column = snapshot({
    rights: { relations: [...CLEAN_RIGHTS.relations, right('usa', 'identity_details', 'UPDATE', { column: true, public: true })] },
  });
  t.deepEqual(audit(column), [
    `RV213 error usa.identity_details: the link role "${LINK}" holds SELECT, UPDATE (partly through PUBLIC, on some columns); it needs exactly SELECT (other regions read the leaf; their writes arrive through shared.apply_identity()) | REVOKE UPDATE ON "usa"."identity_details" FROM "${LINK}"; REVOKE UPDATE ON "usa"."identity_details" FROM PUBLIC`,
  ]);
});

test('RV214: rights on a directory, a foreign partition, a sequence, the commit records', (t) => {
  const cat = snapshot({
    rights: {
      relations: [
        right('usa', 'identity_details', 'SELECT'),
        right('usa', 'account_details', 'SELECT'),
        ...['DELETE', 'INSERT', 'SELECT', 'UPDATE'].map((p) => right('shared', 'identity', p)),
        right('billing', 'account', 'SELECT'),
        right('gbr', 'identity_details', 'SELECT', { kind: 'f' }),
        right('billing', 'account_id_seq', 'USAGE', { kind: 'S', owner: true }),
      ],
    },
  });
  t.deepEqual(audit(cat), [
    `RV214 error billing.account_id_seq: the link role "${LINK}" holds USAGE (as its owner); it needs nothing here | ALTER SEQUENCE "billing"."account_id_seq" OWNER TO <the migrating role>; REVOKE USAGE ON SEQUENCE "billing"."account_id_seq" FROM "${LINK}"`,
    `RV214 error gbr.identity_details: the link role "${LINK}" holds SELECT; it needs nothing here | REVOKE SELECT ON "gbr"."identity_details" FROM "${LINK}"`,
    `RV214 error residency.commit_records: the link role "${LINK}" holds nothing; it needs exactly INSERT | GRANT INSERT ON "residency"."commit_records" TO "${LINK}"`,
    `RV214 error shared.identity: the link role "${LINK}" holds DELETE, INSERT, SELECT, UPDATE; it needs exactly SELECT (a leaked link password must not write rows directly) | REVOKE DELETE, INSERT, UPDATE ON "shared"."identity" FROM "${LINK}"`,
  ]);
});

test('RV214: EXECUTE missing on an apply function, held on an API function through PUBLIC', (t) => {
  const cat = snapshot({
    rights: {
      functions: [
        { schema: 'billing', name: 'apply_account', args: 'part jsonb', public: false, owner: false },
        { schema: 'residency', name: 'decide', args: 'gid text', public: false, owner: false },
        { schema: 'shared', name: 'get_identity', args: 'uuid', public: true, owner: false },
      ],
    },
  });
  t.deepEqual(audit(cat), [
    `RV214 error function shared.apply_identity(jsonb): the link role "${LINK}" may not execute it: other regions' writes (or resolvers) fail here with 42501 | GRANT EXECUTE ON FUNCTION "shared"."apply_identity"(jsonb) TO "${LINK}"`,
    `RV214 error function shared.get_identity(uuid): the link role "${LINK}" may execute it (through PUBLIC); it needs EXECUTE only on the apply functions and residency.decide(), decision() and recorded() | REVOKE EXECUTE ON FUNCTION "shared"."get_identity"(uuid) FROM "${LINK}"; REVOKE EXECUTE ON FUNCTION "shared"."get_identity"(uuid) FROM PUBLIC`,
  ]);
});

test('RV214: USAGE missing, CREATE anywhere (public included), USAGE on another schema, a role membership, no role at all', (t) => {
  const cat = snapshot({
    rights: {
      schemas: [
        ...['billing', 'residency', 'shared'].map((schema) => ({ schema, privilege: 'USAGE', public: false, owner: false })),
        { schema: 'public', privilege: 'CREATE', public: true, owner: false },
        { schema: 'gbr', privilege: 'USAGE', public: false, owner: false },
      ],
      memberOf: ['app'],
    },
  });
  t.deepEqual(audit(cat), [
    `RV214 error schema usa: the link role "${LINK}" lacks USAGE on it: it cannot reach what it needs there | GRANT USAGE ON SCHEMA "usa" TO "${LINK}"`,
    `RV214 error schema public: the link role "${LINK}" holds CREATE on it (through PUBLIC); it needs to create nothing | REVOKE CREATE ON SCHEMA "public" FROM "${LINK}"; REVOKE CREATE ON SCHEMA "public" FROM PUBLIC`,
    `RV214 error schema gbr: the link role "${LINK}" holds USAGE on it; it needs no USAGE there | REVOKE USAGE ON SCHEMA "gbr" FROM "${LINK}"`,
    `RV214 error role ${LINK}: the link role is a member of "app": NOINHERIT or not, SET ROLE gives it every right of "app" | REVOKE "app" FROM "${LINK}"`,
  ]);
  const none = snapshot({ rights: { exists: false, relations: [], functions: [], schemas: [] } });
  t.deepEqual(audit(none), [
    `RV214 error role ${LINK}: the link role does not exist: no other region can read or write here | run \`pg-residency migrate up --all\``,
  ]);
});

test('RV214 and RV213 quote the role and object names in their fixes', (t) => {
  const odd = { ...config, link: { ...config.link, role: 'we"ird link' } };
  const cat = snapshot({ rights: { relations: [...CLEAN_RIGHTS.relations, right('usa', 'identity_details', 'DELETE')] } });
  t.deepEqual(
    auditPrivileges(odd, usa, cat).map((f) => f.fix),
    ['REVOKE DELETE ON "usa"."identity_details" FROM "we""ird link"'],
  );
});

test('RV215: dblink missing, outside residency_dblink, or executable by PUBLIC, an app role or the link role', (t) => {
  t.deepEqual(audit(snapshot({ dblink: { schema: null, executable: [] } })), [
    'RV215 error extension dblink: dblink is not installed: every write fails (the generated functions send their parts through it) | CREATE SCHEMA IF NOT EXISTS "residency_dblink"; REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC; CREATE EXTENSION dblink SCHEMA "residency_dblink"; REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC',
  ]);
  t.deepEqual(
    audit(
      snapshot({
        dblink: {
          schema: 'public',
          executable: [
            { grantee: 'PUBLIC', functions: 43 },
            { grantee: 'app', functions: 43 },
          ],
        },
      }),
    ),
    [
      'RV215 error extension dblink: dblink is installed in schema "public", not "residency_dblink": the generated functions call residency_dblink.dblink_*(), so every write fails (42883) | as dblink\'s owner: CREATE SCHEMA IF NOT EXISTS "residency_dblink"; REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC; ALTER EXTENSION dblink SET SCHEMA "residency_dblink"; REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC',
      'RV215 error extension dblink: PUBLIC (every role) may execute 43 of dblink\'s functions: with them it can run SQL as the link role on a connection a write left open in its session, or open its own | as dblink\'s owner: REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "public" FROM PUBLIC',
    ],
  );
  t.deepEqual(
    audit(
      snapshot({
        dblink: {
          schema: 'residency_dblink',
          executable: [
            { grantee: LINK, functions: 2 },
            { grantee: 'reporting', functions: 1 },
          ],
        },
      }),
    ).map((f) => f.split(' | ')[1]),
    [
      `as dblink's owner: REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM "${LINK}"`,
      'as dblink\'s owner: REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM "reporting"',
    ],
  );
  // a history from before two-phase writes does not use dblink
  const before = snapshot({ dblink: { schema: null, executable: [] } });
  t.deepEqual(audit({ ...before, functions: before.functions.filter((f) => f.name !== 'tx_open') }), []);
});

test('RV216: max_prepared_transactions = 0, with the setting to use', (t) => {
  t.deepEqual(audit(snapshot({ maxPreparedTransactions: 0, maxConnections: 100 })), [
    'RV216 error max_prepared_transactions: is 0: every write fails at PREPARE TRANSACTION (writes are two-phase); a server restarted with it loses every write until it is set again | ALTER SYSTEM SET max_prepared_transactions = 100 (at least the writes in flight at once), then restart the server (it is read at start only)',
  ]);
});

test('hostile names (a region "a.b", a quoted link role): objects are matched by schema and name, never split on a dot', (t) => {
  const hostile = fixtureConfig('hostile');
  const ab = hostile.regions.find((r) => r.name === 'a.b')!;
  const leaf = 'Odd "Entity"_details';
  const clean: LinkRights = {
    exists: true,
    relations: [right('a.b', leaf, 'SELECT'), right('My Schema', 'Odd "Entity"', 'SELECT'), right('residency', 'commit_records', 'INSERT')],
    functions: [
      { schema: 'My Schema', name: 'apply_Odd "Entity"', args: 'part jsonb', public: false, owner: false },
      { schema: 'residency', name: 'decide', args: 'gid text', public: false, owner: false },
    ],
    schemas: ['My Schema', 'a.b', 'residency'].map((schema) => ({ schema, privilege: 'USAGE', public: false, owner: false })),
    memberOf: [],
  };
  const base = snapshot({
    relations: [rel('a.b', leaf), rel('My Schema', 'Odd "Entity"'), rel('residency', 'commit_records')],
    functions: [fn('My Schema', 'apply_Odd "Entity"'), fn('residency', 'decide'), fn('residency', 'tx_open')],
    schemas: ['My Schema', 'a.b', 'residency', 'residency_dblink'],
    linkRights: clean,
  });
  t.deepEqual(auditPrivileges(hostile, ab, base), []);
  const broken = { ...base, linkRights: { ...clean, relations: [...clean.relations, right('a.b', leaf, 'DELETE')] } };
  t.deepEqual(
    auditPrivileges(hostile, ab, broken).map((f) => `${f.rule} ${f.object}: ${f.fix}`),
    ['RV213 a.b.Odd "Entity"_details: REVOKE DELETE ON "a.b"."Odd ""Entity""_details" FROM "link ""role"""'],
  );
});

test('RV217: an app role missing, or not a member of the app group, with the GRANT that fixes it', (t) => {
  const member = (role: string, more: Partial<{ exists: boolean; member: boolean; group: boolean }> = {}) => ({
    role,
    exists: true,
    member: true,
    group: true,
    ...more,
  });
  t.deepEqual(audit(snapshot({ appMembers: [member('app'), member('reporting')] })), []);
  t.deepEqual(audit(snapshot({ appMembers: [member('app', { member: false }), member('reporting', { exists: false, member: false })] })), [
    'RV217 error role app: is not a member of the app group "residency_app": its calls fail with 42501 | GRANT "residency_app" TO "app" (or `pg-residency migrate up --all`, whose migrations grant it)',
    'RV217 error role reporting: is in app_roles but does not exist here: the application cannot log in as it | as an admin: CREATE ROLE "reporting" LOGIN; then GRANT "residency_app" TO "reporting"',
  ]);
  t.deepEqual(audit(snapshot({ appMembers: [member('app', { group: false, member: false })] })), [
    'RV217 error role app: the app group "residency_app" does not exist here: "app" holds no right on the generated functions | `pg-residency migrate up --all` (the migrations create the group)',
  ]);
});
