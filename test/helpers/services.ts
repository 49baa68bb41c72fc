import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, portOpen, waitFor } from './ports.ts';

/**
 * Real Mosquitto and InfluxDB 1.x for the tests, each on free loopback ports in a temp dir,
 * started here and stopped by PID. Restartable on the same port and data, for fault tests.
 */
export interface Service {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  pid(): number | undefined;
  /** SIGKILL (crash) or SIGTERM (clean stop); waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `csh-${name}-`));
}

/** Whatever a test file forgot to stop dies with its worker instead of outliving the run. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

class ManagedProcess implements Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    readonly url: string,
    readonly dir: string,
    private readonly cmd: string,
    private readonly args: string[],
    private readonly ready: () => Promise<boolean>,
    private readonly name: string,
    private readonly runAs: { uid: number; gid: number } | undefined = undefined,
  ) {}

  pid(): number | undefined {
    return this.child?.pid;
  }

  /** A no-op while it runs: a second process on the same port and data would fail, and orphan the first. */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    const log = fs.openSync(path.join(this.dir, `${this.name}.log`), 'a');
    const child = spawn(this.cmd, this.args, { stdio: ['ignore', log, log], detached: false, ...this.runAs });
    fs.closeSync(log);
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let failed = false;
    child.once('exit', () => (failed = true));
    await waitFor(async () => {
      if (failed) throw new Error(`${this.name} exited at start; see ${path.join(this.dir, `${this.name}.log`)}`);
      return this.ready();
    }, { timeoutMs: 60_000, intervalMs: 100, what: `${this.name} on port ${this.port}` });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}

/**
 * `perListener` puts `per_listener_settings true` first (Mosquitto refuses it later), for a second
 * listener in extraConfig with its own password file. Without a password_file in extraConfig the
 * broker is anonymous, and hub.conf's use_username_as_clientid (which refuses clients without a
 * username) is left out.
 */
export async function startMosquitto(opts: { extraConfig?: string; perListener?: boolean } = {}): Promise<Service> {
  const dir = tempDir('mosquitto');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  const anonymous = !/^password_file /m.test(opts.extraConfig ?? '');
  const hubConf = fs.readFileSync(path.join(repoRoot, 'config', 'mosquitto', 'hub.conf'), 'utf8');
  fs.writeFileSync(
    conf,
    [
      ...(opts.perListener ? ['per_listener_settings true'] : []),
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence_location ${dir}/`,
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      anonymous ? hubConf.replace(/^use_username_as_clientid .*$/m, '') : hubConf,
      opts.extraConfig ?? '',
    ].join('\n'),
  );
  const svc = new ManagedProcess(port, `mqtt://127.0.0.1:${port}`, dir, '/usr/sbin/mosquitto', ['-c', conf], () => portOpen(port), 'mosquitto');
  await svc.start();
  return svc;
}

/** `compactQuickly` snapshots and compacts after seconds of quiet instead of minutes (disk-size measurements). */
export async function startInflux(database = 'hub', { compactQuickly = false } = {}): Promise<Service> {
  const dir = tempDir('influx');
  const port = await freePort();
  const rpcPort = await freePort();
  const conf = path.join(dir, 'influxdb.conf');
  fs.writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
${compactQuickly ? '  cache-snapshot-write-cold-duration = "2s"\n  compact-full-write-cold-duration = "5s"\n' : ''}[coordinator]
  write-timeout = "30s"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  max-body-size = 0
[continuous_queries]
  log-enabled = false
`,
  );
  const influxd = fs.existsSync('/usr/bin/influxd') ? '/usr/bin/influxd' : 'influxd';
  const svc = new ManagedProcess(
    port,
    `http://127.0.0.1:${port}/${database}`,
    dir,
    influxd,
    ['-config', conf],
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/ping`);
        return res.status === 204;
      } catch {
        return false;
      }
    },
    'influxd',
  );
  await svc.start();
  return svc;
}

/** Runs an InfluxQL query against a test InfluxDB and returns the first series' values. */
export async function influxQuery(svc: Service, q: string, database = 'hub'): Promise<unknown[][]> {
  const res = await fetch(`http://127.0.0.1:${svc.port}/query?db=${database}&epoch=ms&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
  const result = body.results[0];
  if (result?.error) throw new Error(result.error);
  return result?.series?.[0]?.values ?? [];
}

/** VictoriaMetrics (Debian's victoria-metrics), which accepts InfluxDB line protocol on /write. */
export async function startVictoriaMetrics(): Promise<Service> {
  const dir = tempDir('vm');
  const port = await freePort();
  const svc = new ManagedProcess(
    port,
    `http://127.0.0.1:${port}/hub`,
    dir,
    '/usr/bin/victoria-metrics',
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}/data`, '-retentionPeriod=1', '-search.latencyOffset=0s', '-loggerLevel=ERROR'],
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
      } catch {
        return false;
      }
    },
    'victoria-metrics',
  );
  await svc.start();
  return svc;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Who runs PostgreSQL: it refuses root, so under root the tests use Debian's `postgres` account. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no postgres account: apt-get install postgresql');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PostgresService extends Service {
  /** postgres://… for a database of its own (created on first use). */
  database(name: string): Promise<string>;
}

/**
 * Debian's PostgreSQL 15: `initdb` in a temp dir, then `postgres` on a free loopback port with
 * trust auth for the test user. Restartable on the same data (the PostgreSQL-restart tests).
 */
export async function startPostgres(): Promise<PostgresService> {
  const dir = tempDir('postgres');
  const port = await freePort();
  const account = postgresAccount();
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  if (account) {
    fs.chownSync(dir, account.uid, account.gid);
    fs.chownSync(data, account.uid, account.gid);
  }
  const { spawnSync } = await import('node:child_process');
  const init = spawnSync(`${PG_BIN}/initdb`, ['-D', data, '-U', 'hub', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], { encoding: 'utf8', ...account });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'shared_buffers=64MB'];
  const svc = new ManagedProcess(port, `postgres://hub@127.0.0.1:${port}/hub`, dir, `${PG_BIN}/postgres`, args, () => pgReady(port), 'postgres', account);
  await svc.start();
  const created = new Set<string>();
  return Object.assign(svc, {
    async database(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      if (!created.has(name)) {
        const r = spawnSync(`${PG_BIN}/psql`, ['-h', '127.0.0.1', '-p', String(port), '-U', 'hub', '-d', 'postgres', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
        created.add(name);
      }
      return `postgres://hub@127.0.0.1:${port}/${name}`;
    },
  });
}

async function pgReady(port: number): Promise<boolean> {
  const { spawnSync } = await import('node:child_process');
  return spawnSync(`${PG_BIN}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port), '-q']).status === 0;
}
