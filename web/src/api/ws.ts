// LiveSocket: the dashboard's WebSocket to /ws. It keeps one connection open
// for as long as it is wanted: when the connection drops it reconnects by
// itself with exponential backoff (with jitter, capped), re-sends every room
// subscription after each reconnect, and hands each {"type","data"} event to
// the listeners registered for its type. The socket factory, timers and
// randomness are injectable so the reconnect logic is tested without a server.
import type { ClientMessage, Room, ServerEvents, ServerEventType, ServerMessage } from './types';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

// The part of the browser WebSocket that LiveSocket uses.
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface LiveSocketOptions {
  url: () => string; // evaluated at each (re)connect, so a new API key is picked up
  createSocket?: (url: string) => SocketLike;
  initialDelayMs?: number; // first retry delay
  maxDelayMs?: number; // cap of the backoff
  jitter?: number; // +- this fraction of the delay
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
}

export interface ConnectionInfo {
  state: ConnectionState;
  attempt: number; // failed attempts since the last successful open
  nextRetryAt: number | null; // when the next attempt starts (now() clock), while reconnecting
  lastError: string | null;
}

type Listener<T extends ServerEventType> = (data: ServerEvents[T]) => void;
const OPEN = 1;

export class LiveSocket {
  private readonly opts: Required<Omit<LiveSocketOptions, 'url'>> & { url: () => string };
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private wanted = false;
  private readonly rooms = new Set<Room>();
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();
  private readonly anyListeners = new Set<(msg: ServerMessage) => void>();
  private readonly stateListeners = new Set<(info: ConnectionInfo) => void>();
  private info: ConnectionInfo = { state: 'closed', attempt: 0, nextRetryAt: null, lastError: null };

  constructor(options: LiveSocketOptions) {
    this.opts = {
      createSocket: (url) => new WebSocket(url),
      initialDelayMs: 500,
      maxDelayMs: 10_000,
      jitter: 0.2,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
      ...options,
    };
  }

  get connection(): ConnectionInfo {
    return this.info;
  }

  connect(): void {
    this.wanted = true;
    if (this.socket || this.timer !== null) return;
    this.open();
  }

  // Closes for good (until connect() is called again).
  close(): void {
    this.wanted = false;
    this.cancelTimer();
    const s = this.socket;
    this.socket = null;
    if (s) {
      this.detach(s);
      s.close(1000, 'client closing');
    }
    this.setInfo({ state: 'closed', nextRetryAt: null });
  }

  // Skips the wait of a pending reconnect (e.g. when the page becomes visible again).
  retryNow(): void {
    if (!this.wanted || this.socket) return;
    this.cancelTimer();
    this.open();
  }

  subscribe(room: Room): void {
    if (this.rooms.has(room)) return;
    this.rooms.add(room);
    this.send({ type: 'subscribe', data: { room } });
  }

  unsubscribe(room: Room): void {
    if (!this.rooms.delete(room)) return;
    this.send({ type: 'unsubscribe', data: { room } });
  }

  get subscriptions(): Room[] {
    return [...this.rooms];
  }

  // Registers a listener for one event type; returns its remover.
  on<T extends ServerEventType>(type: T, fn: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const f = fn as (data: unknown) => void;
    set.add(f);
    return () => set!.delete(f);
  }

  // Registers a listener for every event.
  onAny(fn: (msg: ServerMessage) => void): () => void {
    this.anyListeners.add(fn);
    return () => this.anyListeners.delete(fn);
  }

  onState(fn: (info: ConnectionInfo) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  // Sends now if open; messages sent while disconnected are dropped (subscriptions are replayed).
  send(msg: ClientMessage): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(msg));
    return true;
  }

  private open(): void {
    this.timer = null;
    this.setInfo({ state: this.info.attempt === 0 ? 'connecting' : 'reconnecting', nextRetryAt: null });
    let s: SocketLike;
    try {
      s = this.opts.createSocket(this.opts.url());
    } catch (e) {
      this.setInfo({ lastError: (e as Error).message });
      this.scheduleRetry();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      this.setInfo({ state: 'open', attempt: 0, nextRetryAt: null, lastError: null });
      for (const room of this.rooms) this.send({ type: 'subscribe', data: { room } });
    };
    s.onmessage = (ev) => this.dispatch(ev.data);
    s.onerror = () => this.setInfo({ lastError: 'connection error' });
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.detach(s);
      this.socket = null;
      if (ev && ev.code && ev.code !== 1000 && ev.code !== 1005 && ev.code !== 1006) {
        this.setInfo({ lastError: `closed (${ev.code}${ev.reason ? ': ' + ev.reason : ''})` });
      }
      if (this.wanted) this.scheduleRetry();
      else this.setInfo({ state: 'closed' });
    };
  }

  private scheduleRetry(): void {
    const attempt = this.info.attempt;
    const base = Math.min(this.opts.maxDelayMs, this.opts.initialDelayMs * 2 ** attempt);
    const spread = base * this.opts.jitter * (2 * this.opts.random() - 1);
    const delay = Math.max(0, Math.round(base + spread));
    this.setInfo({ state: 'reconnecting', attempt: attempt + 1, nextRetryAt: this.opts.now() + delay });
    this.timer = this.opts.setTimer(() => this.open(), delay);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.opts.clearTimer(this.timer);
    this.timer = null;
  }

  private detach(s: SocketLike): void {
    s.onopen = s.onclose = s.onerror = s.onmessage = null;
  }

  private dispatch(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    for (const fn of this.listeners.get(msg.type) ?? []) {
      try {
        fn(msg.data);
      } catch (e) {
        console.error(`listener for ${msg.type} failed`, e);
      }
    }
    for (const fn of this.anyListeners) fn(msg);
  }

  private setInfo(patch: Partial<ConnectionInfo>): void {
    this.info = { ...this.info, ...patch };
    for (const fn of this.stateListeners) fn(this.info);
  }
}

// ws(s)://<this host>/ws, with the API key as a query parameter when one is set
// (browsers cannot set headers on a WebSocket).
export function defaultSocketUrl(apiKey: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = apiKey ? `?api_key=${encodeURIComponent(apiKey)}` : '';
  return `${proto}//${window.location.host}/ws${q}`;
}
