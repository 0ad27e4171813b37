// The live side of the dashboard: one LiveSocket for the whole app, its
// connection state for the indicator, the recent samples the Overview charts
// draw (machine figures from hardware_status events, or from polling
// /api/hardware/metrics while those do not come; engine figures such as
// tokens/s from metrics_update), the current thermal warning, and cache
// refreshes when events say models, downloads or benchmarks changed.
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { endpoints } from '../api/endpoints';
import { invalidateModels, keys } from '../api/queries';
import type { DownloadList, MetricsUpdate, Room, ServerEvents, ServerEventType, ThermalWarning } from '../api/types';
import { defaultSocketUrl, LiveSocket, type ConnectionInfo } from '../api/ws';
import { downloadFromEvent, toEngineSample, toSample, type EngineSample, type Sample } from '../lib/normalize';
import { getSettings, useSettings } from '../settings/store';

export const MAX_SAMPLES = 180; // 6 minutes at one sample every 2 s
export const ROOMS: Room[] = ['metrics', 'hardware', 'models', 'downloads', 'benchmarks'];
const POLL_MS = 2000;
const HARDWARE_EVENT_MS = 5000; // hardware_status period

export type MetricsSource = 'socket' | 'polling' | 'none';

export interface LiveValue {
  socket: LiveSocket;
  connection: ConnectionInfo;
  samples: Sample[]; // the machine
  engineSamples: EngineSample[]; // the engines
  engine: MetricsUpdate | null; // the latest metrics_update
  metricsSource: MetricsSource; // where `samples` come from
  metricsError: unknown; // why there are no samples (an ApiError, usually), when there are none
  thermal: ThermalWarning | null;
  dismissThermal: () => void;
}

const LiveContext = createContext<LiveValue | null>(null);

// Appends to a bounded, time-ordered series (a poll and an event may cross: older ones are dropped).
export function appendSample<T extends { t: number }>(samples: T[], s: T): T[] {
  if (samples.length && s.t <= samples[samples.length - 1].t) return samples;
  const next = samples.length >= MAX_SAMPLES ? samples.slice(samples.length - MAX_SAMPLES + 1) : samples.slice();
  next.push(s);
  return next;
}

function applyEventToCaches(qc: QueryClient, socket: LiveSocket): Array<() => void> {
  const models = () => invalidateModels(qc);
  return [
    socket.on('model_loaded', models),
    socket.on('model_unloaded', models),
    socket.on('models_update', models),
    socket.on('auto_load_complete', models),
    socket.on('auto_load_failed', models),
    socket.on('warmup_complete', models),
    socket.on('download_progress', (e) => {
      if (!e?.task_id) return;
      const patch = downloadFromEvent(e);
      const had = qc.getQueryData<DownloadList>(keys.downloads)?.downloads.some((d) => d.task_id === e.task_id);
      if (!had) return void qc.invalidateQueries({ queryKey: keys.downloads });
      qc.setQueryData<DownloadList>(keys.downloads, (old) =>
        old ? { ...old, downloads: old.downloads.map((d) => (d.task_id === e.task_id ? { ...d, ...patch } : d)) } : old,
      );
    }),
    socket.on('download_complete', () => {
      void qc.invalidateQueries({ queryKey: keys.downloads });
      models();
    }),
    socket.on('benchmark_complete', () => {
      void qc.invalidateQueries({ queryKey: keys.benchmarkHistoryAll });
      void qc.invalidateQueries({ queryKey: keys.comparison });
    }),
  ];
}

export function LiveProvider({ children, socket: given }: { children: ReactNode; socket?: LiveSocket }) {
  const qc = useQueryClient();
  const { apiKey } = useSettings();
  const socket = useMemo(
    () => given ?? new LiveSocket({ url: () => defaultSocketUrl(getSettings().apiKey) }),
    [given],
  );
  const [connection, setConnection] = useState<ConnectionInfo>(socket.connection);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [engineSamples, setEngineSamples] = useState<EngineSample[]>([]);
  const [engine, setEngine] = useState<MetricsUpdate | null>(null);
  const [source, setSource] = useState<MetricsSource>('none');
  const [metricsError, setMetricsError] = useState<unknown>(null);
  const [thermal, setThermal] = useState<ThermalWarning | null>(null);
  const lastHardwareEvent = useRef(0);

  useEffect(() => {
    const onMachine = (m: ServerEvents['hardware_status']) => {
      const s = toSample(m, Date.now() / 1000);
      setSamples((old) => appendSample(old, s));
      if (s.thermal === 'nominal' || s.thermal === 'fair') setThermal(null);
    };
    const offs = [
      socket.onState(setConnection),
      socket.on('hardware_status', (m) => {
        lastHardwareEvent.current = Date.now();
        setSource('socket');
        setMetricsError(null);
        onMachine(m);
      }),
      socket.on('metrics_update', (m) => {
        setEngine(m);
        setEngineSamples((old) => appendSample(old, toEngineSample(m, Date.now() / 1000)));
        // An older server sends the machine's figures here too.
        if (m.system) onMachine(m);
      }),
      socket.on('thermal_warning', (w) => {
        const level = w.level ?? w.state;
        setThermal(level === 'nominal' || level === 'fair' || level === 'normal' ? null : w);
      }),
      ...applyEventToCaches(qc, socket),
    ];
    for (const room of ROOMS) socket.subscribe(room);
    socket.connect();
    const wake = () => {
      if (document.visibilityState !== 'hidden') socket.retryNow();
    };
    document.addEventListener('visibilitychange', wake);
    window.addEventListener('online', wake);
    return () => {
      offs.forEach((off) => off());
      document.removeEventListener('visibilitychange', wake);
      window.removeEventListener('online', wake);
      socket.close();
    };
  }, [socket, qc]);

  // A new API key: reconnect so the socket presents it.
  const firstKey = useRef(apiKey);
  useEffect(() => {
    if (firstKey.current === apiKey) return;
    firstKey.current = apiKey;
    socket.close();
    socket.connect();
  }, [apiKey, socket]);

  usePollingFallback(setSamples, setSource, setMetricsError, lastHardwareEvent);

  const value = useMemo<LiveValue>(
    () => ({
      socket,
      connection,
      samples,
      engineSamples,
      engine,
      metricsSource: source,
      metricsError,
      thermal,
      dismissThermal: () => setThermal(null),
    }),
    [socket, connection, samples, engineSamples, engine, source, metricsError, thermal],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

// Polls /api/hardware/metrics while no hardware_status event has arrived
// recently; stops for good when the server does not have the route.
function usePollingFallback(
  setSamples: (f: (old: Sample[]) => Sample[]) => void,
  setSource: (s: MetricsSource) => void,
  setError: (e: unknown) => void,
  lastEventAt: { current: number },
) {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = () => Date.now() - lastEventAt.current > 2 * HARDWARE_EVENT_MS;
    const tick = async () => {
      if (stopped) return;
      if (quiet() && document.visibilityState !== 'hidden') {
        try {
          const m = await endpoints.hardwareMetrics();
          if (stopped) return;
          if (quiet()) {
            setSource('polling');
            setError(null);
            setSamples((old) => appendSample(old, toSample(m, Date.now() / 1000)));
          }
        } catch (e) {
          if (stopped) return;
          setError(e);
          if (e instanceof ApiError && e.unavailable) return; // nothing to poll on this server
        }
      }
      timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, 300);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [setSamples, setSource, setError, lastEventAt]);
}

export function useLive(): LiveValue {
  const v = useContext(LiveContext);
  if (!v) throw new Error('useLive() outside <LiveProvider>');
  return v;
}

// Calls fn for each event of `type` while the component is mounted.
export function useLiveEvent<T extends ServerEventType>(type: T, fn: (data: ServerEvents[T]) => void): void {
  const { socket } = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => socket.on(type, (d) => ref.current(d)), [socket, type]);
}
