import test from 'ava';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { ConfigError } from '../../src/errors.js';

const problems = (yaml: string) => {
  try {
    parseConfig(yaml, 'regions.yaml', {});
    return [];
  } catch (error) {
    return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
};

test('residency_adopt, where adopt keeps its checkpoints, is refused as a region name and an entity schema', (t) => {
  t.deepEqual(
    problems(`regions:
  - { name: residency_adopt, url: "postgres://a@h:1/db", postgres: 11 }
entities:
  - { name: a, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
`),
    [
      `regions[0].name: "residency_adopt" cannot be a region name: each region gets a schema of its name, and it is pg-residency's own schema (adopt's checkpoints); choose another name`,
    ],
  );
  t.deepEqual(
    problems(`regions:
  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }
entities:
  - { name: a, schema: residency_adopt, key: { name: k, type: uuid }, resident: [{ name: n, type: text }] }
`),
    [
      `entities[0].schema: "residency_adopt" cannot hold an entity: it is pg-residency's own schema (adopt's checkpoints); choose another schema`,
    ],
  );
});
