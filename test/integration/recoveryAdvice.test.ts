import test from 'ava';
import { randomUUID } from 'node:crypto';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { repairFleet } from '../../src/verify/repairFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { untilPaused } from '../helpers/poll.js';

// Issue 19 #9: each finding's fix is a command that succeeds on that state.
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED });
});
test.after.always(async () => {
  await fleet?.stop();
});

const verify = () => verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
const of = (findings: readonly { rule: string; region: string; key?: string }[], key: string) =>
  findings.filter((f) => f.key === key).map((f) => `${f.rule} ${f.region}`);

test.serial(
  'issue 19 #9: a decided write still prepared is RV109 "run resolve", not an orphan; repair leaves its directory row; resolve finishes it',
  async (t) => {
    recordCase(t, 9, 0, 19);
    const key = randomUUID();
    const usa = await fleet.client('usa');
    // usa creates a key owned by gbr and is killed after its decision: usa's directory row is
    // committed, gbr's and aus's parts (gbr's personal row among them) stay prepared
    await usa.query("SET residency.test_pause = 'before_commit_prepared'");
    const [{ pid }] = (await usa.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const call = usa.query("SELECT shared.upsert_identity($1, 'Decided', 'gbr', 'n')", [key]).catch((e: { code: string }) => e.code);
    await untilPaused(fleet, 'usa', 'before_commit_prepared');
    await fleet.query('usa', 'SELECT pg_terminate_backend($1)', [pid]);
    t.is(await call, '57P01');
    // since issue 20 the coordinator's own part is prepared too, and is committed by the COMMIT
    // PREPARED wave beside the others: the state above is a wave that reached usa only
    const [{ gid }] = (await fleet.query<{ gid: string }>('usa', 'SELECT gid FROM pg_prepared_xacts')) as [{ gid: string }];
    await fleet.query('usa', `COMMIT PREPARED '${gid}'`);

    const during = await verify();
    t.deepEqual(of(during.findings, key), ['RV109 gbr']);
    const finding = during.findings.find((f) => f.key === key)!;
    t.regex(finding.fix, /^run `pg-residency resolve --all`/);
    const dry = await repairFleet(fleet.config, fleet.env, { dryRun: true });
    t.deepEqual(
      dry.changes.filter((c) => c.key === key),
      [],
      'repair does not offer to delete the directory row of a decided write',
    );
    t.deepEqual(of(dry.unrepaired, key), ['RV109 gbr']);

    // the fix works: resolve commits the decided write, and verify is clean
    const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
    t.true(
      resolved.every((r) => r.error === undefined && r.pending === 0),
      JSON.stringify(resolved),
    );
    t.deepEqual(of((await verify()).findings, key), []);
    t.deepEqual(await fleet.query('gbr', 'SELECT name FROM ONLY gbr.identity_details WHERE uuid = $1', [key]), [{ name: 'Decided' }]);
  },
);

test.serial(
  'issue 19 #9: the owner lost its own directory row: the advice is repair (rehome fails there with RS004), and repair fixes it',
  async (t) => {
    recordCase(t, 9, 0, 19);
    const key = randomUUID();
    await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Holder', 'gbr', 'n')", [key]);
    await fleet.query('gbr', 'DELETE FROM shared.identity WHERE uuid = $1', [key]);
    const broken = await verify();
    t.deepEqual(of(broken.findings, key), ['RV101 gbr']);
    t.regex(broken.findings.find((f) => f.key === key)!.fix, /`pg-residency repair` copies the directory row of "(usa|aus)" to "gbr"/);
    // the advice of old (call rehome from the holder) does not work on this state
    const rehome = await fleet.query('gbr', "SELECT shared.rehome_identity($1, 'gbr')", [key]).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    );
    t.not(rehome, 'ok');
    const repaired = await repairFleet(fleet.config, fleet.env, {});
    t.true(repaired.ok, JSON.stringify(repaired.unrepaired));
    t.deepEqual(
      repaired.changes.filter((c) => c.key === key).map((c) => `${c.action} ${c.region}`),
      ['copy-directory gbr'],
    );
    t.deepEqual(of((await verify()).findings, key), []);
  },
);
