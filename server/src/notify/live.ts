import type { WebSocket } from 'ws';
import type { LiveMessage } from '#devices/wire.ts';

export type { LiveMessage };

/** Decides whether one connection may see one message (the security layer supplies it per user). */
export type LiveScope = (msg: LiveMessage) => boolean;

/**
 * The WebSocket side of delivery: every connected dashboard gets every change it may see.
 * A slow client is cut off rather than buffered without bound.
 */
export class LiveHub {
  private readonly clients = new Map<WebSocket, LiveScope>();
  private static readonly MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

  add(socket: WebSocket, scope: LiveScope = () => true): void {
    this.clients.set(socket, scope);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => this.clients.delete(socket));
    this.sendTo(socket, { type: 'hello', serverTime: Date.now() });
  }

  get size(): number {
    return this.clients.size;
  }

  broadcast(msg: LiveMessage): void {
    let text: string | undefined;
    for (const [socket, scope] of this.clients) {
      if (!scope(msg)) continue;
      if (socket.bufferedAmount > LiveHub.MAX_BUFFERED_BYTES) {
        socket.terminate();
        this.clients.delete(socket);
        continue;
      }
      text ??= JSON.stringify(msg);
      socket.send(text);
    }
  }

  closeAll(): void {
    for (const socket of this.clients.keys()) socket.close(1001, 'hub shutting down');
    this.clients.clear();
  }

  private sendTo(socket: WebSocket, msg: LiveMessage): void {
    socket.send(JSON.stringify(msg));
  }
}
