import test from 'ava';
import type { Config } from '../../../src/config/types.js';
import type { DoctorInput } from '../../../src/doctor/doctorRule.js';
import { linkTls } from '../../../src/doctor/rules/linkTls.js';
import { CONFIG, input, readySnapshot } from '../doctorFixture.js';

const withFdw = (region: string, fdw: Partial<Config['regions'][number]['fdw']>): Config => ({
  ...CONFIG,
  regions: CONFIG.regions.map((r) => (r.name === region ? { ...r, fdw: { ...r.fdw, ...fdw } } : r)),
});
const on = (config: Config, base: DoctorInput): DoctorInput => ({
  ...base,
  config,
  region: config.regions.find((r) => r.name === base.region.name)!,
});

test("a migrated link libpq refuses (issue 17, finding 1): libpq's reason, and the CA fix", (t) => {
  const reason =
    'could not establish connection: root certificate file "/var/lib/postgresql/.postgresql/root.crt" does not exist [SQLSTATE 08001]';
  const [f, ...rest] = linkTls(
    input(
      readySnapshot({
        linkProbes: [
          { server: 'usa', ok: false, error: reason },
          { server: 'aus', ok: true },
        ],
      }),
    ),
  );
  t.deepEqual(rest, []);
  t.is(f?.id, 'link-failed');
  t.is(f?.title, '"gbr" cannot reach "usa"');
  t.is(f?.detail, `connecting through the server "usa" as the link role failed: ${reason}`);
  t.regex(f!.fix, /^set fdw: \{ sslrootcert: <the CA file that signed "usa"'s server certificate> \} for region "usa"/);
});

test('other reasons: a password, a host name, a server down', (t) => {
  const fix = (error: string) =>
    linkTls(
      input(
        readySnapshot({
          linkProbes: [
            { server: 'usa', ok: false, error },
            { server: 'aus', ok: true },
          ],
        }),
      ),
    )[0]!.fix;
  t.regex(
    fix('FATAL:  password authentication failed for user "residency_link"'),
    /^set PG_RESIDENCY_LINK_PASSWORD to the link role's password/,
  );
  t.regex(fix('server certificate for "x" does not match host name "db.usa.example"'), /^set fdw\.host of region "usa"/);
  t.regex(fix('could not connect to server: Connection refused'), /^check that "usa" is up/);
  const certConfig: Config = { ...CONFIG, regions: CONFIG.regions.map((r) => ({ ...r, fdw: { ...r.fdw, auth: 'cert' as const } })) };
  const [cert] = linkTls(
    on(
      certConfig,
      input(
        readySnapshot({
          linkProbes: [
            { server: 'usa', ok: false, error: 'password is required' },
            { server: 'aus', ok: true },
          ],
        }),
      ),
    ),
  );
  t.regex(cert!.fix, /^dblink lets a role that is not a superuser log in only with a password/);
});

test('not migrated: sslmode weaker than verify-full and a missing CA file are named from regions.yaml', (t) => {
  const config = withFdw('usa', { sslmode: 'require', sslmodeExplicit: true });
  const noCa = withFdw('aus', { sslrootcert: undefined });
  const findings = linkTls(
    on(
      { ...noCa, regions: noCa.regions.map((r, i) => (i === 0 ? config.regions[0]! : r)) },
      input(readySnapshot({ servers: [], linkProbes: [] })),
    ),
  );
  t.deepEqual(
    findings.map((f) => [f.id, f.level, f.title]),
    [
      ['link-sslmode', 'warning', 'the link to "usa" does not check its server'],
      ['link-sslrootcert', 'warning', 'the link to "aus" names no CA file'],
    ],
  );
});

test('a CA file regions.yaml names that is not on this server (read by a superuser): an error naming the path', (t) => {
  const [f] = linkTls(
    input(readySnapshot({ superuser: true, servers: [], linkProbes: [], files: [{ path: '/etc/ssl/ca.crt', exists: false }] })),
  );
  t.is(f?.id, 'link-file-missing');
  t.is(f?.detail, `/etc/ssl/ca.crt does not exist on "gbr"'s server (a relative path is read from its data directory)`);
  t.deepEqual(linkTls(input(readySnapshot())), []);
});
