// The JSON the hub sends over HTTP and /ws, as the dashboard and other clients read it.
// Only shapes the hub actually sends: a client that meets anything else ignores it rather than guessing.
import type { Case } from './cases.ts';
import type { Alert, AlertHistoryEntry, Severity } from './alerts.ts';
import type { DeviceKind } from './kinds/index.ts';

/** A name in one language, or in both (the grid config allows either). */
export type LocalizedName = string | { zh: string; en: string };

/** A device as the registry holds it (GET /api/devices, /api/devices/{id}, /ws `device`). Times are epoch ms. */
export interface WireDevice {
  id: string;
  kind: DeviceKind;
  communityId: string;
  /** null for a device that announced itself without being provisioned into a cell */
  gridCellId: string | null;
  buildingId: string | null;
  floor: number | null;
  name: LocalizedName | null;
  location: { x: number; y: number } | null;
  provisioned: boolean;
  online: boolean;
  lastSeenAt: number | null;
  firstSeenAt: number;
}

/** GET /api/devices */
export interface DeviceListReply {
  total: number;
  devices: WireDevice[];
}

export type ReadingValue = number | boolean | string;

/** One telemetry point of one field; `value` is null where the field was absent or a window was empty. */
export interface TelemetryPoint {
  ts: number;
  value: ReadingValue | null;
}

/** GET /api/devices/{id}/telemetry?field=… (with `every`: window means, `everyMs` set) */
export interface TelemetryReply {
  deviceId: string;
  field: string;
  from: number;
  to: number;
  everyMs?: number;
  points: TelemetryPoint[];
}

/** GET /api/devices/{id}/latest: each field's most recent value, in one request. */
export interface LatestReadingsReply {
  deviceId: string;
  kind: DeviceKind;
  readings: Record<string, { value: ReadingValue; ts: number }>;
}

/** One stored device event (GET /api/devices/{id}/events). */
export interface WireDeviceEvent {
  deviceId: string;
  kind: DeviceKind;
  communityId: string;
  ts: number;
  seq?: number;
  type: string;
  readings: Record<string, ReadingValue>;
  detail: Record<string, unknown>;
}

/** GET /api/devices/{id}/events */
export interface DeviceEventsReply {
  deviceId: string;
  from: number;
  to: number;
  events: WireDeviceEvent[];
}

/** A rectangle on the community plan, in plan units. */
export interface PlanRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface WirePerson {
  id: string;
  name: string;
  phone?: string;
  role: 'worker' | 'supervisor' | 'lead';
}

export interface WireBuilding {
  id: string;
  name?: LocalizedName;
  floors?: number;
  households?: number;
  x?: number;
  y?: number;
  w?: number;
  h?: number;
}

export interface WireCell {
  id: string;
  name: LocalizedName;
  area: PlanRect | null;
  supervisor: WirePerson | null;
  workers: WirePerson[];
  buildings: WireBuilding[];
}

export interface WireCommunity {
  id: string;
  name: LocalizedName;
  households: number | null;
  plan: { w: number; h: number } | null;
  controlRoom: { lead: WirePerson | null };
  cells: WireCell[];
}

/** GET /api/grid, within the caller's scope. */
export interface GridReply {
  communities: WireCommunity[];
}

/** GET /api/stats: the control room's key figures, computed on the hub over the caller's scope. */
export interface StatsReply {
  devices: { total: number; online: number; onlinePct: number | null };
  alerts: {
    openBySeverity: Record<Severity, number>;
    unacknowledgedBySeverity: Record<Severity, number>;
    /** unresolved alerts per cell; "unassigned" for devices without a cell */
    perCell: Record<string, number>;
  };
  meanTimeToAcknowledgeTodayS: number | null;
}

/** The roles an account may have; the hub's auth (server/src/auth/roles.ts ROLES) uses this list. */
export const USER_ROLES = ['admin', 'operator', 'worker', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** An account as GET /api/users lists it (admin only). */
export interface WireUserRecord {
  username: string;
  role: UserRole;
  displayName: string | null;
  /** operator / viewer: the communities they watch */
  communities: string[];
  /** worker: cells stored on the account (added to those of the linked grid worker) */
  cells: string[];
  /** the grid worker (config file) this account belongs to: their cells come from there */
  workerId: string | null;
  disabled: boolean;
  createdAt: number;
}

/** A paired (or still pairing) wall screen as GET /api/displays lists it (admin only). */
export interface WireDisplay {
  id: string;
  name: string;
  communities: string[];
  createdAt: number;
  createdBy: string;
  lastSeenAt: number | null;
  /** the pairing code has been exchanged for the display's credential */
  paired: boolean;
}

/** One entry of GET /api/audit (admin only), newest first. */
export interface WireAuditEntry {
  id: number;
  at: number;
  /** a username, "display" for a wall screen pairing, "bootstrap" for the first admin */
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  ok: boolean;
  detail: Record<string, unknown> | null;
}

/** The signed-in account as the hub shows it to its owner. */
export interface WireUser {
  username: string;
  role: UserRole;
  displayName: string | null;
  workerId: string | null;
  /** "*" for every community */
  communities: string[];
  /** workers only: the cells they cover */
  cells?: string[];
  /** a paired wall screen (kiosk): a viewer that may acknowledge in its scope, nothing else */
  display?: true;
}

/** GET /api/auth/me */
export interface MeReply {
  user: WireUser;
  expiresAt: number;
}

/** POST /api/auth/login */
export interface LoginReply {
  token: string;
  expiresAt: number;
  user: WireUser;
}

/** Replies of GET /api/alerts/{id} and the ack / assign / resolve actions. */
export interface AlertReply {
  alert: Alert;
}

/** GET /api/alerts */
export interface AlertListReply {
  total: number;
  alerts: Alert[];
}

/** Messages on /ws. */
export type LiveMessage =
  | { type: 'hello'; serverTime: number }
  | { type: 'alert'; alert: Alert }
  | { type: 'device'; device: WireDevice }
  /** A delivery result appended to an alert's history, without re-sending the alert. */
  | { type: 'annotation'; alertId: string; communityId: string; gridCellId: string | null; entry: AlertHistoryEntry }
  /** A case (事件) changed: created, an action, a reminder, 超时 or an escalation (docs/cases.md). */
  | { type: 'case'; change: string; case: Case };

/**
 * Close codes of /ws when access ends: the client stops reconnecting and says why. The hub closes
 * the socket at once on a revocation, not at the next reconnect.
 */
export const LIVE_CLOSE = {
  /** the session ended: logged out, expired or revoked */
  sessionEnded: 4401,
  /** an admin disabled, deleted or changed the account (its sessions were revoked) */
  accountRevoked: 4403,
  /** an admin revoked this wall screen's pairing */
  displayRevoked: 4410,
} as const;

/** A person who can take an alert: a configured worker, the cell's supervisor or the community's lead. */
export interface WireAssignable extends WirePerson {
  /** cells this person covers (the lead: every cell of the community) */
  cells: string[];
  /** the hub account linked to this worker (users.workerId), the value to assign; null without one */
  username: string | null;
  /** ways the hub can reach this person beyond a phone call */
  reachable: { account: boolean; wecom: boolean; dingtalk: boolean };
}

/** GET /api/grid/people: the people of the cells in the caller's scope. */
export interface PeopleReply {
  people: WireAssignable[];
}

/** GET /api/stats/communities: /api/stats per community of the caller's scope (without perCell). */
export interface CommunityStatsReply {
  communities: (Omit<StatsReply, 'alerts'> & { communityId: string; alerts: Omit<StatsReply['alerts'], 'perCell'> })[];
}
