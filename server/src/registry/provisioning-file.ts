import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ID_PATTERN, KINDS } from '#devices';

const Id = Type.String({ pattern: ID_PATTERN });
export const ProvisionedDevice = Type.Object({
  id: Id,
  kind: Type.Union(KINDS.map((k) => Type.Literal(k))),
  communityId: Id,
  gridCellId: Type.Optional(Id),
  buildingId: Type.Optional(Id),
  floor: Type.Optional(Type.Integer({ minimum: -10, maximum: 200 })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  location: Type.Optional(Type.Object({ x: Type.Number(), y: Type.Number() })),
});

const ProvisioningFile = Type.Object(
  { devices: Type.Optional(Type.Array(ProvisionedDevice)) },
  { additionalProperties: true },
);
export type ProvisioningFile = Static<typeof ProvisioningFile>;

/** Reads the hub's config file (YAML or JSON). Errors name the file and the offending path. */
export function loadProvisioningFile(file: string): ProvisioningFile {
  const raw: unknown = parseYaml(fs.readFileSync(file, 'utf8'));
  if (!Value.Check(ProvisioningFile, raw)) {
    const err = Value.Errors(ProvisioningFile, raw).First();
    throw new Error(`${file}: ${err?.path ?? ''} ${err?.message ?? 'invalid'}`);
  }
  return raw;
}
