import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 18, the rolling deploy: a real mixed fleet (usa on PostgreSQL 10, gbr
// 11, aus 18) goes through an add-column step and a default-change step, each
// rolled out region by region with usa first as the canary, while an old
// writer (the seed's upsert_identity signature and JSON shape) and a new
// writer (the new columns) interleave. No value written by either is ever
// lost or nulled, in any region; existing rows get the new defaults, the same
// in every region; verify says "rollout in progress" while regions are behind,
// and is clean at the end. A rename step (`renamed_from`) follows, usa first
// again: old writers keep the old field name, new ones the new.

const REGIONS = ['usa', 'gbr', 'aus'] as const;
const V0 = `
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid, default: uuid_generate_v4() }
    mirrored:
      - { name: note, type: text }
      - { name: created_on, type: timestamptz, not_null: true, default: now() }
EXTRA_MIRRORED    resident:
      - { name: name, type: text }
EXTRA_RESIDENT`;
const V1_MIRRORED = [
  `      - { name: tier, type: text, default: "'basic'" }`,
  `      - { name: joined, type: timestamptz, default: now() }`,
  `      - { name: phone, type: text }`,
].join('\n');
const V2_MIRRORED = [
  `      - { name: tier, type: text, default: "'gold'" }`,
  `      - { name: joined, type: timestamptz, default: now() }`,
  `      - { name: phone, type: text, default: "'none'" }`,
].join('\n');
const V3_MIRRORED = [
  `      - { name: tier, type: text, default: "'gold'" }`,
  `      - { name: joined, type: timestamptz, default: now() }`,
  `      - { name: mobile, type: text, default: "'none'", renamed_from: phone }`,
].join('\n');
const V1_RESIDENT = `      - { name: email, type: text, default: "'unknown'" }\n`;

let fleet: Fleet;
let head: string;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED });
  head = readFileSync(fleet.configPath, 'utf8').split('\nentities:')[0]!;
});
test.after.always(async () => {
  await fleet?.stop();
});

function version(mirrored: string, resident: string): Config {
  const yaml = `${head}\nentities:${V0.replace('EXTRA_MIRRORED', mirrored ? `${mirrored}\n` : '').replace('EXTRA_RESIDENT', resident)}`;
  writeFileSync(fleet.configPath, yaml);
  return parseConfig(yaml, fleet.configPath, {});
}

async function generate(config: Config, name: string, now: Date) {
  const results = await genMigrations({
    config,
    templates: await loadTemplates(),
    outDir: fleet.dir,
    check: false,
    force: false,
    name,
    fs: nodeGeneratedFs,
    now,
  });
  if (!results.every((r) => r.status === 'written')) throw new Error(`${name}: ${JSON.stringify(results)}`);
}

/** Every region's directory row (the given columns) and, in the owner, the personal row of each key. */
async function everywhere(keys: readonly string[], mirrored: readonly string[], resident: readonly string[]) {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const region of REGIONS) {
    const dir = await fleet.query(
      region,
      `SELECT uuid::text, region, ${mirrored.map((c) => `${c}::text AS ${c}`).join(', ')} FROM shared.identity WHERE uuid = ANY ($1::uuid[]) ORDER BY uuid`,
      [keys],
    );
    const leaf = await fleet.query(
      region,
      `SELECT uuid::text, ${resident.map((c) => `${c}::text AS ${c}`).join(', ')} FROM ONLY "${region}".identity_details WHERE uuid = ANY ($1::uuid[])`,
      [keys],
    );
    const leafOf = new Map(leaf.map((r) => [r.uuid as string, r]));
    for (const row of dir) {
      const key = row.uuid as string;
      const personal = leafOf.get(key);
      out[key] ??= {};
      out[key][region] = { ...row, ...(personal === undefined ? {} : { personal: { ...personal, uuid: undefined } }) };
    }
  }
  return out;
}

/** The old application: the seed's call and JSON shape, never a new column. */
async function oldWrite(from: string, key: string, owner: string, name: string, note: string) {
  await fleet.query(from, 'SELECT shared.upsert_identity($1, $2, $3, $4)', [key, name, owner, note]);
}
async function oldWriteJson(from: string, key: string, owner: string, note: string) {
  await fleet.query(from, 'SELECT * FROM shared.upsert_identity_many($1)', [JSON.stringify([{ uuid: key, region: owner, note }])]);
}
/** The new application: the new columns, by JSON (its upsert_identity overload is the newest). */
async function newWrite(from: string, row: Record<string, unknown>) {
  await fleet.query(from, 'SELECT * FROM shared.upsert_identity_many($1)', [JSON.stringify([row])]);
}
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'none',
    (e: { code: string }) => e.code,
  );

test.serial('a rolling deploy with a canary region: old and new writers interleave, no value is lost or nulled', async (t) => {
  // rows before the steps, one per owner
  const before = REGIONS.map((r) => ({ key: randomUUID(), owner: r }));
  for (const [i, b] of before.entries()) await oldWrite(REGIONS[(i + 1) % 3]!, b.key, b.owner, `before ${b.owner}`, 'n0');

  // step 1: add columns (a constant default, now(), none; a resident one with a default)
  const generatedAt = new Date('2026-06-01T12:00:00.000Z');
  const v1 = version(V1_MIRRORED, V1_RESIDENT);
  await generate(v1, 'add-columns', generatedAt);

  // the canary: usa runs the step's local wave; its remote wave (the functions that accept the columns) waits
  const [canary] = await fleet.migrate({ config: v1, regions: ['usa'], all: false });
  t.is(canary?.status, 'applied', JSON.stringify(canary));
  const wait = canary?.warnings.find((w) => w.startsWith('rollout in progress'));
  t.truthy(wait, JSON.stringify(canary?.warnings));
  t.regex(
    wait ?? '',
    /region "usa" ran step "add-columns" up to its remote wave; \S+_add_columns_functions_identity\.sql waits until "gbr", "aus" ran the step's local wave/,
  );
  t.regex(wait ?? '', /migrate up --region gbr --region aus/);
  // usa does not accept the new column yet: refused, never silently dropped
  const k1 = randomUUID();
  t.is(await failure(newWrite('usa', { uuid: k1, region: 'gbr', name: 'K1', phone: '+1' })), 'RS008');
  // old writers go on in every region: a new key from a region without the column, an update from usa
  const k2 = randomUUID();
  await oldWrite('gbr', k2, 'usa', 'K2', 'n1');
  await oldWriteJson('usa', before[1]!.key, 'gbr', 'n1');

  // verify during the rollout: a warning naming the regions behind, no region unreachable
  const during = await verifyFleet(v1, fleet.env, { dir: fleet.dir });
  t.deepEqual(
    during.findings.filter((f) => f.rule !== 'RV402').map((f) => `${f.rule} ${f.region} ${f.detail}`),
    [],
  );
  t.true(during.findings.some((f) => f.rule === 'RV402' && f.detail.startsWith('rollout in progress: regions "gbr", "aus" behind')));
  t.true(during.regions.every((r) => r.error === undefined && r.links.every((l) => l.ok)));

  // gbr: its local wave; aus: both waves (every region has the columns now), so aus accepts them first
  const [second] = await fleet.migrate({ config: v1, regions: ['gbr'], all: false });
  t.regex(second?.warnings.join('\n') ?? '', /waits until "aus" ran/);
  const [third] = await fleet.migrate({ config: v1, regions: ['aus'], all: false });
  t.deepEqual([third?.status, third?.warnings.filter((w) => w.startsWith('rollout'))], ['applied', []]);

  // the new writer from aus sets the new columns on rows of every owner; the value reaches every region
  for (const b of before) await newWrite('aus', { uuid: b.key, region: b.owner, phone: `phone ${b.owner}`, email: `${b.owner}@x` });
  await newWrite('aus', { uuid: k1, region: 'gbr', name: 'K1', phone: '+1', tier: 'pro' });
  // the old writer, in regions whose functions do not take the columns yet, updates the same rows
  for (const [i, b] of before.entries()) await oldWrite(REGIONS[i]!, b.key, b.owner, `old ${b.owner}`, 'n2');
  await oldWriteJson('gbr', k1, 'gbr', 'n2');
  await fleet.migrate({ config: v1, all: true });

  const columns = ['note', 'tier', 'joined', 'phone'];
  const step1 = await everywhere([...before.map((b) => b.key), k1, k2], columns, ['name', 'email']);
  for (const [key, regions] of Object.entries(step1)) {
    const dirs = REGIONS.map((r) => JSON.stringify({ ...regions[r], personal: undefined }));
    t.is(new Set(dirs).size, 1, `${key}: the directory row is the same in every region: ${dirs.join(' | ')}`);
  }
  for (const [i, b] of before.entries()) {
    t.like(step1[b.key]![b.owner], {
      note: 'n2',
      tier: 'basic',
      phone: `phone ${b.owner}`,
      personal: { name: `old ${b.owner}`, email: `${b.owner}@x` },
    });
    // a row that existed before the column: the time the step was generated, in every region
    t.is(new Date(step1[b.key]![REGIONS[i]!]!.joined as string).toISOString(), generatedAt.toISOString());
  }
  t.like(step1[k1]!.gbr, { note: 'n2', tier: 'pro', phone: '+1', personal: { name: 'K1', email: 'unknown' } });
  // written by the old writer from gbr before gbr had the columns: defaults, the same everywhere
  t.like(step1[k2]!.usa, { note: 'n1', tier: 'basic', phone: null, personal: { name: 'K2', email: 'unknown' } });

  // step 2: phone gets a default (its NULLs are filled), tier's default changes (new rows only)
  const v2 = version(V2_MIRRORED, V1_RESIDENT);
  await generate(v2, 'defaults', generatedAt);
  const [canary2] = await fleet.migrate({ config: v2, regions: ['usa'], all: false });
  t.is(canary2?.status, 'applied');
  // during: an old writer creates a key from gbr (still without the default), the new one from usa
  const k3 = randomUUID();
  const k4 = randomUUID();
  await oldWrite('gbr', k3, 'aus', 'K3', 'n3');
  await newWrite('usa', { uuid: k4, region: 'usa', name: 'K4', phone: '+4' });
  await fleet.migrate({ config: v2, all: true });
  const step2 = await everywhere([...before.map((b) => b.key), k1, k2, k3, k4], columns, ['name', 'email']);
  for (const [key, regions] of Object.entries(step2)) {
    const dirs = REGIONS.map((r) => JSON.stringify({ ...regions[r], personal: undefined }));
    t.is(new Set(dirs).size, 1, `${key}: the directory row is the same in every region: ${dirs.join(' | ')}`);
  }
  t.like(step2[k2]!.usa, { phone: 'none', tier: 'basic' }, 'a NULL of the column given a default is filled');
  t.like(step2[k3]!.aus, { phone: 'none', note: 'n3', personal: { name: 'K3', email: 'unknown' } });
  t.like(step2[k4]!.usa, { phone: '+4', tier: 'gold', personal: { name: 'K4' } });
  for (const b of before) t.like(step2[b.key]![b.owner], { phone: `phone ${b.owner}`, personal: { email: `${b.owner}@x` } });

  const after = await verifyFleet(v2, fleet.env, { dir: fleet.dir });
  t.deepEqual(
    after.findings.map((f) => `${f.rule} ${f.region} ${f.detail}`),
    [],
  );
  t.true(after.ok);

  // step 3: phone renamed to mobile, the fleet at once; the old writer keeps sending "phone", the new one "mobile"
  const v3 = version(V3_MIRRORED, V1_RESIDENT);
  await generate(v3, 'rename', generatedAt);
  const k5 = randomUUID();
  await oldWrite('usa', k5, 'gbr', 'K5', 'n5');
  await fleet.migrate({ config: v3, all: true });
  await newWrite('usa', { uuid: k5, region: 'gbr', mobile: '+5' });
  await oldWriteJson('gbr', k4, 'usa', 'n4');
  await fleet.query('aus', 'SELECT * FROM shared.upsert_identity_many($1)', [
    JSON.stringify([{ uuid: before[2]!.key, region: 'aus', phone: 'old name' }]),
  ]);
  await oldWrite('gbr', k5, 'gbr', 'K5 old', 'n6');
  const renamed = ['note', 'tier', 'joined', 'mobile'];
  const step3 = await everywhere([...before.map((b) => b.key), k1, k2, k3, k4, k5], renamed, ['name', 'email']);
  for (const [key, regions] of Object.entries(step3)) {
    const dirs = REGIONS.map((r) => JSON.stringify({ ...regions[r], personal: undefined }));
    t.is(new Set(dirs).size, 1, `${key}: the directory row is the same in every region: ${dirs.join(' | ')}`);
  }
  t.like(step3[k5]!.gbr, { mobile: '+5', note: 'n6', personal: { name: 'K5 old' } });
  t.like(step3[k4]!.usa, { mobile: '+4', note: 'n4', tier: 'gold', personal: { name: 'K4' } });
  t.like(step3[before[2]!.key]!.aus, { mobile: 'old name', personal: { email: 'aus@x' } });
  t.like(step3[before[0]!.key]!.usa, { mobile: 'phone usa' });
  const renamedClean = await verifyFleet(v3, fleet.env, { dir: fleet.dir });
  t.deepEqual(
    renamedClean.findings.map((f) => `${f.rule} ${f.region} ${f.detail}`),
    [],
  );
});

// A rename rolled out with a canary region would lose a write: a region that
// has not renamed yet sends the old field name to the renamed one, whose apply
// drops it (the owner keeps the default). So a rename does not run region by
// region: `migrate up --region` stops before it, saying to use --all.
test.serial(
  'a rename does not roll out region by region: the canary stops before it, says to use --all, and a write meanwhile reaches every region',
  async (t) => {
    const v4 = version(
      V3_MIRRORED.replace(
        'name: mobile, type: text, default: "\'none\'", renamed_from: phone',
        'name: cell, type: text, default: "\'none\'", renamed_from: mobile',
      ),
      V1_RESIDENT,
    );
    await generate(v4, 'rename-canary', new Date('2026-06-02T12:00:00.000Z'));
    const [canary] = await fleet.migrate({ config: v4, regions: ['usa'], all: false });
    t.regex(canary?.warnings.join('\n') ?? '', /renames a column: .* was not run in region "usa" because "gbr", "aus" did not run it yet/);
    t.regex(canary?.warnings.join('\n') ?? '', /pg-residency migrate up --all/);
    // usa still has the old name: nothing renamed anywhere
    for (const region of REGIONS) {
      const cols = await fleet.query(
        region,
        "SELECT attname FROM pg_attribute WHERE attrelid = 'shared.identity'::regclass AND attname IN ('mobile', 'cell') AND NOT attisdropped",
      );
      t.deepEqual(cols, [{ attname: 'mobile' }], region);
    }
    const key = randomUUID();
    await newWrite('gbr', { uuid: key, region: 'usa', name: 'K6', mobile: '+6' });
    await fleet.migrate({ config: v4, all: true });
    const rows = await everywhere([key], ['cell'], ['name']);
    for (const region of REGIONS) t.like(rows[key]![region], { cell: '+6' }, region);
  },
);
