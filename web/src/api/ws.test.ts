import { describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test/helpers';
import { LiveSocket, type ConnectionInfo } from './ws';

// A LiveSocket on fake sockets and a fake clock the test advances by hand.
function setup(opts: { jitter?: number; random?: () => number } = {}) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; at: number; id: number }[] = [];
  let now = 0;
  let nextId = 1;
  const live = new LiveSocket({
    url: () => 'ws://host/ws',
    createSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    initialDelayMs: 500,
    maxDelayMs: 10_000,
    jitter: opts.jitter ?? 0,
    random: opts.random ?? (() => 0.5),
    setTimer: (fn, ms) => {
      const t = { fn, at: now + ms, id: nextId++ };
      timers.push(t);
      return t.id;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    now: () => now,
  });
  const states: ConnectionInfo[] = [];
  live.onState((s) => states.push(s));
  // Runs the next timer; returns the delay it had been set for.
  const fireNext = () => {
    timers.sort((a, b) => a.at - b.at);
    const t = timers.shift();
    if (!t) throw new Error('no timer pending');
    const delay = t.at - now;
    now = t.at;
    t.fn();
    return delay;
  };
  return { live, sockets, timers, states, fireNext, last: () => sockets[sockets.length - 1] };
}

describe('LiveSocket', () => {
  it('subscribes to its rooms once open and dispatches events by type', () => {
    const { live, last } = setup();
    live.subscribe('metrics');
    live.connect();
    expect(live.connection.state).toBe('connecting');
    const got: unknown[] = [];
    live.on('metrics_update', (d) => got.push(d));
    last().open();
    expect(live.connection.state).toBe('open');
    expect(last().subscriptions).toEqual(['metrics']);
    live.subscribe('models'); // sent at once while open
    expect(last().subscriptions).toEqual(['metrics', 'models']);
    last().message('metrics_update', { system: { cpu_percent: 12 } });
    last().message('thermal_warning', { state: 'serious' });
    last().onmessage?.(new MessageEvent('message', { data: 'not json' }));
    expect(got).toEqual([{ system: { cpu_percent: 12 } }]);
  });

  it('reconnects with exponential backoff up to the cap, then resets after a success', () => {
    const { live, sockets, fireNext, last } = setup();
    live.connect();
    last().drop();
    expect(live.connection.state).toBe('reconnecting');
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      delays.push(fireNext());
      last().drop(); // the server is still down
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(sockets).toHaveLength(8);
    fireNext();
    last().open();
    expect(live.connection).toMatchObject({ state: 'open', attempt: 0, nextRetryAt: null });
    last().drop();
    expect(fireNext()).toBe(500); // the backoff starts over
  });

  it('replays every subscription after a reconnect, including ones made while down', () => {
    const { live, fireNext, last } = setup();
    live.subscribe('metrics');
    live.connect();
    last().open();
    last().drop();
    live.subscribe('downloads');
    live.unsubscribe('metrics');
    fireNext();
    last().open();
    expect(last().subscriptions).toEqual(['downloads']);
  });

  it('spreads retries with jitter within the configured fraction', () => {
    const lo = setup({ jitter: 0.2, random: () => 0 });
    lo.live.connect();
    lo.last().drop();
    expect(lo.fireNext()).toBe(400);
    const hi = setup({ jitter: 0.2, random: () => 1 });
    hi.live.connect();
    hi.last().drop();
    expect(hi.fireNext()).toBe(600);
  });

  it('stops for good on close(), and retryNow() skips the wait', () => {
    const { live, timers, sockets, last } = setup();
    live.connect();
    last().drop();
    expect(timers).toHaveLength(1);
    live.retryNow();
    expect(timers).toHaveLength(0);
    expect(sockets).toHaveLength(2);
    last().open();
    live.close();
    expect(last().closedByClient).toBe(true);
    expect(live.connection.state).toBe('closed');
    expect(timers).toHaveLength(0);
    live.retryNow();
    expect(sockets).toHaveLength(2);
  });

  it('reports the time of the next attempt while reconnecting', () => {
    const { live, last, states } = setup();
    live.connect();
    last().open();
    last().drop();
    const s = states[states.length - 1];
    expect(s.state).toBe('reconnecting');
    expect(s.nextRetryAt).toBe(500);
  });

  it('keeps going when a listener throws', () => {
    const { live, last } = setup();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const ok = vi.fn();
    live.on('model_loaded', () => {
      throw new Error('boom');
    });
    live.on('model_loaded', ok);
    live.connect();
    last().open();
    last().message('model_loaded', { model_id: 'm' });
    expect(ok).toHaveBeenCalledWith({ model_id: 'm' });
    spy.mockRestore();
  });
});
