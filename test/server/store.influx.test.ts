import { afterAll } from 'vitest';
import { startInflux, type Service } from '../helpers/services.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { storeContract } from './store-contract.ts';

let influx: Service | undefined;
afterAll(async () => influx?.stop());

storeContract('InfluxDB 1.x (real influxd)', async () => {
  influx = await startInflux('contract');
  return new InfluxTelemetryStore(influx.url);
});
