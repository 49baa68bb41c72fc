import { describe, expect, it } from 'vitest';
import { buildDistrict, loadScenario, planScenario, scenarioPath } from '../../simulators/community/index.ts';

describe('the gas and charging shed scenario', () => {
  it('resolves a kitchen gas detector and a charging shed detector, with their alerts as ground truth', () => {
    const plan = planScenario(loadScenario(scenarioPath('gas-and-charging-shed')), buildDistrict({ seed: 1 }), 1, 0);
    expect(plan.expected.map((e) => `${e.type}:${e.severity}`).sort()).toEqual(['cable_over_temperature:critical', 'gas_leak:critical', 'gas_valve_closed:major']);
    expect(plan.expected.find((e) => e.type === 'gas_leak')).toMatchObject({ deviceId: expect.stringMatching(/^c1-gas-b07-/), cleared: true });
    expect(plan.expected.find((e) => e.type === 'cable_over_temperature')).toMatchObject({ deviceId: expect.stringMatching(/^c1-efire-shed\d$/) });
  });
});
