import type { BuildingConfig, CellConfig, CommunityConfig, HubConfigFile, WorkerConfig, WebhookTarget } from './config-file.ts';

export interface Person {
  id: string;
  name: string;
  phone?: string;
  role: 'worker' | 'supervisor' | 'lead';
}

/**
 * The grid: communities → cells → buildings, and the people responsible for each cell.
 * Read-only after load; answers "who must hear about an alert in this cell".
 */
export class GridModel {
  private readonly communities = new Map<string, CommunityConfig>();
  private readonly cells = new Map<string, { cell: CellConfig; communityId: string }>();
  private readonly buildings = new Map<string, { building: BuildingConfig; cellId: string; communityId: string }>();
  private readonly workers = new Map<string, WorkerConfig>();

  constructor(config: HubConfigFile = {}) {
    for (const w of config.workers ?? []) this.workers.set(w.id, w);
    for (const c of config.communities ?? []) {
      this.communities.set(c.id, c);
      for (const cell of c.cells ?? []) {
        this.cells.set(cell.id, { cell, communityId: c.id });
        for (const b of cell.buildings ?? []) this.buildings.set(b.id, { building: b, cellId: cell.id, communityId: c.id });
      }
    }
  }

  community(id: string): CommunityConfig | undefined {
    return this.communities.get(id);
  }

  allCommunities(): CommunityConfig[] {
    return [...this.communities.values()];
  }

  cell(id: string): CellConfig | undefined {
    return this.cells.get(id)?.cell;
  }

  building(id: string): { building: BuildingConfig; cellId: string; communityId: string } | undefined {
    return this.buildings.get(id);
  }

  person(id: string): Person | undefined {
    const w = this.workers.get(id);
    return w ? { id: w.id, name: w.name, role: w.role, ...(w.phone ? { phone: w.phone } : {}) } : undefined;
  }

  allWorkers(): WorkerConfig[] {
    return [...this.workers.values()];
  }

  /** The grid workers of a cell: those the cell lists plus those who list the cell. */
  cellWorkers(cellId: string | null): Person[] {
    if (!cellId) return [];
    const ids = new Set(this.cell(cellId)?.workers ?? []);
    for (const w of this.workers.values()) if (w.role === 'worker' && w.cells?.includes(cellId)) ids.add(w.id);
    return [...ids].map((id) => this.person(id)).filter((p): p is Person => p !== undefined);
  }

  supervisor(cellId: string | null): Person | undefined {
    if (!cellId) return undefined;
    const id = this.cell(cellId)?.supervisor;
    if (id) return this.person(id);
    const w = [...this.workers.values()].find((x) => x.role === 'supervisor' && x.cells?.includes(cellId));
    return w ? this.person(w.id) : undefined;
  }

  controlRoomLead(communityId: string): Person | undefined {
    const id = this.community(communityId)?.controlRoom?.lead;
    return id ? this.person(id) : undefined;
  }

  webhooks(communityId: string, cellId: string | null): WebhookTarget[] {
    const out = [...(this.community(communityId)?.controlRoom?.webhooks ?? [])];
    if (cellId) out.push(...(this.cell(cellId)?.webhooks ?? []));
    return out;
  }
}
