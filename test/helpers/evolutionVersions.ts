/** The regions.yaml versions the evolution tests walk a fleet through (test/integration/evolution.test.ts, test/render/evolutionSnapshots.test.ts). */

const IDENTITY = (mirrored: string, resident: string) => `
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid, default: uuid_generate_v4() }
    mirrored:
      - { name: note, type: text }
      - { name: created_on, type: timestamptz, not_null: true, default: now() }
${mirrored}    resident:
      - { name: name, type: text }
${resident}`;
const ACCOUNT = `
  - name: account
    schema: billing
    key: { name: id, type: bigint }
    mirrored:
      - { name: plan, type: text, default: "'free'" }
    resident:
      - { name: iban, type: text }
`;
const TIER = `      - { name: tier, type: text, default: "'basic'" }\n`;
const EMAIL = `      - { name: email, type: text }\n`;

export interface Version {
  readonly name: string;
  readonly regions: readonly string[];
  readonly entities: string;
  readonly destructive?: boolean;
}

export const VERSIONS: readonly Version[] = [
  { name: 'initial', regions: ['usa', 'gbr', 'aus'], entities: IDENTITY('', '') },
  { name: 'add-tier', regions: ['usa', 'gbr', 'aus'], entities: IDENTITY(TIER, '') },
  { name: 'add-email', regions: ['usa', 'gbr', 'aus'], entities: IDENTITY(TIER, EMAIL) },
  { name: 'add-account', regions: ['usa', 'gbr', 'aus'], entities: IDENTITY(TIER, EMAIL) + ACCOUNT },
  { name: 'add-can', regions: ['usa', 'gbr', 'aus', 'can'], entities: IDENTITY(TIER, EMAIL) + ACCOUNT },
  { name: 'drop-tier', regions: ['usa', 'gbr', 'aus', 'can'], entities: IDENTITY('', EMAIL) + ACCOUNT, destructive: true },
  { name: 'remove-can', regions: ['usa', 'gbr', 'aus'], entities: IDENTITY('', EMAIL) + ACCOUNT, destructive: true },
];
export const MAJORS: Readonly<Record<string, number>> = { usa: 10, gbr: 11, aus: 18, can: 11 };
