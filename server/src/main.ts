import { ConfigError, loadConfig } from './config.ts';
import { Hub } from './hub.ts';
import { createLogger } from './log.ts';
import { startupErrorLine } from './startup-error.ts';

/** The only place that loads the config (environment and HUB_CONFIG) and traps signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`hub: cannot start: configuration error: ${err.message}`);
      process.exit(2);
    }
    // The config file's problems (a bad path, YAML, schema or camera list): one line, exit 2.
    failStart(err, undefined);
  }
  const log = createLogger(config.logLevel);
  // Touches nothing yet: start() opens, listens and connects, and undoes it all if it fails.
  const hub = new Hub(config, log);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining in-flight batches');
    try {
      await hub.stop();
      log.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  try {
    await hub.start();
    if (process.stderr.isTTY) {
      // People starting the hub by hand get the essentials in plain words; the JSON log has the same.
      process.stderr.write(
        [
          '',
          `  社区安全中枢 Community safety hub`,
          `  dashboard 看板       ${hub.httpUrl}/   (grid workers: ${hub.httpUrl}/worker)`,
          `  MQTT broker          ${hub.mqttUrl}${hub.broker ? '  (embedded)' : ''}`,
          `  telemetry store      ${hub.store.name}  ${hub.store.location}`,
          `  data                 ${config.dataDir}`,
          '',
        ].join('\n') + '\n',
      );
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') log.fatal(`port in use: ${e.message}. Set PORT / MQTT_PORT to free ports.`);
    else if (startupErrorLine(err, config.dataDir)) failStart(err, config.dataDir);
    else log.fatal({ err }, 'hub failed to start');
    process.exit(1);
  }
}

/** A problem the operator can fix: one line (file, line, cause), exit 2. A bug: its stack, exit 1. */
function failStart(err: unknown, dataDir: string | undefined): never {
  const line = startupErrorLine(err, dataDir);
  if (line === undefined) throw err;
  process.stderr.write(`${line}\n`);
  process.exit(2);
}

void main();
