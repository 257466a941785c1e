import { derivedNames } from '../config/derivedNames.js';
import { isLocalHost } from '../config/localHost.js';
import { SSL_MODES, type Config, type Entity, type Region } from '../config/types.js';
import { serverConnectionOptions } from '../migrate/serverBinding.js';
import type { CatalogSnapshot } from './catalogSnapshot.js';
import type { ExpectedObjects } from './expectedObjects.js';
import { finding, type Finding } from './finding.js';

const options = (list: readonly string[]): Map<string, string> =>
  new Map(list.map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));

/** The columns each table of an entity must have, by role. */
function entityColumns(e: Entity) {
  return {
    directory: [e.key, { ...e.key, name: e.regionColumn, type: 'text' }, ...e.mirrored],
    details: [e.key, { ...e.key, name: e.regionColumn, type: 'text' }, ...e.resident],
  };
}

/**
 * Catalog drift in one region: what regions.yaml and the applied migrations
 * say the region must hold, against pg_catalog.
 */
export function auditCatalog(config: Config, region: Region, cat: CatalogSnapshot, expected: ExpectedObjects | undefined): Finding[] {
  const out: Finding[] = [];
  const here = region.name;
  const rel = (schema: string, name: string) => cat.relations.find((r) => r.schema === schema && r.name === name);
  const cols = (schema: string, name: string) => cat.columns.filter((c) => c.schema === schema && c.name === name);
  const norm = (type: string) => cat.normalisedTypes[type] ?? type;

  const checkColumns = (schema: string, name: string, want: readonly { name: string; type: string }[]) => {
    const have = cols(schema, name);
    const object = `${schema}.${name}`;
    for (const w of want) {
      const h = have.find((c) => c.column === w.name);
      if (h === undefined)
        out.push(
          finding(
            'RV203',
            here,
            object,
            `column "${w.name}" is missing`,
            'run `pg-residency migrate up --all`; if it was dropped by hand, restore it from the migration',
          ),
        );
      else if (h.type !== norm(w.type))
        out.push(
          finding(
            'RV203',
            here,
            object,
            `column "${w.name}" is ${h.type}, regions.yaml says ${norm(w.type)}`,
            'change it back by hand: types are not changed by pg-residency',
          ),
        );
    }
    for (const h of have.filter((c) => !want.some((w) => w.name === c.column)))
      out.push(
        finding(
          'RV203',
          here,
          object,
          `column "${h.column}" is not in regions.yaml`,
          `drop it (ALTER TABLE ... DROP COLUMN "${h.column}"), or add it to regions.yaml and generate a step`,
        ),
      );
  };

  for (const e of config.entities) {
    const n = derivedNames(e.name);
    const { directory, details } = entityColumns(e);
    const parent = `${e.schema}.${n.details}`;
    if (rel(e.schema, e.name)) checkColumns(e.schema, e.name, directory);
    else out.push(finding('RV201', here, `${e.schema}.${e.name}`, 'the directory table is missing', 'run `pg-residency migrate up --all`'));
    if (rel(e.schema, n.details)) checkColumns(e.schema, n.details, details);
    else out.push(finding('RV201', here, parent, 'the partitioned parent is missing', 'run `pg-residency migrate up --all`'));
    const outbox = cols(e.schema, n.outbox);
    const queueColumns = [e.key.name, e.regionColumn, 'queued_at'];
    if (outbox.length > 0)
      for (const c of queueColumns.filter((c) => !outbox.some((o) => o.column === c)))
        out.push(finding('RV203', here, `${e.schema}.${n.outbox}`, `column "${c}" is missing`, 'run `pg-residency migrate up --all`'));

    for (const r of config.regions) {
      const leaf = rel(r.name, n.details);
      const object = `${r.name}.${n.details}`;
      const local = r.name === here;
      if (leaf === undefined) {
        out.push(
          finding(
            'RV201',
            here,
            object,
            `the ${local ? 'local leaf' : 'foreign partition'} is missing`,
            'run `pg-residency migrate up --all`',
          ),
        );
        continue;
      }
      if (leaf.kind !== (local ? 'r' : 'f'))
        out.push(
          finding(
            'RV204',
            here,
            object,
            `is a ${leaf.kind === 'f' ? 'foreign table' : 'plain table'}, expected a ${local ? 'local table' : 'foreign table'}`,
            'restore it from the migration',
          ),
        );
      if (leaf.parent !== parent || leaf.bound !== `FOR VALUES IN ('${r.name.replaceAll("'", "''")}')`)
        out.push(
          finding(
            'RV204',
            here,
            object,
            `attached to ${leaf.parent ?? 'nothing'} with ${leaf.bound ?? 'no bound'}; expected a partition of ${parent} FOR VALUES IN ('${r.name}')`,
            `re-attach it: ALTER TABLE ${parent} ATTACH PARTITION ${object} FOR VALUES IN ('${r.name}')`,
          ),
        );
      checkColumns(r.name, n.details, details);
      if (local) {
        const constraints = cat.constraints.filter((c) => c.schema === r.name && c.name === n.details);
        if (!constraints.some((c) => c.type === 'p'))
          out.push(
            finding(
              'RV205',
              here,
              object,
              'the primary key on the key is missing',
              `ALTER TABLE ${object} ADD PRIMARY KEY ("${e.key.name}")`,
            ),
          );
        if (!constraints.some((c) => c.type === 'c' && c.def.includes(`= '${r.name.replaceAll("'", "''")}'`)))
          out.push(
            finding('RV205', here, object, `the CHECK ("${e.regionColumn}" = '${r.name}') is missing`, 'restore it from the migration'),
          );
        // the link role's rights on it: RV213 in privilegeAudit.ts
      } else {
        const ft = cat.foreignTables.find((f) => f.schema === r.name && f.name === n.details);
        const o = options(ft?.options ?? []);
        if (ft !== undefined && (ft.server !== r.name || o.get('schema_name') !== r.name || o.get('table_name') !== n.details))
          out.push(
            finding(
              'RV206',
              here,
              object,
              `reads ${o.get('schema_name') ?? '?'}.${o.get('table_name') ?? '?'} through server "${ft.server}"; it must read the leaf ${r.name}.${n.details} through server "${r.name}"`,
              `ALTER FOREIGN TABLE ${object} OPTIONS (SET schema_name '${r.name}', SET table_name '${n.details}')`,
            ),
          );
      }
    }
  }

  // foreign servers and user mappings
  const declaredHosts = new Set(
    config.regions.flatMap((r) => [r.fdw.host, new URL(r.url).hostname, ...(r.pooler === undefined ? [] : [r.pooler.host])]),
  );
  // with a pooler beside this region, its servers reach the others through it (migrate binds them so)
  const hereRegion = config.regions.find((x) => x.name === here);
  const pooler = hereRegion?.pooler;
  const through = pooler === undefined ? '' : ` (its links go through ${here}'s pooler)`;
  for (const r of config.regions.filter((x) => x.name !== here)) {
    const server = cat.servers.find((s) => s.name === r.name);
    if (server === undefined) {
      out.push(
        finding('RV201', here, `server ${r.name}`, `the foreign server to "${r.name}" is missing`, 'run `pg-residency migrate up --all`'),
      );
      continue;
    }
    const o = options(server.options);
    const bound = serverConnectionOptions(r, hereRegion);
    // connect_timeout bounds a link's connect on 10 to 16 (dblink opens links by the server's name)
    for (const option of ['host', 'port', 'dbname', 'sslrootcert', 'connect_timeout'] as const) {
      const want = bound[option];
      if (want !== undefined && o.get(option) !== want)
        out.push(
          finding(
            'RV208',
            here,
            `server ${r.name}`,
            `${option} is ${o.has(option) ? `"${o.get(option)}"` : 'not set'}; regions.yaml says "${want}"${through}`,
            '`pg-residency migrate up` binds it again from regions.yaml',
          ),
        );
    }
    const mode = o.get('sslmode') ?? 'prefer';
    const rank = (m: string) => SSL_MODES.indexOf(m as (typeof SSL_MODES)[number]);
    if (rank(mode) < rank('verify-full')) {
      if (pooler !== undefined && mode === bound.sslmode) {
        // as regions.yaml says; to a pooler on this machine the hop never leaves the host
        if (!isLocalHost(pooler.host))
          out.push(
            finding(
              'RV212',
              here,
              `server ${r.name}`,
              `sslmode is "${mode}" to ${here}'s pooler, as regions.yaml says: this hop is not verified TLS (the pooler's own TLS settings cover the hop to ${r.name})`,
              `set regions[${here}].pooler.sslmode to verify-full where the pooler is not on the same machine, and run \`pg-residency migrate up --all\``,
            ),
          );
      } else if (r.fdw.sslmodeExplicit && mode === r.fdw.sslmode)
        out.push(
          finding(
            'RV212',
            here,
            `server ${r.name}`,
            `sslmode is "${mode}", as regions.yaml says: the link is not verified TLS`,
            `set regions[${r.name}].fdw.sslmode to verify-full (the default) and run \`pg-residency migrate up --all\``,
          ),
        );
      else
        out.push(
          finding(
            'RV211',
            here,
            `server ${r.name}`,
            `sslmode is ${o.has('sslmode') ? `"${mode}"` : "not set (libpq's prefer)"}, regions.yaml says "${bound.sslmode}"${through}`,
            '`pg-residency migrate up --all` binds it again from regions.yaml',
          ),
        );
    }
  }
  for (const s of cat.servers) {
    const o = options(s.options);
    for (const host of [o.get('host'), o.get('hostaddr')].filter((h): h is string => h !== undefined))
      for (const h of host.split(','))
        if (!declaredHosts.has(h))
          out.push(
            finding(
              'RV209',
              here,
              `server ${s.name}`,
              `reaches host "${h}", which regions.yaml does not name`,
              `DROP SERVER "${s.name}" CASCADE, or declare the region in regions.yaml`,
            ),
          );
  }
  for (const m of cat.mappings) {
    const user = options(m.options).get('user');
    if (user !== config.link.role)
      out.push(
        finding(
          'RV210',
          here,
          `user mapping for ${m.role} server ${m.server}`,
          m.visible === false
            ? `its options are hidden from the verifying role (it does not own server ${m.server}), so it may log in as anyone, not the link role "${config.link.role}"`
            : `logs in as ${user === undefined ? 'the local user name' : `"${user}"`}, not the link role "${config.link.role}"`,
          `DROP USER MAPPING FOR ${m.role === 'PUBLIC' ? 'PUBLIC' : `"${m.role}"`} SERVER "${m.server}"`,
        ),
      );
  }

  if (expected !== undefined) out.push(...auditObjects(here, cat, expected));
  return out;
}

/** Objects the applied migrations made, against the catalog, both ways. */
function auditObjects(here: string, cat: CatalogSnapshot, expected: ExpectedObjects): Finding[] {
  const out: Finding[] = [];
  const migrate =
    'the applied migrations created it: run `pg-residency migrate status --all`, then restore it (revert and re-apply the file that made it)';
  for (const s of expected.schemas) if (!cat.schemas.includes(s)) out.push(finding('RV201', here, `schema ${s}`, 'missing', migrate));
  const relations = new Set(cat.relations.map((r) => `${r.schema}.${r.name}`));
  for (const r of expected.relations) if (!relations.has(r)) out.push(finding('RV201', here, r, 'missing', migrate));
  const types = new Set(cat.types.map((t) => `${t.schema}.${t.name}`));
  for (const t of expected.types) if (!types.has(t)) out.push(finding('RV201', here, `type ${t}`, 'missing', migrate));
  for (const s of expected.servers)
    if (!cat.servers.some((x) => x.name === s)) out.push(finding('RV201', here, `server ${s}`, 'missing', migrate));
  for (const s of cat.signatures) if (s.oid === null) out.push(finding('RV201', here, `function ${s.sig}`, 'missing', migrate));

  for (const r of cat.relations.filter((x) => !x.extension && !x.owned)) {
    const name = `${r.schema}.${r.name}`;
    if (!expected.relations.has(name))
      out.push(
        finding(
          'RV202',
          here,
          name,
          `a ${{ r: 'table', p: 'partitioned table', f: 'foreign table', v: 'view', m: 'materialized view', S: 'sequence' }[r.kind] ?? 'relation'} no migration created`,
          `drop it, or move it out of schema "${r.schema}": pg-residency manages it`,
        ),
      );
  }
  for (const t of cat.types.filter((x) => !x.extension)) {
    const name = `${t.schema}.${t.name}`;
    if (!expected.types.has(name))
      out.push(finding('RV202', here, `type ${name}`, 'a type no migration created', `drop it, or move it out of schema "${t.schema}"`));
  }
  const known = new Set(cat.signatures.filter((s) => s.oid !== null).map((s) => s.oid));
  const signed = new Set(expected.signatures.values());
  for (const f of cat.functions.filter((x) => !x.extension)) {
    const name = `${f.schema}.${f.name}`;
    if (!expected.functionNames.has(name) || (signed.has(name) && !known.has(f.oid))) {
      out.push(
        finding(
          'RV202',
          here,
          `function ${name}`,
          `a function (${f.nargs} argument${f.nargs === 1 ? '' : 's'}) no migration created`,
          `drop it, or move it out of schema "${f.schema}"`,
        ),
      );
      continue;
    }
    const body = expected.bodies.get(`${name}/${f.nargs}`);
    if (body !== undefined && body !== f.md5)
      out.push(
        finding(
          'RV207',
          here,
          `function ${name}`,
          `its body (${f.nargs} argument${f.nargs === 1 ? '' : 's'}) differs from the one the applied migrations created`,
          'restore it: revert and re-apply the migration that created it, or replace it with the body from generated/',
        ),
      );
  }
  return out;
}
