/**
 * A small typed client for `/api/v1/ws` (protocol: asyncapi.yaml). Works with Node's `ws` and a browser's
 * WebSocket: pass a factory. It reconnects with backoff, re-subscribes, and resumes `events` subscriptions
 * with `since` = the last sequence number it delivered, so nothing is lost or repeated across a reconnect.
 * Self-contained on purpose (no imports from the server) so a web console can copy or bundle it; the event and error
 * types are openapi.yaml's (openapi-types.ts), which test/unit/client-types.test.ts holds equal to the server's.
 */
import type { components } from './openapi-types';

export type Channel = 'events' | 'job' | 'logs' | 'service-logs' | 'stats' | 'exec' | 'attach';
export type FrameType = 'subscribed' | 'event' | 'progress' | 'log' | 'stats' | 'output' | 'end' | 'error';

export interface ServerFrame<T = unknown> {
  id: string | null;
  type: FrameType;
  seq: number;
  data: T;
}

export interface ErrorData {
  /** The problem codes of the REST API: one catalogue for both. */
  code: components['schemas']['Problem']['code'];
  message: string;
  details?: Record<string, unknown>;
}

/** An `event` frame's data: the same as an item of GET /events. */
export type EngineEvent = components['schemas']['StreamEvent'];

export interface EventFilters {
  /** Engine names, or `['*']` for every engine the token may use; absent: `default`. */
  engine?: string[];
  type?: string[];
  action?: string[];
  container?: string[];
  image?: string[];
  label?: string[];
}

export type SubscribeSpec =
  | { channel: 'events'; filters?: EventFilters; since?: number }
  | { channel: 'job'; jobId: string }
  | { channel: 'logs'; container: string; tail?: number; since?: number; engine?: string }
  /** A swarm service's output, followed, from its manager `engine`; `task` narrows it to one task. */
  | { channel: 'service-logs'; service: string; task?: string; tail?: number; since?: number; engine?: string }
  | { channel: 'stats'; container: string; interval?: number; engine?: string }
  | TerminalSpec;

/** An interactive session (admin): an exec from POST /containers/{id}/exec, or a running `-it` container. */
export type TerminalSpec =
  | { channel: 'exec'; execId: string; cols?: number; rows?: number; encoding?: 'utf8' | 'base64'; engine?: string }
  | { channel: 'attach'; container: string; cols?: number; rows?: number; encoding?: 'utf8' | 'base64'; engine?: string };

export interface TerminalHandlers extends Handlers {
  /** Output: text with the default utf8 encoding, bytes with `encoding: 'base64'`. */
  onOutput?(data: string | Uint8Array, stream: 'stdout' | 'stderr'): void;
}

export interface TerminalHandle {
  id: string;
  /** Keystrokes or bytes; coalesced to one frame per 50 ms and cut into 8 KiB frames. */
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** Detach (an attached container keeps running). */
  close(): void;
}

/** Input bytes one stdin frame may carry, and how often input frames go out (the server allows 20 frames/s). */
const MAX_STDIN_BYTES = 8 * 1024;
const INPUT_INTERVAL_MS = 50;

const toBase64 = (bytes: Uint8Array): string => {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
};
const fromBase64 = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

export interface Handlers {
  /** Every frame of the subscription, as received. */
  onFrame?(frame: ServerFrame): void;
  /** An `error` frame; the subscription is over (for `resync_required`, subscribe again without `since`). */
  onError?(error: ErrorData): void;
  /** An `end` frame: the job finished, the container stopped, or you unsubscribed. */
  onEnd?(data: { reason: string }): void;
}

/** The part of WebSocket this client uses: both `ws` and browsers have it. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ClientOptions {
  /** The endpoint; a function is called before every connect (e.g. to fetch a fresh single-use ticket). */
  url: string | (() => Promise<string>);
  /** Opens a socket: `(url, protocols) => new WebSocket(url, protocols, { headers })` with `ws`; `new WebSocket(url, protocols)` in a browser. */
  connect(url: string, protocols: string[]): WebSocketLike;
  /** Extra subprotocols to offer, e.g. `bearer.<token>` for a browser without tickets. */
  protocols?: string[];
  reconnect?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Connection state changes, for a status light. */
  onState?(state: 'connecting' | 'open' | 'closed', detail?: { code: number; reason: string }): void;
}

interface Sub {
  id: string;
  spec: SubscribeSpec;
  handlers: Handlers;
  /** For events: the last sequence number delivered, resumed from after a reconnect. */
  lastSeq?: number;
}

const OPEN = 1;

export class DockhandWsClient {
  private socket: WebSocketLike | undefined;
  private readonly subs = new Map<string, Sub>();
  private counter = 0;
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: ClientOptions) {}

  /** Connects (and keeps reconnecting unless `reconnect: false`). Resolves when the first socket is open. */
  async open(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  subscribe(spec: SubscribeSpec, handlers: Handlers = {}): { id: string; close(): void } {
    const id = `s${++this.counter}`;
    const sub: Sub = { id, spec, handlers, ...(spec.channel === 'events' && spec.since !== undefined ? { lastSeq: spec.since } : {}) };
    this.subs.set(id, sub);
    this.sendSubscribe(sub);
    return { id, close: () => this.unsubscribe(id) };
  }

  /**
   * Starts a terminal session. Input is buffered until the session is subscribed, then sent as one frame per
   * 50 ms at most; a terminal session is not re-opened after a reconnect (an exec runs once): `onEnd` gets
   * `{reason: 'disconnected'}` instead.
   */
  terminal(spec: TerminalSpec, handlers: TerminalHandlers = {}): TerminalHandle {
    const encoder = new TextEncoder();
    let pending: Uint8Array[] = [];
    let ready = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      if (!ready) return;
      const size = pending.reduce((n, b) => n + b.length, 0);
      const all = new Uint8Array(size);
      let at = 0;
      for (const b of pending) {
        all.set(b, at);
        at += b.length;
      }
      pending = [];
      for (let i = 0; i < all.length; i += MAX_STDIN_BYTES) {
        this.send({ type: 'stdin', id: sub.id, data: toBase64(all.subarray(i, i + MAX_STDIN_BYTES)), encoding: 'base64' });
      }
    };
    const schedule = () => {
      if (!timer) timer = setTimeout(flush, INPUT_INTERVAL_MS);
    };
    const sub = this.subscribe(spec, {
      ...handlers,
      onFrame: (f) => {
        if (f.type === 'subscribed') {
          ready = true;
          if (pending.length > 0) schedule();
        }
        if (f.type === 'output') {
          const o = f.data as { stream: 'stdout' | 'stderr'; data: string; encoding: 'utf8' | 'base64' };
          handlers.onOutput?.(o.encoding === 'base64' ? fromBase64(o.data) : o.data, o.stream);
        }
        if (f.type === 'end' || f.type === 'error') {
          ready = false;
          if (timer) clearTimeout(timer);
        }
        handlers.onFrame?.(f);
      },
    });
    return {
      id: sub.id,
      write: (data) => {
        pending.push(typeof data === 'string' ? encoder.encode(data) : data);
        schedule();
      },
      resize: (cols, rows) => this.send({ type: 'resize', id: sub.id, cols, rows }),
      close: () => sub.close(),
    };
  }

  unsubscribe(id: string): void {
    if (!this.subs.has(id)) return;
    this.send({ type: 'unsubscribe', id });
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000, 'client closing');
    this.socket = undefined;
  }

  private async connect(): Promise<void> {
    this.opts.onState?.('connecting');
    const url = typeof this.opts.url === 'string' ? this.opts.url : await this.opts.url();
    const socket = this.opts.connect(url, ['dockhand.v1', ...(this.opts.protocols ?? [])]);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      socket.onopen = () => {
        opened = true;
        this.attempt = 0;
        this.opts.onState?.('open');
        for (const sub of this.subs.values()) this.sendSubscribe(sub);
        resolve();
      };
      socket.onmessage = (ev) => this.onMessage(ev.data);
      socket.onerror = () => undefined; // onclose follows with the code
      socket.onclose = (ev) => {
        this.opts.onState?.('closed', { code: ev.code, reason: ev.reason });
        for (const sub of [...this.subs.values()]) {
          if (sub.spec.channel !== 'exec' && sub.spec.channel !== 'attach') continue;
          this.subs.delete(sub.id);
          sub.handlers.onEnd?.({ reason: 'disconnected' });
        }
        if (this.socket === socket) this.socket = undefined;
        if (!opened) reject(new Error(`websocket closed before opening (${ev.code})`));
        this.scheduleReconnect();
      };
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.opts.reconnect === false || this.timer) return;
    const min = this.opts.minBackoffMs ?? 250;
    const delay = Math.min(this.opts.maxBackoffMs ?? 10000, min * 2 ** this.attempt++) * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect().catch(() => this.scheduleReconnect());
    }, delay);
  }

  private sendSubscribe(sub: Sub): void {
    const spec = sub.spec.channel === 'events' && sub.lastSeq !== undefined ? { ...sub.spec, since: sub.lastSeq } : sub.spec;
    this.send({ type: 'subscribe', id: sub.id, ...spec });
  }

  private send(frame: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private onMessage(raw: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof raw === 'string' ? raw : String(raw)) as ServerFrame;
    } catch {
      return;
    }
    const sub = frame.id ? this.subs.get(frame.id) : undefined;
    if (!sub) return;
    if (sub.spec.channel === 'events' && (frame.type === 'event' || frame.type === 'subscribed')) sub.lastSeq = frame.seq;
    sub.handlers.onFrame?.(frame);
    if (frame.type === 'end' || frame.type === 'error') {
      this.subs.delete(sub.id);
      if (frame.type === 'end') sub.handlers.onEnd?.(frame.data as { reason: string });
      else sub.handlers.onError?.(frame.data as ErrorData);
    }
  }
}
