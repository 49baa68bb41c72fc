import type { CommunityRuntime } from './runtime.ts';
import type { PlannedStep, ScenarioPlan } from './scenario-plan.ts';

export interface PlayOptions {
  onStep?: (step: PlannedStep, index: number) => void;
  signal?: AbortSignal;
}

/** Plays the plan's steps at their scenario times on a running community; resolves after the last. */
export async function playScenario(runtime: CommunityRuntime, plan: ScenarioPlan, o: PlayOptions = {}): Promise<void> {
  for (const [index, step] of plan.steps.entries()) {
    await abortableSleep(runtime.clock.realDelayMs(step.atS), o.signal);
    if (o.signal?.aborted) return;
    await applyStep(runtime, step);
    o.onStep?.(step, index);
  }
}

export async function applyStep(runtime: CommunityRuntime, step: PlannedStep): Promise<void> {
  const id = step.deviceId;
  if (step.online) await runtime.online(id);
  if (step.set) runtime.set(id, step.set);
  if (step.unset) runtime.unset(id, step.unset === true ? undefined : step.unset);
  if (step.telemetry) runtime.telemetry(id, step.telemetry);
  if (step.event) runtime.event(id, step.event);
  if (step.offline) runtime.offline(id);
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
