/** Majors cycled over the synthetic regions: every supported one, so both modes and every option set render. */
const MAJORS = [10, 11, 12, 13, 14, 15, 16, 17, 18] as const;

const pad = (n: number): string => String(n + 1).padStart(2, '0');

/**
 * regions.yaml text for a synthetic fleet of `regions` regions and `entities`
 * entities, for timing generation. Regions cycle through PostgreSQL 10 to 18
 * (so routing and native mode both appear); entities alternate between two
 * schemas and two key types, each with two mirrored and three resident columns.
 * Pure; the ports are fake and nothing connects to them.
 * @example parseConfig(syntheticConfigYaml(10, 10), 'synthetic', {})
 */
export function syntheticConfigYaml(regions: number, entities: number): string {
  const lines = ['mode: auto', 'regions:'];
  for (let i = 0; i < regions; i++) {
    lines.push(`  - { name: region_${pad(i)}, url: "postgres://postgres@10.0.${i}.1:5432/app", postgres: ${MAJORS[i % MAJORS.length]} }`);
  }
  lines.push('entities:');
  for (let i = 0; i < entities; i++) {
    const key = i % 2 === 0 ? '{ name: id, type: uuid, default: uuid_generate_v4() }' : '{ name: id, type: bigint }';
    lines.push(
      `  - name: thing_${pad(i)}`,
      `    schema: ${i % 2 === 0 ? 'app' : 'billing'}`,
      `    key: ${key}`,
      '    mirrored:',
      '      - { name: status, type: text, not_null: true, default: "\'new\'" }',
      '      - { name: created_on, type: timestamptz, not_null: true, default: now() }',
      '    resident:',
      '      - { name: full_name, type: text }',
      '      - { name: email, type: varchar(320) }',
      '      - { name: amounts, type: "numeric(10,2)[]" }',
    );
  }
  return `${lines.join('\n')}\n`;
}
