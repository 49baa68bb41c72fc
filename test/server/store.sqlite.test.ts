import path from 'node:path';
import { tempDataDir } from '../helpers/hub.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { storeContract } from './store-contract.ts';

storeContract('embedded SQLite', async () => new SqliteTelemetryStore(path.join(tempDataDir('sqlite-store'), 'telemetry.db')));
