import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/**
 * A region without a link pooler, in a fleet of two or more regions: a
 * warning (its links are bounded by the application's sessions, and a new
 * session's first write connects across the WAN once per region, one region
 * after another). A region with a link pooler (regions.yaml `pooler:`): the pooler answers,
 * serves every region in transaction mode (a part is one transaction ending
 * in PREPARE TRANSACTION; session mode would hold a server connection per
 * application session again, statement mode breaks every part), and the
 * pools fit this region's server: it receives up to the sum of every
 * pooler's pool_size link sessions (max_connections). What the pools mean
 * for max_prepared_transactions is judged by the one rule on that setting
 * (maxPreparedTransactions, with the pool sizes as an input).
 */
export const linkPooler: DoctorRule = ({ config, region, snapshot }) => {
  const findings = [];
  const pooler = region.pooler;
  const probe = snapshot.pooler;
  if (pooler === undefined && config.regions.length > 1) {
    const others = config.regions.length - 1;
    findings.push(
      doctorFinding(
        'no-link-pooler',
        'warning',
        "the region's links go straight to the other regions",
        `region "${region.name}" has no link pooler (regions.yaml pooler:): each of its application sessions that writes or reads across regions opens its own link to each of the ${others} other region${others === 1 ? '' : 's'} and keeps it for its life, so every server holds a link session per application session of the fleet (and a prepared-transaction slot per write in flight from any of them), and a new session's first write opens its links one after another, a WAN connect of several round trips each (TCP, TLS, startup, SCRAM)`,
        `run PgBouncer beside region "${region.name}" in transaction mode with a database per region and set pooler: { host, port, pool_size } under it in regions.yaml, then migrate up (docs/own-databases.md, "A link pooler"); and for a new session's first write at a warm write's cost, an application pooler in front of the region (docs/own-databases.md, "The application's own sessions")`,
      ),
    );
  }
  if (pooler !== undefined && probe !== undefined) {
    const where = `${pooler.host}:${pooler.port}`;
    if (!probe.reachable) {
      findings.push(
        doctorFinding(
          'pooler-unreachable',
          'error',
          "the region's link pooler does not answer",
          `region "${region.name}"'s links go to the pooler at ${where}, whose console (database pgbouncer, as ${config.link.role}) did not answer: ${probe.error ?? 'no reason given'}; every write and read across regions from here fails`,
          `start PgBouncer at ${where} (docs/own-databases.md, "A link pooler"), with stats_users = ${config.link.role}, or remove pooler: from region "${region.name}" in regions.yaml and run migrate up`,
        ),
      );
    } else {
      for (const target of config.regions) {
        const db = probe.databases.find((d) => d.name === target.name);
        if (db === undefined) {
          findings.push(
            doctorFinding(
              'pooler-database-missing',
              'error',
              `the link pooler has no database for region "${target.name}"`,
              `region "${region.name}"'s links to "${target.name}" ask the pooler at ${where} for database "${target.name}", which it does not serve`,
              `add to its [databases]: ${target.name} = host=${target.fdw.host} port=${target.fdw.port} dbname=${target.fdw.dbname}`,
            ),
          );
        } else if (db.poolMode !== 'transaction') {
          findings.push(
            doctorFinding(
              'pooler-pool-mode',
              db.poolMode === 'statement' ? 'error' : 'warning',
              `the link pooler serves region "${target.name}" in ${db.poolMode} mode`,
              db.poolMode === 'statement'
                ? 'statement mode refuses transactions of several statements: every part of a write fails'
                : 'in session mode each application session holds a server connection for its life: link sessions are bounded by the applications again, not by pool_size',
              `set pool_mode = transaction for database "${target.name}" (or in [pgbouncer]) and reload PgBouncer`,
            ),
          );
        }
      }
    }
  }
  // what the poolers may send this region's server
  const pooled = config.regions.filter((r) => r.pooler !== undefined);
  if (pooled.length === 0) return findings;
  const links = pooled.reduce((n, r) => n + r.pooler!.poolSize, 0);
  const connections = Number.parseInt(snapshot.settings.max_connections ?? '', 10);
  if (Number.isFinite(connections) && pooled.length === config.regions.length && links > connections - 10) {
    findings.push(
      doctorFinding(
        'pooler-pool-size-connections',
        'warning',
        'the link pools can take most of the server connections',
        `the ${pooled.length} regions' poolers may open ${links} link sessions here (the sum of their pool_size), and max_connections is ${connections}: the application and the admins are left fewer than 10`,
        `lower pool_size in regions.yaml (and the poolers), or raise max_connections above ${links + 20} and restart the server`,
      ),
    );
  }
  return findings;
};
