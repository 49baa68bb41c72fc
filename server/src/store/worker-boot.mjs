// Worker threads on Node 20 do not inherit the main thread's TypeScript loader; register it here
// and then load the worker's real (TypeScript) entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
