/** One read of the read suite: the query, and the same question asked of one local database holding every region's rows. */
export interface ReadOperation {
  readonly id: string;
  readonly label: string;
  /** Runs on the calling region; `$1` is the 100 keys (uuid[]) where the query takes it. */
  readonly sql: string;
  /** The same question on the caller's `bench_local` copy of the whole fleet (no other region involved). */
  readonly localSql: string;
  readonly takesKeys: boolean;
  /** Session settings for this read (`SET` before, `RESET` after), e.g. the planner's. */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Options of the caller's foreign servers for the other regions during this
   * read (`ALTER SERVER ... OPTIONS`, restored after): a planner setting's
   * measured effect.
   */
  readonly serverOptions?: Readonly<Record<string, string>>;
  /** The lowest major the read runs on (a setting it needs); the suite skips it below. */
  readonly minMajor?: number;
  /** Fewer timed runs for the reads that ship whole tables. */
  readonly slow?: boolean;
  /** Rows the read must return (a check that it answered the question), as a function of the region count. */
  readonly rows?: (regions: number) => number;
}

const COUNT_LOCAL = 'SELECT count(*) FROM bench_local.identity_details';
const JOIN_LOCAL =
  'SELECT m.uuid, m.region, d.name, m.note, m.created_on FROM bench_local.identity m JOIN bench_local.identity_details d ON d.uuid = m.uuid WHERE m.uuid = ANY ($1::uuid[])';
const COUNT_BY_REGION_LOCAL = 'SELECT region, count(*) FROM bench_local.identity_details GROUP BY region';
const PAGE_LOCAL =
  "SELECT m.uuid, m.region, d.name, m.note, m.created_on FROM bench_local.identity m JOIN bench_local.identity_details d ON d.uuid = m.uuid WHERE m.note = 'vip' ORDER BY m.uuid LIMIT 100";

/**
 * `count(*) ... GROUP BY region` on the parent with enable_partitionwise_aggregate
 * on, the foreign servers as generated or with `serverOptions` changed for the read.
 */
function partitionwiseGroupBy(id: string, how: string, minMajor: number, serverOptions?: Record<string, string>): ReadOperation {
  return {
    id,
    label: `\`count(*) ... GROUP BY region\` on the parent, ${how}`,
    sql: 'SELECT region, count(*) FROM shared.identity_details GROUP BY region',
    localSql: COUNT_BY_REGION_LOCAL,
    takesKeys: false,
    settings: { enable_partitionwise_aggregate: 'on' },
    ...(serverOptions ? { serverOptions } : {}),
    minMajor,
    rows: (n) => n,
  };
}

/**
 * The reads of issue 21's table (the shapes an application writes on the
 * parent), then the read API, then the directory-only answers. `other` is a
 * region other than the caller.
 */
export function readOperations(other: string): ReadOperation[] {
  return [
    {
      id: 'parent-count',
      label: '`count(*)` on the parent',
      sql: 'SELECT count(*) FROM shared.identity_details',
      localSql: COUNT_LOCAL,
      takesKeys: false,
      slow: true,
      rows: () => 1,
    },
    {
      id: 'parent-count-region',
      label: "`count(*)` on the parent filtered to one other region (`WHERE region = '" + other + "'`)",
      sql: `SELECT count(*) FROM shared.identity_details WHERE region = '${other}'`,
      localSql: `${COUNT_LOCAL} WHERE region = '${other}'`,
      takesKeys: false,
      slow: true,
      rows: () => 1,
    },
    {
      id: 'parent-join',
      label: 'the directory joined with the parent, 100 keys (`JOIN ... WHERE m.uuid = ANY($1)`)',
      sql: 'SELECT m.uuid, m.region, d.name, m.note, m.created_on FROM shared.identity m JOIN shared.identity_details d ON d.uuid = m.uuid WHERE m.uuid = ANY ($1::uuid[])',
      localSql: JOIN_LOCAL,
      takesKeys: true,
      slow: true,
      rows: () => 100,
    },
    {
      id: 'parent-any',
      label: 'the parent with `uuid = ANY($1)`, 100 keys',
      sql: 'SELECT * FROM shared.identity_details WHERE uuid = ANY ($1::uuid[])',
      localSql: 'SELECT * FROM bench_local.identity_details WHERE uuid = ANY ($1::uuid[])',
      takesKeys: true,
      rows: () => 100,
    },
    {
      id: 'get-each',
      label: '`get_identity` of 100 keys in one query (`unnest($1) k, get_identity(k)`)',
      sql: 'SELECT g.* FROM unnest($1::uuid[]) k, shared.get_identity(k) g',
      localSql: JOIN_LOCAL,
      takesKeys: true,
      rows: () => 100,
    },
    {
      id: 'parent-count-serial',
      label: '`count(*)` on the parent, the servers without `async_capable` (14+; 10 to 13 always read the partitions one by one)',
      sql: 'SELECT count(*) FROM shared.identity_details',
      localSql: COUNT_LOCAL,
      takesKeys: false,
      serverOptions: { async_capable: 'false' },
      minMajor: 14,
      slow: true,
      rows: () => 1,
    },
    {
      id: 'parent-count-fetch',
      label: '`count(*)` on the parent, `fetch_size` 10000 (default 1000)',
      sql: 'SELECT count(*) FROM shared.identity_details',
      localSql: COUNT_LOCAL,
      takesKeys: false,
      serverOptions: { fetch_size: '10000' },
      slow: true,
      rows: () => 1,
    },
    {
      id: 'parent-group',
      label: '`count(*) ... GROUP BY region` on the parent',
      sql: 'SELECT region, count(*) FROM shared.identity_details GROUP BY region',
      localSql: COUNT_BY_REGION_LOCAL,
      takesKeys: false,
      slow: true,
      rows: (n) => n,
    },
    partitionwiseGroupBy('parent-group-pw', '`enable_partitionwise_aggregate = on` (11+)', 11),
    partitionwiseGroupBy('parent-group-pw-sync', 'partitionwise, the servers without `async_capable` (14+)', 14, {
      async_capable: 'false',
    }),
    partitionwiseGroupBy('parent-group-pw-serial-commit', 'partitionwise, the servers without `parallel_commit` (15+)', 15, {
      parallel_commit: 'false',
    }),
    partitionwiseGroupBy('parent-group-pw-remote-estimate', 'partitionwise, the servers with `use_remote_estimate` (default off)', 11, {
      use_remote_estimate: 'true',
    }),
    {
      id: 'parent-count-region-pw',
      label:
        '`count(*)` on the parent filtered to one other region, with `GROUP BY region` and `enable_partitionwise_aggregate = on` (11+)',
      sql: `SELECT count(*) FROM shared.identity_details WHERE region = '${other}' GROUP BY region`,
      localSql: `${COUNT_LOCAL} WHERE region = '${other}'`,
      takesKeys: false,
      settings: { enable_partitionwise_aggregate: 'on' },
      minMajor: 11,
      slow: true,
      rows: () => 1,
    },
    {
      id: 'get-many',
      label: '**`get_identity_many($1)`**, 100 keys',
      sql: 'SELECT * FROM shared.get_identity_many($1::uuid[])',
      localSql: JOIN_LOCAL,
      takesKeys: true,
      rows: () => 100,
    },
    {
      id: 'count-by-region',
      label: '**`count_identity_by_region()`**',
      sql: 'SELECT * FROM shared.count_identity_by_region()',
      localSql: COUNT_BY_REGION_LOCAL,
      takesKeys: false,
      rows: (n) => n,
    },
    {
      id: 'count-by-region-mirrored',
      label: `**\`count_identity_by_region('{"note": "vip"}')\`**: a condition on mirrored columns only, counted in the local directory (no region asked)`,
      sql: `SELECT * FROM shared.count_identity_by_region('{"note": "vip"}')`,
      localSql: `SELECT d.region, count(*) FROM bench_local.identity_details d JOIN bench_local.identity m ON m.uuid = d.uuid WHERE m.note = 'vip' GROUP BY d.region`,
      takesKeys: false,
      rows: (n) => n,
    },
    {
      id: 'count-by-region-personal',
      label: `**\`count_identity_by_region('{"name": {">=": "Person u"}}')\`**: a condition on a personal column, counted by each owner`,
      sql: `SELECT * FROM shared.count_identity_by_region('{"name": {">=": "Person u"}}')`,
      localSql: `SELECT region, count(*) FROM bench_local.identity_details WHERE name >= 'Person u' GROUP BY region`,
      takesKeys: false,
      rows: (n) => n,
    },
    {
      id: 'find',
      label: `**\`find_identity('{"note": "vip"}', 100)\`**: a page of 100 with details`,
      sql: `SELECT * FROM shared.find_identity('{"note": "vip"}', 100)`,
      localSql: PAGE_LOCAL,
      takesKeys: false,
      rows: () => 100,
    },
    {
      id: 'directory-count',
      label: 'the directory alone: `SELECT region, count(*) FROM shared.identity GROUP BY region`',
      sql: 'SELECT region, count(*) FROM shared.identity GROUP BY region',
      localSql: COUNT_BY_REGION_LOCAL,
      takesKeys: false,
      rows: (n) => n,
    },
  ];
}
