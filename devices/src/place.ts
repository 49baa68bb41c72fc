// Where a device is, as a person reads it: the one formatter the hub (push, WeCom, DingTalk, SMS
// texts) and the dashboard (queue, drawer, worker card, history) share, so a place reads the same
// on every screen and every channel.
import type { LocalizedName } from './wire.ts';

/** 'zh' and the dashboard's 'zh-CN' read the same; anything but 'en' is Chinese. */
export type Lang = 'zh' | 'zh-CN' | 'en';

/** A configured name in one language: plain names are the same in both. */
export function localName(lang: Lang, name: LocalizedName | null | undefined): string {
  if (name === null || name === undefined) return '';
  if (typeof name === 'string') return name;
  return (lang === 'en' ? name.en : name.zh) || name.zh || name.en || '';
}

/** The names along a device's place, from the community down to the device. Ids are fallbacks only. */
export interface PlaceNames {
  community?: LocalizedName | null;
  cell?: LocalizedName | null;
  building?: LocalizedName | null;
  floor?: number | null;
  device?: LocalizedName | null;
}

export function floorText(lang: Lang, floor: number): string {
  if (lang === 'en') return floor < 0 ? `basement ${-floor}` : `floor ${floor}`;
  return floor < 0 ? `地下${-floor}层` : `${floor}层`;
}

/**
 * "3号楼 3层 · 306 厨房烟感" / "Building 3, floor 3 · 306 kitchen smoke": building and floor, then
 * the device's own name. `wide` adds the community and cell in front, for views spanning several.
 */
export function placeText(lang: Lang, p: PlaceNames, opts: { wide?: boolean } = {}): string {
  const where: string[] = [];
  if (opts.wide) {
    const community = localName(lang, p.community);
    const cell = localName(lang, p.cell);
    if (community) where.push(community);
    if (cell) where.push(cell);
  }
  const building = localName(lang, p.building);
  if (building) where.push(building);
  if (p.floor !== null && p.floor !== undefined) where.push(floorText(lang, p.floor));
  const device = localName(lang, p.device);
  const head = where.join(lang === 'en' ? ', ' : ' ');
  return [head, device].filter(Boolean).join(' · ');
}
