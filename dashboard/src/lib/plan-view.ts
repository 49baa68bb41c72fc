// Zoom and pan of the community plan as pure arithmetic on the SVG viewBox, and the floors of one
// building with their devices. No DOM: the component feeds pointer positions in as fractions.
import type { Box } from './layout.ts';
import type { Device } from './types.ts';

export const MIN_ZOOM = 1;
export const MAX_ZOOM = 12;

/** How many times `view` magnifies `full` (1: everything in view). */
export function zoomOf(full: Box, view: Box): number {
  return full.w / view.w;
}

/** Keeps a view inside the plan (with no more than the whole plan in view) and within the zoom limits. */
export function clampView(full: Box, v: Box): Box {
  const aspect = v.h / v.w;
  const w = Math.min(full.w / MIN_ZOOM, Math.max(full.w / MAX_ZOOM, v.w));
  const h = w * aspect;
  const x = Math.min(full.x + full.w - w, Math.max(full.x, v.x));
  const y = h >= full.h ? full.y + (full.h - h) / 2 : Math.min(full.y + full.h - h, Math.max(full.y, v.y));
  return { x, y, w, h };
}

/** Zoom by `factor` (>1 closer) keeping the point at fractions (fx, fy) of the view where it is. */
export function zoomAt(full: Box, v: Box, factor: number, fx = 0.5, fy = 0.5): Box {
  const w = v.w / factor;
  const h = v.h / factor;
  return clampView(full, { x: v.x + (v.w - w) * fx, y: v.y + (v.h - h) * fy, w, h });
}

/** Pan by a drag of (dx, dy) as fractions of the view's size. */
export function panBy(full: Box, v: Box, dx: number, dy: number): Box {
  return clampView(full, { ...v, x: v.x - dx * v.w, y: v.y - dy * v.h });
}

/** A view of `zoom` centred on a point (the alerting device). */
export function focusOn(full: Box, v: Box, x: number, y: number, zoom: number): Box {
  const w = full.w / zoom;
  const h = (v.h / v.w) * w;
  return clampView(full, { x: x - w / 2, y: y - h / 2, w, h });
}

/** SVG units for a label `px` pixels tall on screen, whatever the zoom. */
export function labelSize(view: Box, pixelWidth: number, px: number): number {
  return pixelWidth > 0 ? (px * view.w) / pixelWidth : px;
}

export interface FloorRow {
  floor: number;
  devices: Device[];
}

/** A building's floors, top first, each with its devices; devices without a floor come last (floor NaN). */
export function floorsOf(devices: readonly Device[], buildingId: string, floors?: number): FloorRow[] {
  const by = new Map<number, Device[]>();
  const none: Device[] = [];
  for (const d of devices) {
    if (d.buildingId !== buildingId) continue;
    if (d.floor === null || d.floor === undefined) none.push(d);
    else by.set(d.floor, [...(by.get(d.floor) ?? []), d]);
  }
  const top = Math.max(floors ?? 0, ...by.keys());
  const bottom = Math.min(1, ...by.keys());
  const rows: FloorRow[] = [];
  for (let f = top; f >= bottom; f--) if (f !== 0 || by.has(0)) rows.push({ floor: f, devices: by.get(f) ?? [] });
  if (none.length > 0) rows.push({ floor: Number.NaN, devices: none });
  return rows;
}
