/** How the simulators make one kind's routine traffic; a kind's file in simulators/kinds/ provides it. */
export interface SimBehaviour {
  /** Short tag in generated device ids (e.g. `gas` in `c1-gas-b3-0102`). */
  tag: string;
  /** Share of a load-test fleet's devices. */
  fleetShare: number;
  /** Believable routine readings, always well inside the kind's default thresholds. */
  telemetry(rng: () => number, state: Record<string, number>): Record<string, unknown>;
  /** Everyday, harmless event types (none raise an alert). */
  routineEvents: readonly string[];
}

export const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
