import path from 'node:path';
import { buildDistrict, type DistrictOptions } from './build.ts';
import { ScenarioClock } from './clock.ts';
import { mqttLinkFactory, type LinkFactory, type Logins } from './links.ts';
import type { District } from './model.ts';
import { CommunityRuntime, type RuntimeOptions } from './runtime.ts';
import { loadScenario, type ScenarioFile } from './scenario-file.ts';
import { playScenario } from './scenario-play.ts';
import { planScenario, type ExpectedAlert, type PlannedStep, type ScenarioPlan } from './scenario-plan.ts';

export { buildDistrict, buildCommunity, COMMUNITY_DEFAULTS, type CommunityOptions, type DistrictOptions } from './build.ts';
export { hubConfigDocument, hubConfigJson, hubConfigYaml, writeHubConfig } from './hub-config.ts';
export { loadScenario, parseScenario, type ScenarioFile } from './scenario-file.ts';
export { planScenario, type ExpectedAlert, type PlannedStep, type ScenarioPlan } from './scenario-plan.ts';
export { CommunityRuntime } from './runtime.ts';
export { ScenarioClock } from './clock.ts';
export { mqttLinkFactory, type Link, type LinkFactory, type Logins, type MqttLogin } from './links.ts';
export { hubApiHeaders, issueGatewayLogin } from './hub-access.ts';
export type { District, SimCommunity, SimDeviceSpec, SimWorker } from './model.ts';

export const SCENARIO_DIR = path.join(import.meta.dirname, 'scenarios');

/** A scenario file path, or a bare name of one shipped in simulators/community/scenarios. */
export function scenarioPath(nameOrPath: string): string {
  return /[/\\]|\.ya?ml$/.test(nameOrPath) ? nameOrPath : path.join(SCENARIO_DIR, `${nameOrPath}.yaml`);
}

export interface CommunitySimOptions extends Pick<RuntimeOptions, 'connectionsPerCommunity' | 'telemetryQos' | 'routine' | 'maxInflight' | 'clientIdPrefix' | 'onProgress' | 'onPublish'> {
  mqttUrl?: string;
  /** A ready district, or how to build one. */
  district?: District | DistrictOptions;
  seed?: number;
  /** Scenario seconds per real second (60: an hour in a minute). */
  timeScale?: number;
  /** A scenario (file path, shipped name or parsed script); none: routine traffic only. */
  scenario?: string | ScenarioFile;
  /** MQTT logins by community id or `*` (see hub-access.ts for the hub's gateway credential). */
  logins?: Logins;
  /** Replaces MQTT (tests record the run with it). */
  links?: LinkFactory;
  onStep?: (step: PlannedStep, index: number) => void;
}

export interface CommunitySim {
  district: District;
  runtime: CommunityRuntime;
  plan: ScenarioPlan | undefined;
  /** The ground truth: the alerts the scenario implies, exactly (empty without a scenario). */
  expected: ExpectedAlert[];
  /** Resolves after the scenario's last step (at once without a scenario). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Builds (or takes) a district, runs every device and plays the scenario over it. */
export async function runScenario(o: CommunitySimOptions): Promise<CommunitySim> {
  const seed = o.seed ?? 1;
  const district = o.district && 'devices' in o.district ? o.district : buildDistrict({ seed, ...(o.district ?? {}) });
  const script = typeof o.scenario === 'string' ? loadScenario(scenarioPath(o.scenario)) : o.scenario;
  const plan = script ? planScenario(script, district, seed) : undefined;
  const links = o.links ?? mqttLinkFactory(o.mqttUrl ?? 'mqtt://127.0.0.1:1883', o.logins ?? {});
  const runtime = new CommunityRuntime({
    district,
    links,
    seed,
    clock: new ScenarioClock(o.timeScale ?? 1, plan?.clockStart ?? Date.now()),
    dedicated: plan?.dedicated ?? [],
    ...pick(o, ['connectionsPerCommunity', 'telemetryQos', 'routine', 'maxInflight', 'clientIdPrefix', 'onProgress', 'onPublish']),
  });
  await runtime.start();
  // Step times count from the moment every device is up, not from how long start-up took.
  runtime.clock.restart();
  const abort = new AbortController();
  const done = plan ? playScenario(runtime, plan, { signal: abort.signal, ...(o.onStep ? { onStep: o.onStep } : {}) }) : Promise.resolve();
  return {
    district,
    runtime,
    plan,
    expected: plan?.expected ?? [],
    done,
    async stop() {
      abort.abort();
      await done.catch(() => {});
      await runtime.stop();
    },
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
