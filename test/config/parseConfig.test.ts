import test from 'ava';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/errors.js';
import { linkWarnings } from '../../src/config/linkWarnings.js';
import { parseConfig } from '../../src/config/parseConfig.js';
import { recordCase } from '../helpers/catalogue.js';

const seed = readFileSync(new URL('../../regions.yaml', import.meta.url), 'utf8');

function problems(text: string, env: Record<string, string> = {}): string[] {
  const error = (() => {
    try {
      parseConfig(text, 'regions.yaml', env);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof ConfigError)) throw new Error('expected a ConfigError');
  return error.problems.map((p) => `${p.path}: ${p.message}`);
}

const minimal = (regions: string, extra = '') => `${extra}
regions:
${regions}
entities:
  - name: identity
    key: { name: uuid, type: uuid }
    resident: [{ name: name, type: text }]
`;

test('the root regions.yaml is the seed: three regions, mixed majors, one entity', (t) => {
  const config = parseConfig(seed, 'regions.yaml', {});
  t.deepEqual(
    config.regions.map((r) => [r.name, r.postgres, r.mode]),
    [
      ['usa', 10, 'routing'],
      ['gbr', 11, 'native'],
      ['aus', 18, 'native'],
    ],
  );
  t.is(config.regions[0]!.url, 'postgres://postgres@127.0.0.1:54310/residency');
  t.deepEqual(config.regions[0]!.fdw, {
    host: '127.0.0.1',
    port: 54310,
    dbname: 'residency',
    passwordEnv: 'PG_RESIDENCY_LINK_PASSWORD',
    sslmode: 'verify-full',
    sslmodeExplicit: false,
    sslrootcert: '../../.tls/ca.crt',
    sslcrl: undefined,
    // usa and gbr run PostgreSQL 10 and 11, whose postgres_fdw cannot present a certificate
    auth: 'password',
  });
  t.deepEqual(config.link, {
    role: 'residency_link',
    passwordEnv: 'PG_RESIDENCY_LINK_PASSWORD',
    sslcert: '../../.tls/link.crt',
    sslkey: '../../.tls/link.key',
  });
  const [identity] = config.entities;
  t.is(identity!.schema, 'shared');
  t.deepEqual(
    identity!.mirrored.map((c) => c.name),
    ['note', 'created_on'],
  );
  t.deepEqual(
    identity!.resident.map((c) => c.name),
    ['name'],
  );
  t.deepEqual(config.extensions, ['postgres_fdw', 'uuid-ossp']);
});

test('${VAR} and ${VAR:-default} are expanded from the environment', (t) => {
  const config = parseConfig(seed, 'regions.yaml', { PG_RESIDENCY_GBR_PORT: '6000' });
  t.is(config.regions[1]!.url, 'postgres://postgres@127.0.0.1:6000/residency');
  t.is(config.regions[1]!.fdw.port, 6000);
});

test('a missing environment variable names the variable and the fix', (t) => {
  t.deepEqual(problems(minimal('  - { name: usa, url: "postgres://u:${SECRET}@h:1/db", postgres: 11 }')), [
    'regions[0].url: environment variable SECRET is not set; set it, or write ${SECRET:-default}',
  ]);
});

test('malformed YAML is one clear error with its line', (t) => {
  t.deepEqual(problems('regions:\n  - name: usa\n   url: x'), ['line 3: malformed YAML: Sequence item without - indicator']);
});

test('malformed YAML with several syntax errors reports the first, not its echoes', (t) => {
  // the yaml parser finds three errors here; the later ones follow from the first
  const text = 'regions:\n  - name: usa\n   url: x\n  - name: gbr\n    url: [y\nentities: {a: 1\n';
  t.deepEqual(problems(text), ['line 3: malformed YAML: Sequence item without - indicator']);
});

test('every problem is reported together, each with its path', (t) => {
  const text = `
mode: sometimes
colour: blue
regions:
  - { name: usa, url: "postgres://a@h:1/db", postgres: 9 }
  - { name: usa, url: "postgres://a@h:2/db", postgres: 11, extra: 1 }
entities:
  - name: identity
    key: { name: uuid, type: uuid }
    resident: []
`;
  t.deepEqual(problems(text), [
    'mode: Invalid option: expected one of "auto"|"native"|"routing"',
    'regions[1]: unknown key "extra"; see docs/reference/regions-yaml.md',
    'entities[0].resident: an entity needs at least one resident (personal) column',
    ': unknown key "colour"; see docs/reference/regions-yaml.md',
    // the semantic problems of the parts that passed the schema come with them
    'regions[0].postgres: PostgreSQL 9 is not supported; use a major version from 10 to 18',
  ]);
});

test('schema and semantic problems together: four problems, four lines', (t) => {
  const text =
    'mode: native\nregions:\n  - { name: usa, url: "postgres://a@h:1/db", postgres: 10 }\n  - { name: usa, url: "postgres://a@h:${NOPE}/db", postgres: 11 }\nentities: []\n';
  t.deepEqual(problems(text), [
    'entities: at least one entity is needed',
    'regions[0].postgres: mode "native" needs PostgreSQL 11 or newer, but region "usa" runs 10 (it cannot route inserts into foreign partitions); use mode "auto" or "routing"',
    'regions[1].url: environment variable NOPE is not set; set it, or write ${NOPE:-default}',
    'regions[1].name: region "usa" is already defined at regions[0].name',
  ]);
});

test('duplicate region, unsupported version and native mode on PostgreSQL 10 are config errors', (t) => {
  t.deepEqual(
    problems(
      minimal(
        '  - { name: usa, url: "postgres://a@h:1/db", postgres: 10 }\n  - { name: usa, url: "postgres://a@h:2/db", postgres: 19 }',
        'mode: native',
      ),
    ),
    [
      'regions[0].postgres: mode "native" needs PostgreSQL 11 or newer, but region "usa" runs 10 (it cannot route inserts into foreign partitions); use mode "auto" or "routing"',
      'regions[1].postgres: PostgreSQL 19 is not supported; use a major version from 10 to 18',
      'regions[1].name: region "usa" is already defined at regions[0].name',
    ],
  );
});

test('invalid identifiers are refused: empty, too long, control characters', (t) => {
  const long = 'r'.repeat(64);
  t.deepEqual(
    problems(
      minimal(
        `  - { name: "", url: "postgres://a@h:1/db", postgres: 11 }\n  - { name: ${long}, url: "postgres://a@h:2/db", postgres: 11 }\n  - { name: "a\\nb", url: "postgres://a@h:3/db", postgres: 11 }`,
      ),
    ),
    [
      'regions[0].name: "" must not be empty',
      `regions[1].name: "${long}" is 64 bytes long; PostgreSQL identifiers are at most 63 bytes`,
      'regions[2].name: "a\\nb" must not contain control characters (newline, tab, ...)',
    ],
  );
});

test('an entity name whose derived names are too long is refused', (t) => {
  const name = 'e'.repeat(56);
  const text = minimal('  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }').replace('name: identity', `name: ${name}`);
  t.deepEqual(problems(text), [
    `entities[0].name: the generated name "${name}_details" is 64 bytes long; PostgreSQL identifiers are at most 63 bytes; choose a shorter entity name`,
  ]);
});

test('hostile but valid names are accepted as they are', (t) => {
  const text = readFileSync(new URL('../fixtures/hostile.yaml', import.meta.url), 'utf8');
  const config = parseConfig(text, 'hostile.yaml', {});
  t.deepEqual(
    config.regions.map((r) => r.name),
    ['we"ird', 'Upper Case', 'a.b'],
  );
  t.is(config.entities[0]!.schema, 'My Schema');
});

test('bad types, defaults, urls and a schema named like a region are refused', (t) => {
  const text = `
regions:
  - { name: usa, url: "mysql://a@h:1/db", postgres: 11 }
  - { name: gbr, url: "postgres://a@h:2", postgres: 11 }
entities:
  - name: identity
    schema: usa
    key: { name: uuid, type: "uuid; drop table x" }
    mirrored: [{ name: note, type: text, default: "1; drop table x" }]
    resident: [{ name: note, type: text }]
`;
  t.deepEqual(problems(text), [
    'regions[0].url: "mysql://a@h:1/db" must start with postgres:// or postgresql://',
    'regions[1].url: "postgres://a@h:2" names no database; add /dbname',
    'entities[0].key.type: "uuid; drop table x" is not a type name this tool accepts (one word, or double precision, character varying, timestamp with time zone and the like, with optional modifiers and [], e.g. text, uuid, numeric(10,2), text[])',
    'entities[0].mirrored[0].default: "1; drop table x" must be one SQL expression, without ";" or comments',
    'entities[0].resident[0].name: column "note" is already defined at entities[0].mirrored[0].name',
    'entities[0].schema: "usa" is also a region name, and each region has a schema of its own; choose another schema',
  ]);
});

test('a password in a url never appears in an error', (t) => {
  const out = problems(minimal('  - { name: usa, url: "mysql://admin:hunter2@h:1/db", postgres: 11 }'));
  t.deepEqual(out, ['regions[0].url: "mysql://admin:***@h:1/db" must start with postgres:// or postgresql://']);
});

const oneRegion = (entities: string, extra = '', region = 'usa') => `${extra}
regions:
  - { name: ${region}, url: "postgres://a@h:1/db", postgres: 11 }
entities:
${entities}`;

test('issue 8 #7: reserved schemas are refused as region names and entity schemas', (t) => {
  recordCase(t, 7);
  const text = `
regions:
  - { name: information_schema, url: "postgres://a@h:1/db", postgres: 11 }
  - { name: pg_temp, url: "postgres://a@h:2/db", postgres: 11 }
  - { name: public, url: "postgres://a@h:3/db", postgres: 11 }
  - { name: residency, url: "postgres://a@h:4/db", postgres: 11 }
entities:
  - { name: z, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
`;
  t.deepEqual(problems(text), [
    `regions[0].name: "information_schema" cannot be a region name: each region gets a schema of its name, and it is PostgreSQL's system schema; choose another name`,
    `regions[1].name: "pg_temp" cannot be a region name: each region gets a schema of its name, and names starting with "pg_" are reserved for PostgreSQL's system schemas; choose another name`,
    `regions[2].name: "public" cannot be a region name: each region gets a schema of its name, and the public schema belongs to the database; choose another name`,
    `regions[3].name: "residency" cannot be a region name: each region gets a schema of its name, and it is pg-residency's own schema (the region registry); choose another name`,
  ]);
  const entities = oneRegion(`  - { name: a, schema: pg_catalog, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
  - { name: b, schema: residency, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
  - { name: c, schema: information_schema, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
  - { name: d, schema: public, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
`);
  t.deepEqual(problems(entities), [
    `entities[0].schema: "pg_catalog" cannot hold an entity: names starting with "pg_" are reserved for PostgreSQL's system schemas; choose another schema`,
    `entities[1].schema: "residency" cannot hold an entity: it is pg-residency's own schema (the region registry); choose another schema`,
    `entities[2].schema: "information_schema" cannot hold an entity: it is PostgreSQL's system schema; choose another schema`,
  ]);
});

test('issue 8 #7: entities whose derived names collide are refused, in their schema and in the region schemas', (t) => {
  recordCase(t, 7);
  const entity = (name: string, schema = 'shared') =>
    `  - { name: ${name}, schema: ${schema}, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }\n`;
  t.deepEqual(problems(oneRegion(entity('person') + entity('person_details'))), [
    'entities[1].name: the directory table of entity "person_details" would be named "person_details" in schema "shared", like the personal-data table of entity "person" (entities[0]); rename one of the entities',
    `entities[1].name: the foreign directory table of entity "person_details" would be named "person_details" in every region's schema, like the personal-data leaf of entity "person" (entities[0]); rename one of the entities`,
  ]);
  t.deepEqual(problems(oneRegion(entity('person') + entity('person_many'))), [
    'entities[1].name: the upsert function of entity "person_many" would be named "upsert_person_many" in schema "shared", like the set-based upsert function of entity "person" (entities[0]); rename one of the entities',
    'entities[1].name: the get function of entity "person_many" would be named "get_person_many" in schema "shared", like the batch get function of entity "person" (entities[0]); rename one of the entities',
  ]);
  t.deepEqual(problems(oneRegion(entity('person', 'one') + entity('person', 'two'))), [
    `entities[1].name: the foreign directory table of entity "person" would be named "person" in every region's schema, like the foreign directory table of entity "person" (entities[0]); rename one of the entities`,
    `entities[1].name: the personal-data leaf of entity "person" would be named "person_details" in every region's schema, like the personal-data leaf of entity "person" (entities[0]); rename one of the entities`,
  ]);
});

test('issue 8 #7: key types without btree equality, reserved column names and multi-word phrases are refused', (t) => {
  recordCase(t, 7);
  const text = oneRegion(`  - name: e
    key: { name: queued_at, type: json }
    mirrored:
      - { name: a, type: text default session_user }
      - { name: b, type: double precision }
      - { name: c, type: timestamp(3) with time zone }
      - { name: d, type: 'character varying(20)[]' }
      - { name: queued_at2, type: text }
    resident: [{ name: n, type: text }]
  - name: f
    key: { name: created, type: "uuid[]" }
    region: { name: queued_at }
    resident: [{ name: n, type: text }]
  - name: g
    key: { name: k, type: varchar(36) }
    resident: [{ name: n, type: timestamp without time zone }]
`);
  t.deepEqual(problems(text), [
    'entities[0].key.type: "json" cannot be a key type: keys are compared with btree equality in every region; use one of uuid, text, varchar(n), char(n), bigint, integer, smallint, numeric, date, timestamptz, timestamp',
    'entities[0].key.name: "queued_at" is reserved: the outbox table has a column of that name; choose another name',
    'entities[0].mirrored[0].type: "text default session_user" is not a type name this tool accepts (one word, or double precision, character varying, timestamp with time zone and the like, with optional modifiers and [], e.g. text, uuid, numeric(10,2), text[])',
    'entities[1].key.type: "uuid[]" cannot be a key type: keys are compared with btree equality in every region; use one of uuid, text, varchar(n), char(n), bigint, integer, smallint, numeric, date, timestamptz, timestamp',
    'entities[1].key.name: "created" is reserved: the upsert result type has a column of that name beside the key; choose another name',
    'entities[1].region.name: "queued_at" is reserved: the outbox table has a column of that name; choose another name',
  ]);
});

test('issue 8 #7: defaults with a subquery, a second clause, a comment or a dollar quote are refused', (t) => {
  recordCase(t, 7);
  const column = (name: string, value: string) => `      - { name: ${name}, type: text, default: ${JSON.stringify(value)} }\n`;
  const text = oneRegion(`  - name: e
    key: { name: k, type: uuid }
    mirrored:
${column('a', '(select max(x) from t)')}${column('b', "'x', evil text")}${column('c', '1 /* x */')}${column('d', "'a' check (false)")}${column('e', '$$x$$')}${column('f', "'unterminated")}${column('g', 'lower((1)')}${column('h', 'now());drop table x;--')}${column('ok1', "coalesce(current_setting('x', true), 'a$function$ b')")}${column('ok2', "'it''s; -- fine'::text")}    resident: [{ name: n, type: text }]
`);
  t.deepEqual(problems(text), [
    'entities[0].mirrored[0].default: "(select max(x) from t)" must not contain a subquery (SELECT): a default is evaluated in every region; use a literal or a function call',
    `entities[0].mirrored[1].default: "'x', evil text" must be one SQL expression: a comma outside brackets would start another column`,
    'entities[0].mirrored[2].default: "1 /* x */" must be one SQL expression, without ";" or comments',
    `entities[0].mirrored[3].default: "'a' check (false)" must be one SQL expression, but "CHECK" would start another clause`,
    'entities[0].mirrored[4].default: "$$x$$" must not contain "$" outside a string literal (no dollar quotes or parameters)',
    `entities[0].mirrored[5].default: "'unterminated" has an unterminated string literal`,
    'entities[0].mirrored[6].default: "lower((1)" has an opening bracket without its closing one',
    'entities[0].mirrored[7].default: "now());drop table x;--" has a closing bracket without its opening one',
  ]);
});

test('issue 8 #2: link role postgres, a reserved role, or the role migrate connects as is refused up front', (t) => {
  recordCase(t, 2);
  t.deepEqual(problems(minimal('  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }', 'link: { role: postgres }')), [
    'link.role: "postgres" is the bootstrap superuser and cannot be the link role: pg-residency only creates and alters a role of its own; use a new name (the default is residency_link)',
  ]);
  t.deepEqual(problems(minimal('  - { name: usa, url: "postgres://admin@h:1/db", postgres: 11 }', 'link: { role: admin }')), [
    'regions[0].url: connects as "admin", which is also link.role; migrate would strip the role it runs as of its rights. Give the link its own role (the default is residency_link)',
  ]);
  t.deepEqual(problems(minimal('  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }', 'link: { role: pg_monitor }')), [
    'link.role: "pg_monitor" cannot be the link role: role names starting with "pg_" are reserved by PostgreSQL; use another name',
  ]);
});

test('links are verify-full by default; sslmode, sslrootcert and sslcrl are taken as written, variables expanded', (t) => {
  const config = parseConfig(
    minimal(
      `  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }
  - { name: gbr, url: "postgres://a@h:2/db", postgres: 11, fdw: { sslmode: require, sslrootcert: "\${CA_DIR}/ca.crt", sslcrl: /etc/pg/crl.pem } }`,
    ),
    'regions.yaml',
    { CA_DIR: '/etc/pg' },
  );
  const [usa, gbr] = config.regions;
  t.deepEqual(
    [usa!.fdw.sslmode, usa!.fdw.sslmodeExplicit, usa!.fdw.sslrootcert, usa!.fdw.sslcrl],
    ['verify-full', false, undefined, undefined],
  );
  t.deepEqual(
    [gbr!.fdw.sslmode, gbr!.fdw.sslmodeExplicit, gbr!.fdw.sslrootcert, gbr!.fdw.sslcrl],
    ['require', true, '/etc/pg/ca.crt', '/etc/pg/crl.pem'],
  );
});

test('a bad sslmode, an empty certificate path and a link key without its certificate are refused', (t) => {
  t.deepEqual(
    problems(
      minimal(
        '  - { name: usa, url: "postgres://a@h:1/db", postgres: 13, fdw: { sslmode: verify_full, sslrootcert: "" } }',
        'link: { sslkey: /etc/link.key }',
      ),
    ),
    [
      "link.sslcert: is required with link.sslkey: the link role's client certificate and its key go together",
      'regions[0].fdw.sslmode: "verify_full" is not an sslmode; use one of disable, allow, prefer, require, verify-ca, verify-full (default verify-full)',
      'regions[0].fdw.sslrootcert: "" is not a file path',
    ],
  );
});

test('a region takes the link role by certificate only when every region, itself included, runs 13+ and it is reached over TLS', (t) => {
  const config = parseConfig(
    minimal(
      `  - { name: old, url: "postgres://a@h:1/db", postgres: 12 }
  - { name: new1, url: "postgres://a@h:2/db", postgres: 13 }
  - { name: new2, url: "postgres://a@h:3/db", postgres: 18 }
  - { name: plain, url: "postgres://a@h:4/db", postgres: 18, fdw: { sslmode: prefer } }`,
      'link: { sslcert: /etc/link.crt, sslkey: /etc/link.key }',
    ),
    'regions.yaml',
    {},
  );
  // Every region has "old" (12) among its clients: "old" itself too, through
  // its loopback (before, "old" took a certificate and its own mapping failed).
  t.deepEqual(
    config.regions.map((r) => [r.name, r.fdw.auth]),
    [
      ['old', 'password'],
      ['new1', 'password'],
      ['new2', 'password'],
      ['plain', 'password'],
    ],
  );
  const modern = parseConfig(
    minimal(
      `  - { name: new1, url: "postgres://a@h:2/db", postgres: 13 }
  - { name: new2, url: "postgres://a@h:3/db", postgres: 18 }
  - { name: plain, url: "postgres://a@h:4/db", postgres: 18, fdw: { sslmode: prefer } }`,
      'link: { sslcert: /etc/link.crt, sslkey: /etc/link.key }',
    ),
    'regions.yaml',
    {},
  );
  t.deepEqual(
    modern.regions.map((r) => [r.name, r.fdw.auth]),
    [
      ['new1', 'cert'],
      ['new2', 'cert'],
      ['plain', 'password'],
    ],
    'every region 13+: a certificate where the region is reached over TLS',
  );
  const without = parseConfig(
    minimal('  - { name: a, url: "postgres://a@h:1/db", postgres: 18 }\n  - { name: b, url: "postgres://a@h:2/db", postgres: 18 }'),
    'regions.yaml',
    {},
  );
  t.deepEqual(
    without.regions.map((r) => r.fdw.auth),
    ['password', 'password'],
    'no link.sslcert: passwords',
  );
});

test('a weakened sslmode is a warning naming the region; verify-full is none', (t) => {
  const config = parseConfig(
    minimal(
      `  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }
  - { name: gbr, url: "postgres://a@h:2/db", postgres: 11, fdw: { sslmode: verify-ca } }
  - { name: aus, url: "postgres://a@h:3/db", postgres: 11, fdw: { sslmode: disable } }`,
    ),
    'regions.yaml',
    {},
  );
  t.deepEqual(config.regions.map(linkWarnings), [
    [],
    [
      'region "gbr": fdw.sslmode is "verify-ca": the certificate is checked against the CA, but not the host name, so any server with a certificate from that CA can pose as this region; remove fdw.sslmode from regions.yaml to use verify-full',
    ],
    [
      'region "aus": fdw.sslmode is "disable": the other regions reach it in clear text, so personal data crosses the border unencrypted; remove fdw.sslmode from regions.yaml to use verify-full',
    ],
  ]);
});

test('issue 19 #8: residency_dblink, the schema two-phase writes install dblink in, is refused as a region name and an entity schema', (t) => {
  recordCase(t, 8);
  t.deepEqual(problems(minimal('  - { name: residency_dblink, url: "postgres://a@h:1/db", postgres: 11 }')), [
    `regions[0].name: "residency_dblink" cannot be a region name: each region gets a schema of its name, and it is pg-residency's own schema (the dblink extension of two-phase writes); choose another name`,
  ]);
  t.deepEqual(
    problems(oneRegion('  - { name: a, schema: residency_dblink, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }\n')),
    [
      `entities[0].schema: "residency_dblink" cannot hold an entity: it is pg-residency's own schema (the dblink extension of two-phase writes); choose another schema`,
    ],
  );
  t.deepEqual(
    problems(
      oneRegion(
        '  - { name: a, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }\n',
        'app_roles: [residency_link, pg_monitor, public, app]\n',
      ),
    ),
    [
      'app_roles[0]: "residency_link" is link.role, the role regions log in to each other as; an application role must be another role',
      'app_roles[1]: "pg_monitor" is a role PostgreSQL reserves (granting to it grants to every role or to a built-in one); name the application\'s own role',
      'app_roles[2]: "public" is a role PostgreSQL reserves (granting to it grants to every role or to a built-in one); name the application\'s own role',
    ],
  );
});

test('issue 19 #8: types PostgreSQL would refuse are refused at validation, naming the limit', (t) => {
  recordCase(t, 8);
  const text = oneRegion(`  - name: e
    key: { name: k, type: varchar(99999999) }
    mirrored:
      - { name: a, type: numeric(1001) }
      - { name: b, type: "numeric(5,6)" }
      - { name: c, type: "char(0)[]" }
      - { name: d, type: timestamp(7) with time zone }
      - { name: e2, type: text(10) }
      - { name: f, type: "varchar(10,2)" }
      - { name: g, type: float(54) }
      - { name: h, type: integer(4) }
    resident:
      - { name: ok1, type: varchar(10485760) }
      - { name: ok2, type: "numeric(1000,1000)" }
      - { name: ok3, type: timestamptz(6) }
      - { name: ok4, type: vector(3) }
      - { name: ok5, type: "bit varying(83886080)" }
`);
  t.deepEqual(problems(text), [
    'entities[0].key.type: "varchar(99999999)" has length 99999999; varchar allows 1 to 10485760',
    'entities[0].mirrored[0].type: "numeric(1001)" has precision 1001; numeric allows 1 to 1000',
    'entities[0].mirrored[1].type: "numeric(5,6)" has scale 6 above its precision 5; numeric(p,s) needs 0 <= s <= p',
    'entities[0].mirrored[2].type: "char(0)[]" has length 0; char allows 1 to 10485760',
    'entities[0].mirrored[3].type: "timestamp(7) with time zone" has fractional-second precision 7; timestamp with time zone allows 0 to 6',
    'entities[0].mirrored[4].type: "text(10)" gives text a modifier, which it does not take; write text',
    'entities[0].mirrored[5].type: "varchar(10,2)" gives varchar 2 modifiers; it takes one (its length)',
    'entities[0].mirrored[6].type: "float(54)" has precision (in bits) 54; float allows 1 to 53',
    'entities[0].mirrored[7].type: "integer(4)" gives integer a modifier, which it does not take; write integer',
  ]);
});

test('issue 22 #3: a value of the wrong type says what was given (zod reportInput), a missing one that it is required', (t) => {
  t.deepEqual(
    problems(
      minimal(
        '  - { name: usa, url: "postgres://a@h:1/db", postgres: "ten" }\n  - { name: gbr, url: 5, postgres: 11 }\n  - { name: aus, postgres: 11, url: "postgres://a@h:3/db", fdw: [] }\n  - { name: can, url: "postgres://a@h:4/db" }',
      ),
    ),
    [
      'regions[0].postgres: expected a number, got string "ten"',
      'regions[1].url: expected a string, got number 5',
      'regions[2].fdw: expected an object, got a list',
      'regions[3].postgres: is required (number)',
    ],
  );
});

test('app_group: defaults to residency_app; may not be postgres, a reserved role, link.role or one of app_roles', (t) => {
  const entity = '  - { name: a, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }\n';
  t.is(parseConfig(oneRegion(entity, 'app_roles: [app]\n'), 'regions.yaml', {}).appGroup, 'residency_app');
  t.is(parseConfig(oneRegion(entity, 'app_group: shop_app\n'), 'regions.yaml', {}).appGroup, 'shop_app');
  const refused = (group: string) => problems(oneRegion(entity, `app_roles: [app]\napp_group: ${group}\n`));
  t.deepEqual(refused('postgres'), [
    'app_group: "postgres" is the bootstrap superuser and cannot be the app group: pg-residency only creates and alters a role of its own; use a new name (the default is residency_app)',
  ]);
  t.deepEqual(refused('pg_read_all_data'), [
    'app_group: "pg_read_all_data" cannot be the app group: role names starting with "pg_" are reserved by PostgreSQL; use another name',
  ]);
  t.deepEqual(refused('residency_link'), [
    'app_group: "residency_link" is link.role; the app group must be a role of its own (the default is residency_app)',
  ]);
  t.deepEqual(refused('app'), [
    'app_group: "app" is also in app_roles; the app group is a role pg-residency creates, its members are the app roles',
  ]);
});
