// Names a person reads, from the config file as the hub serves it (/api/grid, /api/grid/people):
// communities, cells, buildings, devices, and workers' real names for the ids and usernames in an
// alert. Ids are the fallback only. Pure: no DOM, no runes.
import { localName, placeText, type Lang } from '#devices/place.ts';
import type { WireAssignable } from '#devices/wire.ts';
import type { Alert, Building, Community, Device, Grid, GridCell } from './types.ts';

export type Person = WireAssignable;

export class Directory {
  private readonly communities = new Map<string, Community>();
  private readonly cells = new Map<string, GridCell>();
  private readonly buildings = new Map<string, Building>();
  private readonly people = new Map<string, Person>();

  constructor(grid: Grid | null, people: readonly Person[] = []) {
    for (const c of grid?.communities ?? []) {
      this.communities.set(c.id, c);
      for (const cell of c.cells) {
        this.cells.set(cell.id, cell);
        for (const b of cell.buildings) this.buildings.set(b.id, b);
        // the grid's own people, for a hub without /api/grid/people
        for (const p of [cell.supervisor, ...cell.workers, c.controlRoom.lead]) {
          if (!p) continue;
          const held = this.people.get(p.id) ?? { ...p, cells: [], username: null, reachable: { account: false, wecom: false, dingtalk: false } };
          if (!held.cells.includes(cell.id)) held.cells = [...held.cells, cell.id];
          this.people.set(p.id, held);
        }
      }
    }
    for (const p of people) {
      this.people.set(p.id, p);
      if (p.username) this.people.set(p.username, p);
    }
  }

  /** More than one community: places name their community and cell too. */
  get wide(): boolean {
    return this.communities.size > 1;
  }

  community(id: string | null | undefined): Community | undefined {
    return id ? this.communities.get(id) : undefined;
  }
  cell(id: string | null | undefined): GridCell | undefined {
    return id ? this.cells.get(id) : undefined;
  }
  building(id: string | null | undefined): Building | undefined {
    return id ? this.buildings.get(id) : undefined;
  }
  /** A configured person by worker id or by the username of their account. */
  person(idOrUsername: string | null | undefined): Person | undefined {
    return idOrUsername ? this.people.get(idOrUsername) : undefined;
  }
  /** The people who can take an alert in this cell: supervisor first, then workers, then the lead. */
  peopleOfCell(cellId: string | null): Person[] {
    const rank = { supervisor: 0, worker: 1, lead: 2 } as const;
    const seen = new Set<Person>();
    for (const p of this.people.values()) if (cellId === null || p.cells.includes(cellId)) seen.add(p);
    return [...seen].sort((a, b) => rank[a.role] - rank[b.role] || a.name.localeCompare(b.name, 'zh'));
  }

  communityName(lang: Lang, id: string): string {
    return localName(lang, this.community(id)?.name) || id;
  }
  cellName(lang: Lang, id: string | null): string {
    if (!id) return '';
    return localName(lang, this.cell(id)?.name) || id;
  }
  buildingName(lang: Lang, id: string | null | undefined): string {
    if (!id) return '';
    return localName(lang, this.building(id)?.name) || id;
  }
  /** A person's real name for a worker id or username; the value itself when unknown. */
  personName(idOrUsername: string | null | undefined): string {
    if (!idOrUsername) return '';
    return this.person(idOrUsername)?.name ?? idOrUsername;
  }

  /**
   * "3号楼 3层 · 306 厨房烟感": building and floor, then the device's name (its id when it has
   * none). `wide` (default: the grid holds several communities) puts community and cell in front.
   */
  place(lang: Lang, a: Pick<Alert, 'communityId' | 'gridCellId' | 'deviceId'> & { buildingId?: string | null; floor?: number | null }, device?: Device, opts: { wide?: boolean; deviceName?: boolean } = {}): string {
    const buildingId = a.buildingId ?? device?.buildingId ?? null;
    const floor = a.floor ?? device?.floor ?? null;
    const community = this.community(a.communityId);
    return placeText(
      lang,
      {
        community: community?.name ?? a.communityId,
        cell: this.cell(a.gridCellId)?.name ?? a.gridCellId,
        building: buildingId ? (this.building(buildingId)?.name ?? buildingId) : null,
        floor,
        device: opts.deviceName === false ? null : (device?.name ?? a.deviceId),
      },
      { wide: opts.wide ?? this.wide },
    );
  }
}

/** A phone number to read out and dial: an 11-digit mobile as 138 1234 5678, anything else as written. */
export function formatPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return /^1\d{10}$/.test(digits) ? `${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}` : phone;
}

/** A phone number shown on a wall screen: first three and last four digits, the rest hidden. */
export function maskPhone(phone: string | undefined): string {
  if (!phone) return '';
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 8 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : phone;
}

/** The tel: link of a phone number (digits and a leading +). */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`;
}
