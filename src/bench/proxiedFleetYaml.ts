/** One region of a benchmark fleet: its name and PostgreSQL major. */
export interface BenchRegion {
  readonly name: string;
  readonly postgres: number;
}

/** The seed's entity, `shared.identity`: the one the demo and the walkthrough use. */
export const SEED_ENTITY_YAML = `
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid, default: uuid_generate_v4() }
    region: { name: region }
    mirrored:
      - { name: note, type: text }
      - { name: created_on, type: timestamptz, not_null: true, default: now() }
    resident:
      - { name: name, type: text }
`;

/**
 * regions.yaml text for a local fleet whose cross-region traffic goes through
 * proxies: each region's `url` names its real port (where the benchmark client
 * and `migrate` connect), its `fdw` the port of the proxy in front of it (where
 * the other regions' postgres_fdw connect). Pure.
 * @example proxiedFleetYaml([{ name: 'usa', postgres: 10 }], { usa: 54310 }, { usa: 40001 })
 */
export function proxiedFleetYaml(
  regions: readonly BenchRegion[],
  serverPorts: Readonly<Record<string, number>>,
  proxyPorts: Readonly<Record<string, number>>,
  entitiesYaml: string = SEED_ENTITY_YAML,
): string {
  return [
    'mode: auto',
    'regions:',
    ...regions.map(
      (r) =>
        `  - { name: ${r.name}, url: "postgres://postgres@127.0.0.1:${serverPorts[r.name]}/residency", postgres: ${r.postgres}, ` +
        `fdw: { host: 127.0.0.1, port: ${proxyPorts[r.name]} } }`,
    ),
    'entities:',
    entitiesYaml,
  ].join('\n');
}
