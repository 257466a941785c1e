import { parseConfig } from '../../../src/config/parseConfig.js';
import type { Config } from '../../../src/config/types.js';
import { entityKey, initialShape } from '../../../src/plan/apiShape.js';
import { fleetConfig, fleetState } from '../../../src/plan/fleetState.js';
import type { OpContext } from '../../../src/plan/ops/changeOp.js';
import { blockRenderer, codeHash } from '../../../src/render/renderRegion.js';
import { shippedTemplates } from '../../helpers/fixtures.js';

/** regions.yaml of a three-region fleet (10, 11, 18) with one entity; `columns` replaces its mirrored and resident lists. */
export function fleetYaml(
  options: { regions?: readonly string[]; columns?: string; appRoles?: readonly string[]; extensions?: readonly string[] } = {},
): string {
  const majors: Record<string, number> = { usa: 10, gbr: 11, aus: 18, can: 16 };
  const regions = options.regions ?? ['usa', 'gbr', 'aus'];
  return [
    ...(options.appRoles === undefined ? [] : [`app_roles: [${options.appRoles.join(', ')}]`]),
    ...(options.extensions === undefined ? [] : [`extensions: [${options.extensions.join(', ')}]`]),
    'regions:',
    ...regions.map((r, i) => `  - { name: ${r}, url: "postgres://postgres@127.0.0.1:${5440 + i}/residency", postgres: ${majors[r]} }`),
    'entities:',
    '  - name: identity',
    '    key: { name: uuid, type: uuid }',
    options.columns ??
      ['    resident:', '      - { name: full_name, type: text }', '    mirrored:', '      - { name: tier, type: text }'].join('\n'),
  ].join('\n');
}

export function config(yaml: string): Config {
  return parseConfig(yaml, 'regions.yaml', {});
}

/** What an op sees for `region` going from one regions.yaml to another (a history with no code recorded unless given). */
export async function opContext(fromYaml: string, toYaml: string, region = 'usa', extra: Partial<OpContext> = {}): Promise<OpContext> {
  const templates = await shippedTemplates();
  const from = fleetState(config(fromYaml));
  const to = fleetState(config(toYaml));
  const oldConfig = fleetConfig(from);
  const newConfig = fleetConfig(to);
  const here = newConfig.regions.find((r) => r.name === region)!;
  const hereBefore = oldConfig.regions.find((r) => r.name === region)!;
  const others = newConfig.regions.filter((r) => r.name !== region);
  const othersBefore = oldConfig.regions.filter((r) => r.name !== region);
  const shapes = Object.fromEntries(from.entities.map((e) => [entityKey(e), initialShape(e)]));
  return {
    region,
    from,
    to,
    oldConfig,
    newConfig,
    here,
    hereBefore,
    others,
    othersBefore,
    keptOthers: others.filter((r) => othersBefore.some((o) => o.name === r.name)),
    shapes,
    newShapes: shapes,
    code: {},
    files: [],
    readFile: (name) => {
      throw new Error(`no file ${name}`);
    },
    render: (c, block) => ({
      ...blockRenderer(
        templates,
        c.regions.find((r) => r.name === region)!,
      )(block),
      template: block.template,
    }),
    codeHash,
    twoPhase: true,
    generatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

/** Every up (or down) section an op's contributions render, joined. */
export function sql(
  contributions: readonly { readonly blocks: readonly { readonly up: string; readonly down: string }[] }[],
  direction: 'up' | 'down',
): string {
  return contributions.flatMap((c) => c.blocks.map((b) => b[direction])).join('\n');
}
