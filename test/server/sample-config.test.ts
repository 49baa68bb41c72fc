import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHubConfigFile } from '../../server/src/grid/config-file.ts';
import { GridModel } from '../../server/src/grid/model.ts';

describe('the shipped sample community config', () => {
  it('loads, and is sized like a real community: about 2,500 households in 8 cells, each with workers and a supervisor', () => {
    const config = loadHubConfigFile(path.resolve(import.meta.dirname, '../../config/sample-community.yaml'));
    const community = config.communities![0]!;
    expect(community.households).toBe(2500);
    expect(community.cells).toHaveLength(8);
    const grid = new GridModel(config);
    for (const cell of community.cells!) {
      expect(grid.cellWorkers(cell.id).length, cell.id).toBeGreaterThan(0);
      expect(grid.supervisor(cell.id), cell.id).toBeDefined();
    }
    expect(grid.controlRoomLead(community.id)).toBeDefined();
    const kinds = new Set(config.devices!.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['camera', 'electrical_fire', 'fire_station', 'gas', 'gate', 'smoke']);
    expect(config.devices!.every((d) => d.gridCellId && community.cells!.some((c) => c.id === d.gridCellId))).toBe(true);
  });
});
