// The dashboard's names for what the hub sends. Every shape is defined in devices/ (alerts.ts, kinds/,
// wire.ts), next to the hub's own types, so the dashboard reads the contract instead of guessing it.
export { ALERT_STATES, SEVERITIES } from '#devices/alerts.ts';
export type { Alert, AlertHistoryEntry, AlertState, AlertType, Severity } from '#devices/alerts.ts';
export type { DeviceKind } from '#devices/kinds/index.ts';
export type {
  LatestReadingsReply,
  LiveMessage,
  LocalizedName,
  PlanRect,
  ReadingValue,
  TelemetryPoint,
  TelemetryReply as TelemetrySeries,
  WireBuilding as Building,
  WireCell as GridCell,
  WireCommunity as Community,
  WireDevice as Device,
  WireDeviceEvent as DeviceEvent,
  GridReply as Grid,
  StatsReply as Stats,
  WireUser as User,
} from '#devices/wire.ts';
