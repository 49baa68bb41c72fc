import { kindRegistrations, kindSpecs, type DeviceKind } from '#devices';
import type { KindRule, Signal } from './types.ts';

/**
 * The built-in rule of each kind, from its registration: it sees its own thresholds and its
 * message typed against its own schema (the ingest pipeline has validated it against that schema).
 */
export const kindRules = Object.fromEntries(
  kindRegistrations.map((k): [DeviceKind, KindRule] => {
    const spec = kindSpecs[k.kind];
    return [
      k.kind,
      ({ msg, thresholds, state, now }) =>
        msg.channel === 'status'
          ? [] // online/offline is the engine's own rule
          : spec.rule({ msg, thresholds: (thresholds as unknown as Record<string, Record<string, number | string>>)[spec.thresholdsKey]!, state, now }) as Signal[],
    ];
  }),
) as Record<DeviceKind, KindRule>;
