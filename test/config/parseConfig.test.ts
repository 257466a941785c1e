import test from 'ava';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/errors.js';
import { linkWarnings } from '../../src/config/linkWarnings.js';
import { parseConfig } from '../../src/config/parseConfig.js';

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
    'regions[1]: unknown key "extra"; see the regions.yaml reference in README.md',
    'entities[0].resident: an entity needs at least one resident (personal) column',
    ': unknown key "colour"; see the regions.yaml reference in README.md',
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
    'entities[0].key.type: "uuid; drop table x" is not a type name this tool accepts (e.g. text, uuid, numeric(10,2), text[])',
    'entities[0].mirrored[0].default: "1; drop table x" must be one SQL expression, without ";" or comments',
    'entities[0].resident[0].name: column "note" is already defined at entities[0].mirrored[0].name',
    'entities[0].schema: "usa" is also a region name, and each region has a schema of its own; choose another schema',
  ]);
});

test('a password in a url never appears in an error', (t) => {
  const out = problems(minimal('  - { name: usa, url: "mysql://admin:hunter2@h:1/db", postgres: 11 }'));
  t.deepEqual(out, ['regions[0].url: "mysql://admin:***@h:1/db" must start with postgres:// or postgresql://']);
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

test('a region takes the link role by certificate only when every other region runs 13+ and reaches it over TLS', (t) => {
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
  // Only "old" is reached by 13+ regions alone; the others have "old" (12) among their clients.
  t.deepEqual(
    config.regions.map((r) => [r.name, r.fdw.auth]),
    [
      ['old', 'cert'],
      ['new1', 'password'],
      ['new2', 'password'],
      ['plain', 'password'],
    ],
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
