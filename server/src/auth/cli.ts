import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openStateDb } from '../db.ts';
import { GridModel } from '../grid/model.ts';
import { DeviceRegistry } from '../registry/devices.ts';
import { writeCredentialsFile } from './credentials-file.ts';
import { exportedCredentials, mosquittoFiles, writeMosquittoFiles } from './mosquitto-files.ts';
import { hubClientIds } from './broker-auth.ts';
import { MqttAcl } from './mqtt-acl.ts';
import { MqttCredentialRepository } from './mqtt-credentials.ts';
import { MIN_PASSWORD_LENGTH, passwordAcceptable } from './passwords.ts';
import { ALL, ROLES, type Role } from './roles.ts';
import { createLogger } from '../log.ts';
import { openPg } from '../state/pg/connect.ts';
import { pgAuthStores } from '../state/pg/auth-stores.ts';
import { sqliteAuthStores } from './service.ts';

const HELP = `Hub administration (works on DATA_DIR, and on STATE_URL's accounts when set; the hub may be running).

  npm run admin -- create-admin <username>            password from stdin (or a prompt)
  npm run admin -- create-user <username> --role operator|worker|viewer|admin
                   [--communities c1,c2|*] [--cells g1,g2] [--worker <grid worker id>]
  npm run admin -- set-password <username>            password from stdin (or a prompt); ends their sessions at next use
  npm run admin -- create-gateway <id> [--communities c1,c2|*] [--out creds.json]
                   an MQTT login that may publish for every device of those communities
                   (site gateways, the simulator, the bench); printed, or merged into --out
  npm run admin -- provision-devices [--out creds.json] [--rotate]
                   issues an MQTT credential to every registered device that has none
                   (devices of HUB_CONFIG included); writes { devices: { id: password } }
  npm run admin -- mosquitto-files --out <dir>         writes password_file and acl_file for Mosquitto

Environment: DATA_DIR (default ./data), HUB_CONFIG, MQTT_USERNAME / MQTT_PASSWORD (the hub's
login to an external broker, added to the Mosquitto files).
`;

async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  // Interactive: read without echo.
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  return new Promise((resolve) => {
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      communities: { type: 'string' },
      cells: { type: 'string' },
      worker: { type: 'string' },
      out: { type: 'string' },
      rotate: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, name] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig();
  const db = openStateDb(config.dataDir);
  // Accounts and the audit log live in the shared state when there is one; MQTT credentials stay in DATA_DIR.
  const pg = config.stateUrl ? await openPg(config.stateUrl, createLogger('warn'), { max: 2 }) : undefined;
  const ttlMs = config.sessionTtlS * 1000;
  const { users, audit, sessions } = pg ? pgAuthStores(pg, ttlMs, createLogger('warn')) : sqliteAuthStores(db, ttlMs);
  const credentials = new MqttCredentialRepository(db);
  const configFile = config.file;
  const grid = new GridModel(configFile);
  const registry = new DeviceRegistry(db);
  registry.start();
  for (const d of configFile.devices ?? []) if (!registry.get(d.id)?.provisioned) registry.provision(d);
  const actor = `cli:${process.env.USER ?? 'unknown'}`;
  try {
    switch (command) {
      case 'create-admin':
      case 'create-user': {
        if (!name || !/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) fail('a username of letters, digits and _.@- is needed');
        const role = (command === 'create-admin' ? 'admin' : values.role) as Role;
        if (!ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
        const communities = list(values.communities);
        const cells = list(values.cells);
        if ((role === 'operator' || role === 'viewer') && communities.length === 0) fail(`an ${role} needs --communities (ids, or ${ALL})`);
        if (role === 'worker' && cells.length === 0 && !values.worker) fail('a worker needs --worker <grid worker id> or --cells');
        if (values.worker && !grid.person(values.worker)) fail(`no grid worker ${values.worker} in HUB_CONFIG`);
        const password = await readPassword(`password for ${name}: `);
        if (!passwordAcceptable(password)) fail(`the password must be ${MIN_PASSWORD_LENGTH} to 256 characters`);
        if (!(await users.create({ username: name, password, role, communities, cells, workerId: values.worker ?? null }))) fail(`user ${name} already exists`);
        await audit.record({ actor, action: 'user.create', target: name, detail: { role, communities, cells, workerId: values.worker } });
        process.stdout.write(`created ${role} ${name}\n`);
        break;
      }
      case 'set-password': {
        if (!name || !(await users.get(name))) fail(`no user ${name ?? ''}`);
        const password = await readPassword(`new password for ${name}: `);
        if (!passwordAcceptable(password)) fail(`the password must be ${MIN_PASSWORD_LENGTH} to 256 characters`);
        await users.update(name, { password });
        await sessions.revokeUser(name);
        await audit.record({ actor, action: 'user.update', target: name, detail: { password: 'changed' } });
        process.stdout.write(`password of ${name} changed\n`);
        break;
      }
      case 'create-gateway': {
        if (!name || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) fail('a gateway id of letters, digits, _ and - is needed');
        if (registry.get(name)) fail(`${name} is a device id`);
        const communities = list(values.communities ?? ALL);
        const password = credentials.issue(name, 'gateway', actor, { communities, replace: values.rotate });
        if (!password) fail(`MQTT user ${name} exists (use --rotate to issue a new secret)`);
        await audit.record({ actor, action: 'gateway.create', target: name, detail: { communities } });
        if (values.out) {
          writeCredentialsFile(values.out, { gateway: { username: name, password } });
          process.stdout.write(`gateway ${name} written to ${values.out}\n`);
        } else process.stdout.write(JSON.stringify({ gateway: { username: name, password } }) + '\n');
        break;
      }
      case 'provision-devices': {
        const issued: Record<string, string> = {};
        for (const d of registry.all()) {
          const existing = credentials.get(d.id);
          if (existing && (existing.type !== 'device' || !values.rotate)) continue;
          issued[d.id] = credentials.issue(d.id, 'device', actor, { replace: true })!;
        }
        await audit.record({ actor, action: 'device.provision', target: `${Object.keys(issued).length} devices`, detail: { rotate: values.rotate } });
        if (values.out) {
          writeCredentialsFile(values.out, { devices: issued });
          process.stdout.write(`${Object.keys(issued).length} device credentials written to ${values.out}\n`);
        } else process.stdout.write(JSON.stringify({ devices: issued }, null, 2) + '\n');
        break;
      }
      case 'mosquitto-files': {
        if (!values.out) fail('--out <dir> is needed');
        const all = exportedCredentials(credentials, config);
        const files = writeMosquittoFiles(path.resolve(values.out), mosquittoFiles(all, new MqttAcl(registry), registry, { reservedClientId: hubClientIds(config.mqttClientId) }));
        await audit.record({ actor, action: 'mqtt.config_export', target: values.out });
        process.stdout.write(
          `wrote ${files.passwordFile}, ${files.hubPasswordFile} and ${files.aclFile}\n` +
            `in mosquitto.conf (see docs/security.md): per_listener_settings true, then\n` +
            `  the hub's listener:    allow_anonymous false, password_file ${files.hubPasswordFile}, acl_file ${files.aclFile}\n` +
            `  the devices' listener: allow_anonymous false, password_file ${files.passwordFile}, acl_file ${files.aclFile}, use_username_as_clientid true\n` +
            `then reload Mosquitto (SIGHUP) after each change\n`,
        );
        break;
      }
      default:
        fail(`unknown command ${command}\n\n${HELP}`);
    }
  } finally {
    registry.stop();
    db.close();
    await pg?.end({ timeout: 5 });
  }
}

await main();
