import test from 'ava';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { buildCli } from '../../src/cli/buildCli.js';
import { connectFleet } from '../../src/client/connectFleet.js';
import { APP_ROLE, MANAGED_FLEET, MIGRATOR, startManagedFleet, type ManagedFleet } from '../helpers/managedFleet.js';

// Issue 17: databases pg-residency did not start, run by a migrator that is
// not a superuser. Four servers started outside `dev up` (10, 11 and 18 from
// npm, 15 from Debian's postgresql-15), TLS on, the admin SQL of
// docs/own-databases.md run once as the bootstrap superuser; then every
// command as the migrator, and writes as an application role. No superuser
// connects after the admin's setup (log_connections proves it).
let fleet: ManagedFleet;
let state: string;
test.before(async () => {
  fleet = await startManagedFleet();
  state = join(fleet.root, 'cli-state');
  await fleet.markLogs();
});
test.after.always(async () => {
  await fleet?.stop();
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: [...argv, '--config', fleet.configPath, '--state-dir', state],
    env: Object.freeze({ ...fleet.env }),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

async function json(...argv: string[]) {
  const r = await cli(...argv, '--json');
  return { ...r, json: JSON.parse(r.stdout) as { ok: boolean; regions: Record<string, unknown>[]; findings?: { rule: string }[] } };
}

const regions = MANAGED_FLEET.map((r) => r.name);

test.serial('every command works as a migrator that is not a superuser, on 10, 11, 15 (Debian) and 18', async (t) => {
  const dir = join(fleet.root, 'generated');
  const gen = await cli('gen-migrations', '--out', dir);
  t.is(gen.code, 0, gen.stderr);

  // migrate up: everything applied; what the migrator may not do is printed for an admin, never skipped silently
  const up = await json('migrate', 'up', '--all', '--dir', dir);
  t.is(up.code, 0, up.stderr + up.stdout);
  t.deepEqual(
    up.json.regions.map((r) => r.status),
    regions.map(() => 'applied'),
  );
  const todo = Object.fromEntries(up.json.regions.map((r) => [r.region as string, (r.adminTodo ?? []) as { item: string; fix: string }[]]));
  // 10 and 11: the link role's superuser-only log settings, the functions' log_min_error_statement, CREATE on public
  for (const region of ['usa', 'gbr']) {
    const items = todo[region]!.map((x) => x.item);
    t.true(items.includes('log settings of the link role residency_link'), `${region}: ${items.join('; ')}`);
    t.true(items.includes('log_min_error_statement of the functions of shared.identity'), region);
    t.true(items.includes('CREATE on schema public for PUBLIC'), region);
    const fix = todo[region]!.find((x) => x.item.startsWith('log settings'))!.fix;
    t.regex(fix, /^ALTER ROLE residency_link SET log_min_messages = 'fatal';$/m);
    t.regex(fix, /^DELETE FROM "residency"\."admin_todo" WHERE item = 'log settings of the link role residency_link';$/m);
    t.regex(
      todo[region]!.find((x) => x.item.startsWith('log_min'))!.fix,
      /^ALTER DATABASE residency SET log_min_error_statement = 'panic';$/m,
    );
  }
  // 15 and 18: GRANT SET ON PARAMETER (the admin SQL) lets the migrator set them all
  for (const region of ['deu', 'aus']) t.deepEqual(todo[region], [], region);
  const plain = await cli('migrate', 'up', '--all', '--dir', dir);
  t.regex(plain.stderr, /^usa {10}admin to-do: log settings of the link role residency_link: the migrating role may not; as an admin/m);

  // the admin runs the printed SQL on usa and gbr: their to-dos are gone, the settings are in place
  for (const region of ['usa', 'gbr']) {
    const admin = await fleet.connectSuperuser(region);
    for (const x of todo[region]!) await admin.query(x.fix);
    await admin.end();
  }
  await fleet.markLogs();
  const again = await json('migrate', 'up', '--all', '--dir', dir);
  t.is(again.code, 0, again.stderr);
  t.deepEqual(
    again.json.regions.map((r) => r.adminTodo ?? []),
    regions.map(() => []),
  );

  const status = await json('migrate', 'status', '--all', '--dir', dir);
  t.is(status.code, 0, status.stdout);

  // writes as the application role, from every region, through connectFleet
  const keys: string[] = [];
  const client = await connectFleet({
    config: fleet.configPath,
    env: fleet.env,
    connections: Object.fromEntries(
      regions.map((r) => [
        r,
        { host: '127.0.0.1', port: fleet.ports[r], user: APP_ROLE, password: fleet.appPassword, database: 'residency', ssl: fleet.ssl },
      ]),
    ),
  });
  try {
    const identity = client.entity('identity');
    for (const [i, owner] of regions.entries()) {
      const key = randomUUID();
      keys.push(key);
      await identity.upsert(
        { uuid: key, name: `Managed Person ${i}`, region: owner, note: 'n' },
        { region: regions[(i + 1) % regions.length] },
      );
    }
    t.deepEqual(
      (await client.resolve()).map((r) => [r.region, r.error?.message]),
      regions.map((r) => [r, undefined]),
    );
  } finally {
    await client.close();
  }
  for (const [i, owner] of regions.entries()) {
    const app = await fleet.connect(owner, APP_ROLE, fleet.appPassword);
    const rows = (await app.query(`SELECT region, name FROM shared.identity_details WHERE uuid = $1`, [keys[i]])).rows;
    t.deepEqual(rows, [{ region: owner, name: `Managed Person ${i}` }], owner);
    await app.end();
  }

  // verify, repair, sync, resolve as the migrator
  const verify = await json('verify', '--all', '--dir', dir);
  t.is(verify.code, 0, JSON.stringify([verify.json.findings, verify.json.regions.map((r) => r.error)]));
  // a directory row lost in aus: verify names it, repair (as the migrator) copies it back
  const migrator = await fleet.connect('aus', MIGRATOR, fleet.env.PGPASSWORD!);
  await migrator.query('DELETE FROM shared.identity WHERE uuid = $1', [keys[0]]);
  await migrator.end();
  const broken = await json('verify', '--all', '--dir', dir);
  t.deepEqual(
    broken.json.findings!.map((f) => f.rule),
    ['RV101'],
  );
  const repair = await json('repair');
  t.is(repair.code, 0, repair.stdout + repair.stderr);
  t.is((repair.json as unknown as { changes: unknown[] }).changes.length, 1);
  t.is((await cli('sync', '--all')).code, 0);
  t.is((await cli('resolve', '--all')).code, 0);

  // a killed region (SIGKILL of its postmaster) and its recovery
  await fleet.killRegion('gbr');
  const down = await cli('verify', '--region', 'gbr', '--dir', dir);
  t.is(down.code, 1);
  const key = randomUUID();
  const usa = await fleet.connect('usa', APP_ROLE, fleet.appPassword);
  await usa.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [key, 'While gbr was down', 'usa', 'n']);
  const owned = await usa.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'Owned by gbr', 'gbr', 'n']).then(
    () => 'ok',
    (e: { code: string }) => e.code,
  );
  t.is(owned, 'RS011');
  await usa.end();
  await fleet.startRegion('gbr');
  t.is((await cli('resolve', '--all')).code, 0);
  const sync = await json('sync', '--all');
  t.is(sync.code, 0, sync.stdout);
  const after = await json('verify', '--all', '--dir', dir);
  t.is(after.code, 0, JSON.stringify(after.json.findings));

  // while the regions hold their rows: no personal value in another region's log
  await fleet.auditLogs();

  // migrate down as the migrator: every file reverted, the admin's extensions left in place
  const revert = await json('migrate', 'down', '--all', '--allow-destructive', '--dir', dir);
  t.is(revert.code, 0, revert.stderr + revert.stdout);
  t.deepEqual(
    revert.json.regions.map((r) => r.status),
    regions.map(() => 'reverted'),
  );

  // nobody but the migrator and the application role connected after the admin's setup
  const logs = await fleet.logsSinceMark();
  const linkPassword = fleet.env.PG_RESIDENCY_LINK_PASSWORD!;
  for (const region of regions) {
    // issue 17: log_statement = 'ddl' on every region, up, status and down done: the link password is in no log
    t.true(logs[region]!.includes('statement: '), `${region}: statements are logged`);
    t.false(logs[region]!.includes(linkPassword), `${region}: the link password is in the server log`);
    const users = new Set([...logs[region]!.matchAll(/connection authorized: user=(\S+)/g)].map((m) => m[1]));
    t.false(users.has('postgres'), `${region}: a superuser connected`);
    t.true(users.has(MIGRATOR), `${region}: the migrator's connections are logged`);
  }
  const extensions = await fleet.connect('deu', MIGRATOR, fleet.env.PGPASSWORD!);
  t.deepEqual((await extensions.query(`SELECT extname FROM pg_extension WHERE extname IN ('postgres_fdw', 'dblink') ORDER BY 1`)).rows, [
    { extname: 'dblink' },
    { extname: 'postgres_fdw' },
  ]);
  await extensions.end();
});
