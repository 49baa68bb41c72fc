import type { TimeWindow } from '#devices';
import type { DeviceRegistry } from '../../registry/devices.ts';
import type { Journal } from '../../spool/journal.ts';
import type { IngestPipeline } from '../pipeline.ts';
import type { RejectLog } from '../rejects.ts';
import { CtwingAdapter } from './ctwing.ts';
import type { AccessControllers } from './isapi.ts';
import { OnenetAdapter } from './onenet.ts';
import type { PlatformName, Product } from './platforms.ts';
import { PushIngest } from './push-ingest.ts';
import { ReplayGuard } from './replay-guard.ts';
import type Database from 'better-sqlite3';

/** The HTTP push adapters of the configured platforms, over one PushIngest (the pipeline's way in). */
export interface PushAdapters {
  ctwing: CtwingAdapter;
  onenet: OnenetAdapter;
  ingest: PushIngest;
  /** Hikvision / Dahua controllers (stream and push mode), set once the alert service exists. */
  controllers?: AccessControllers;
}

export function pushAdapters(
  products: Readonly<Record<PlatformName, Product[]>> | undefined,
  deps: { pipeline: IngestPipeline; journal: Journal; registry: DeviceRegistry; rejects: RejectLog; timeWindow?: TimeWindow; db?: Database.Database },
): PushAdapters {
  const { db, ...rest } = deps;
  const ingest = new PushIngest({ ...rest, replays: new ReplayGuard(db) });
  return { ingest, ctwing: new CtwingAdapter(products?.ctwing ?? [], ingest), onenet: new OnenetAdapter(products?.onenet ?? [], ingest) };
}
