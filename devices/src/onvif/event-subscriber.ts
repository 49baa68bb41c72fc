import http from 'node:http';
import onvifPkg from 'onvif';
import { Backoff } from './backoff.ts';
import { classifyError, withTimeout, type CameraError } from './errors.ts';
import { mapNotification, type MappedEvent } from './event-map.ts';

type Cam = InstanceType<typeof onvifPkg.Cam>;

export interface SubscriberOptions {
  xaddr: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  retry: { initialMs: number; maxMs: number };
  onEvent: (event: MappedEvent) => void;
  /** active: a pull-point subscription is in place; error: why it is not. */
  onState: (active: boolean, error?: CameraError) => void;
}

/**
 * ONVIF events through a pull-point subscription, using the `onvif` package (node-onvif has no events service).
 * Its built-in `cam.on('event')` loop is not used: it retries without backoff and cannot be stopped mid-pull,
 * so this class drives CreatePullPointSubscription / PullMessages / Renew / Unsubscribe itself.
 */
export class PullPointSubscriber {
  private running = false;
  private cam: Cam | undefined;
  private subscribed = false;
  private agent: http.Agent | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private parkedOnAuth = false;

  constructor(private readonly opts: SubscriberOptions) {
    this.backoff = new Backoff(opts.retry.initialMs, opts.retry.maxMs);
  }

  get active(): boolean {
    return this.subscribed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Retry now (the camera came back, or its credentials work again). */
  kick(): void {
    this.backoff.reset();
    this.parkedOnAuth = false;
    this.wake?.();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    const cam = this.cam;
    if (cam && this.subscribed) {
      // Best effort: frees the camera's subscription slot now instead of at its termination time.
      await withTimeout(call<void>((cb) => cam.unsubscribe(cb, true)), this.opts.timeoutMs, 'Unsubscribe').catch(() => {});
    }
    // Ends a PullMessages that the camera may hold open for up to a minute.
    this.agent?.destroy();
    await this.loop;
    this.setSubscribed(false);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const cam = await this.ensureSubscription();
        const data = await call<any>((cb) => cam.pullMessages({ messageLimit: 20 }, cb));
        if (!this.running) break;
        const list = data?.notificationMessage;
        for (const msg of Array.isArray(list) ? list : list ? [list] : []) {
          const mapped = mapNotification(msg);
          if (mapped) this.opts.onEvent(mapped);
        }
        this.backoff.reset();
        // Some cameras (Axis) only extend a pull point on Renew; failures are harmless, the next pull tells.
        await withTimeout(call((cb) => cam.renew({}, cb)), this.opts.timeoutMs, 'Renew').catch(() => {});
      } catch (err) {
        if (!this.running) break;
        const e = classifyError(err);
        this.subscribed = false;
        this.cam = undefined;
        this.opts.onState(false, e);
        // Wrong credentials are not retried here: the health poll owns that backoff and kicks us once they work.
        this.parkedOnAuth = e.kind === 'unauthorized';
        await this.sleep(this.parkedOnAuth ? undefined : this.backoff.next());
      }
    }
  }

  private async ensureSubscription(): Promise<Cam> {
    if (this.cam && this.subscribed) return this.cam;
    const url = new URL(this.opts.xaddr);
    this.agent?.destroy();
    this.agent = new http.Agent({ keepAlive: false });
    const cam = new onvifPkg.Cam({
      hostname: url.hostname,
      port: Number(url.port || 80),
      path: url.pathname,
      username: this.opts.username,
      password: this.opts.password,
      timeout: this.opts.timeoutMs,
      autoconnect: false,
      agent: this.agent,
    });
    cam.on('warning', () => {});
    await withTimeout(call<void>((cb) => cam.connect(cb)), this.opts.timeoutMs * 4, 'ONVIF events connect');
    await withTimeout(call((cb) => cam.createPullPointSubscription(cb)), this.opts.timeoutMs, 'CreatePullPointSubscription');
    this.cam = cam;
    this.setSubscribed(true);
    return cam;
  }

  private setSubscribed(active: boolean): void {
    if (this.subscribed === active) return;
    this.subscribed = active;
    this.opts.onState(active);
  }

  /** Sleeps `ms` (forever when undefined) or until kick()/stop(). */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The onvif package's callbacks are `(err, data)`; some call back with `err === false` for success. */
function call<T = unknown>(fn: (cb: (err: unknown, data?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, data) => (err ? reject(err) : resolve(data as T)));
  });
}
