// Alert chime through WebAudio (no audio files), mutable; the choice persists in localStorage.
const KEY = 'hub.muted';

class Chime {
  muted = $state(readMuted());
  /** The browser holds audio back until someone clicks or presses a key on the page. */
  blocked = $state(false);
  private ctx: AudioContext | null = null;

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    try {
      const Ctx = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
      if (!Ctx) return null;
      const ctx = new Ctx();
      ctx.onstatechange = () => (this.blocked = ctx.state !== 'running');
      this.ctx = ctx;
      this.blocked = ctx.state !== 'running';
      return ctx;
    } catch {
      return null;
    }
  }

  /** Finds out, without a gesture, whether the browser would let the chime sound (sets `blocked`). */
  probe(): void {
    const ctx = this.context();
    if (ctx?.state === 'suspended') void ctx.resume().catch(() => {});
  }

  /** Browsers allow audio only after a user gesture: call from a click/keydown handler. */
  unlock(): void {
    const ctx = this.context();
    if (ctx?.state === 'suspended') void ctx.resume().catch(() => {});
  }

  toggle(): void {
    this.muted = !this.muted;
    try {
      localStorage.setItem(KEY, this.muted ? '1' : '0');
    } catch {
      /* ignore */
    }
    if (!this.muted) this.unlock();
  }

  /** Three rising tones for critical, one low tone otherwise. */
  play(urgent = true): void {
    if (this.muted) return;
    this.unlock();
    const ctx = this.ctx;
    if (!ctx || ctx.state !== 'running') return;
    const notes = urgent ? [880, 1175, 1568] : [660];
    const t0 = ctx.currentTime + 0.02;
    notes.forEach((f, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = f;
      const s = t0 + i * 0.18;
      gain.gain.setValueAtTime(0.0001, s);
      gain.gain.exponentialRampToValueAtTime(0.35, s + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, s + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(s);
      osc.stop(s + 0.3);
    });
  }
}

function readMuted(): boolean {
  try {
    return globalThis.localStorage?.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

export const chime = new Chime();
