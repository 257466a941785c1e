import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Config } from '../config/types.js';
import { devEnv } from '../cluster/devSecrets.js';
import { devUp } from '../cluster/devUp.js';
import { ResidencyError } from '../errors.js';
import { connectRegion } from '../migrate/connect.js';
import { migrateFleet } from '../migrate/migrateFleet.js';
import { genMigrations, type GeneratedFs } from '../render/genMigrations.js';
import type { TemplateSources } from '../render/renderRegion.js';
import { ident } from '../sql/quote.js';
import { formatTable } from './formatTable.js';
import { DAVE, SEED_UPSERTS, seedSelects } from './seedWalkthrough.js';

export interface DemoInput {
  readonly config: Config;
  readonly stateDir: string;
  readonly generatedDir: string;
  readonly templates: TemplateSources;
  readonly fs: GeneratedFs;
  readonly env: Env;
  /** Receives the demo's output, a line or a block at a time. */
  readonly report: (text: string) => void;
}

async function show(client: pg.Client, sql: string, report: (text: string) => void, region: string): Promise<void> {
  const result = await client.query(sql);
  report(
    `${region}=# ${sql}\n${formatTable(
      result.fields.map((f) => f.name),
      result.rows,
    )}\n`,
  );
}

/**
 * The seed README's walkthrough on a local fleet: start it, generate and apply
 * the migrations, clear the demo data, run the walkthrough verbatim and show
 * every region's tables, then a rehome and an erase.
 */
export async function runDemo(input: DemoInput): Promise<void> {
  const { config, report } = input;
  const identity = config.entities.find((e) => e.schema === 'shared' && e.name === 'identity');
  if (identity === undefined || !config.regions.some((r) => r.name === 'usa')) {
    throw new ResidencyError(
      'CONFIG',
      'the demo runs the seed walkthrough: it needs entity "identity" in schema "shared" and a region "usa" (see the root regions.yaml)',
    );
  }
  const started = Date.now();
  const step = (text: string) => report(`\n== ${text} (${((Date.now() - started) / 1000).toFixed(1)}s)`);

  step('Starting one PostgreSQL server per region');
  for (const r of await devUp(config, { stateDir: input.stateDir, env: input.env })) {
    if (r.error) throw r.error;
    report(
      `${r.region.padEnd(6)} PostgreSQL ${r.major} on ${r.host}:${r.port} (${r.status})${r.pooler === undefined ? '' : `, link pooler on ${r.pooler.host}:${r.pooler.port}`}`,
    );
  }
  const env = await devEnv(input.stateDir, input.env);

  step('Generating migrations from regions.yaml');
  for (const r of await genMigrations({
    config,
    templates: input.templates,
    outDir: input.generatedDir,
    check: false,
    force: false,
    fs: input.fs,
  })) {
    report(`${r.region.padEnd(6)} ${r.status === 'unchanged' ? 'up to date' : `${r.files.length} file(s) written`}`);
  }

  step("Applying them: every region's own objects first, then the foreign tables");
  for (const r of await migrateFleet({ config, regions: [], all: true, direction: 'up', dir: input.generatedDir, env, dryRun: false })) {
    if (r.error?.code === 'CHECKSUM') {
      throw new ResidencyError(
        'CHECKSUM',
        `${r.error.message} The local fleet was migrated from other files (an older pg-residency?): \`pg-residency dev down --purge\` starts it afresh.`,
      );
    }
    if (r.error) throw r.error;
    report(`${r.region.padEnd(6)} ${r.status}${r.migrations.length ? ` (${r.migrations.length} migrations)` : ''}`);
  }

  const clients = new Map<string, pg.Client>();
  try {
    for (const region of config.regions) clients.set(region.name, await connectRegion(region, env, { purpose: 'demo' }));
    step('Clearing earlier demo data');
    for (const [name, client] of clients) {
      await client.query(`DELETE FROM ${ident(name)}.identity_details; DELETE FROM shared.identity_outbox; DELETE FROM shared.identity;`);
    }
    const usa = clients.get('usa')!;

    step('The seed walkthrough, on usa: nothing is there yet');
    for (const sql of seedSelects('usa')) await show(usa, sql, report, 'usa');

    step("So let's create some peoples (the seed's statement, verbatim)");
    await show(usa, SEED_UPSERTS, report, 'usa');
    report('Each cell: (uuid, created, owned_here): created is true for a new person, owned_here when usa owns them.');

    for (const [name, client] of clients) {
      step(`What ${name} holds: the directory everywhere, each name only in its own region's leaf`);
      for (const sql of seedSelects(name)) await show(client, sql, report, name);
    }

    step("A lookup by key reads the owner's partition only (shared.get_identity)");
    await show(
      clients.get(config.regions.at(-1)!.name)!,
      `select * from shared.get_identity('${DAVE}');`,
      report,
      config.regions.at(-1)!.name,
    );

    const target = config.regions.find((r) => r.name !== 'usa')!.name;
    step(`Rehome: David Welch moves from usa to ${target}`);
    await show(usa, `select shared.rehome_identity('${DAVE}', '${target}');`, report, 'usa');
    for (const [name, client] of clients) await show(client, `select * from ${ident(name)}.identity_details;`, report, name);

    step('Erase: the right to erasure removes every trace, in every region');
    await show(usa, `select shared.erase_identity('${DAVE}');`, report, 'usa');
    for (const [name, client] of clients) {
      await show(
        client,
        `select (select count(*) from shared.identity where uuid = '${DAVE}') as directory_rows, (select count(*) from shared.identity_details where uuid = '${DAVE}') as personal_rows;`,
        report,
        name,
      );
    }
    step('Done');
  } finally {
    await Promise.all([...clients.values()].map((c) => c.end().catch(() => undefined)));
  }
}
