// Overview: the machine, the server, live charts (CPU, memory, GPU,
// tokens/s) fed by the WebSocket, the loaded models with their memory, and
// the server's optimization advice.
import { useMemo } from 'react';
import { ApiError } from '../api/client';
import { useHardwareInfo, useHealth, useInstalledModels, useOptimization } from '../api/queries';
import { ErrorNotice } from '../components/ErrorNotice';
import { TimeChart, type ChartSeries } from '../components/TimeChart';
import { Badge, Card, KeyValues, Loading } from '../components/ui';
import { formatBytes, formatDuration, formatGB, formatPercent, formatRate } from '../lib/format';
import { machineSummary, modelMemoryBytes, modelSizeBytes, modelState } from '../lib/normalize';
import { useLive } from '../live/LiveContext';

function MachineCard() {
  const { data, error, isLoading, refetch } = useHardwareInfo();
  const m = data ? machineSummary(data) : null;
  return (
    <Card title="Machine" labelId="machine-title" className="machine-card">
      {isLoading && <Loading what="hardware information" />}
      {error && <ErrorNotice error={error} what="hardware information" onRetry={() => void refetch()} />}
      {m && (
        <>
          <KeyValues
            items={[
              ['CPU', m.cpu],
              ['Cores', m.cores],
              ['Kernels', m.isa],
              ['Memory', m.memory],
              ['Bandwidth', m.bandwidth],
              ['Caches', m.caches],
              ['OS', m.os],
              ['GPUs', m.gpus.length ? null : 'none detected'],
            ]}
          />
          {m.gpus.length > 0 && (
            <ul className="gpu-list" aria-label="GPUs">
              {m.gpus.map((g, i) => (
                <li key={i}>
                  <strong>{g.name}</strong>
                  {g.memory && <> · {g.memory}</>}
                  {g.detail && <span className="muted"> · {g.detail}</span>}
                </li>
              ))}
            </ul>
          )}
          {m.features.length > 0 && (
            <p className="features" aria-label="CPU features">
              {m.features.map((f) => (
                <span key={f} className="chip">
                  {f}
                </span>
              ))}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

function ServerCard() {
  const { data, error } = useHealth();
  return (
    <Card title="Server" labelId="server-title">
      {error && <ErrorNotice error={error} what="the server status" />}
      {data && (
        <KeyValues
          items={[
            ['Status', <Badge key="s" state={data.status}>{data.status}</Badge>],
            ['Version', data.version],
            ['Uptime', formatDuration(data.uptime_s)],
            ['Models served', String(data.models_loaded.length)],
            ['Loading', data.models_loading ? String(data.models_loading) : null],
          ]}
        />
      )}
    </Card>
  );
}

function LoadedModels() {
  const installed = useInstalledModels();
  const health = useHealth();
  const { engine } = useLive();
  const fallback = installed.error instanceof ApiError && installed.error.unavailable;
  const loaded = (installed.data?.models ?? []).filter((m) => ['loaded', 'loading', 'unloading'].includes(modelState(m)));
  const live = (id: string) => engine?.models?.find((x) => x.model === id);
  const limits = installed.data?.limits;
  return (
    <Card title="Loaded models" labelId="loaded-title">
      {installed.isLoading && <Loading what="models" />}
      {installed.error && !fallback && <ErrorNotice error={installed.error} what="the model list" />}
      {installed.data && loaded.length === 0 && <p className="muted">No model is loaded. Load one on the Models page.</p>}
      {loaded.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">State</th>
              <th scope="col">Memory</th>
              <th scope="col">KV cache</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {loaded.map((m) => {
              const e = live(m.id);
              return (
                <tr key={m.id}>
                  <th scope="row">{m.name ?? m.id}</th>
                  <td><Badge state={modelState(m)} /></td>
                  <td>{formatBytes(modelMemoryBytes(m) ?? modelSizeBytes(m))}</td>
                  <td>{e?.kv_cache_memory_used_bytes != null ? formatBytes(e.kv_cache_memory_used_bytes) : '—'}</td>
                  <td className="small">
                    {e ? `${e.requests_running ?? 0} running · ${formatRate(e.generation_tokens_per_second ?? 0)}` : '—'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {limits?.memory_budget_bytes ? (
        <p className="muted small">
          {formatBytes(limits.memory_used_bytes ?? 0)} of a {formatBytes(limits.memory_budget_bytes)} budget
          {limits.max_loaded_models ? ` · at most ${limits.max_loaded_models} loaded` : ''}
        </p>
      ) : null}
      {fallback && health.data && (
        <ul className="plain-list" aria-label="Served models">
          {health.data.models_loaded.map((id) => (
            <li key={id}>
              {id} <Badge state="loaded" /> <span className="muted">(memory not reported by this server)</span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function LiveCharts() {
  const { samples, engineSamples, metricsSource, metricsError, connection } = useLive();
  const times = useMemo(() => samples.map((s) => s.t), [samples]);
  const engineTimes = useMemo(() => engineSamples.map((s) => s.t), [engineSamples]);
  const machine = useMemo(() => {
    const last = samples[samples.length - 1];
    const hasGpu = samples.some((s) => s.gpuUtil !== null || s.gpuMemGb !== null);
    const out: { title: string; series: ChartSeries[]; yMax?: number }[] = [
      { title: `CPU ${formatPercent(last?.cpu)}`, yMax: 100, series: [{ label: 'CPU', unit: '%', color: 'var(--chart-1)', values: samples.map((s) => s.cpu) }] },
      {
        title: `Memory ${formatPercent(last?.memPct)}${last?.memUsedGb != null ? ` · ${formatGB(last.memUsedGb)} used` : ''}`,
        yMax: 100,
        series: [{ label: 'Memory', unit: '%', color: 'var(--chart-2)', values: samples.map((s) => s.memPct) }],
      },
    ];
    if (hasGpu) {
      out.push({
        title: `GPU ${formatPercent(last?.gpuUtil)}${last?.gpuTemp != null ? ` · ${last.gpuTemp.toFixed(0)} °C` : ''}`,
        series: [
          { label: 'Utilisation', unit: '%', color: 'var(--chart-3)', values: samples.map((s) => s.gpuUtil) },
          { label: 'Memory', unit: ' GiB', color: 'var(--chart-4)', values: samples.map((s) => s.gpuMemGb) },
          { label: 'Temperature', unit: ' °C', color: 'var(--chart-5)', values: samples.map((s) => s.gpuTemp) },
        ],
      });
    }
    return out;
  }, [samples]);
  const tokens = useMemo(() => {
    const last = engineSamples[engineSamples.length - 1];
    return {
      title: `Generation ${formatRate(last?.tps ?? null)}${last?.running ? ` · ${last.running} running` : ''}`,
      series: [
        { label: 'Generated', unit: ' tok/s', color: 'var(--chart-6)', values: engineSamples.map((s) => s.tps) },
        { label: 'Prompt', unit: ' tok/s', color: 'var(--chart-4)', values: engineSamples.map((s) => s.promptTps) },
      ] as ChartSeries[],
    };
  }, [engineSamples]);

  const sourceText =
    metricsSource === 'socket'
      ? 'Live over the WebSocket.'
      : metricsSource === 'polling'
        ? `Polling /api/hardware/metrics every 2 s (the WebSocket ${connection.state === 'open' ? 'sends no hardware_status' : 'is not connected'}).`
        : metricsError != null
          ? 'No machine figures from this server.'
          : 'Waiting for metrics…';
  const showMachine = samples.length > 0 || metricsError == null;
  return (
    <Card title="Live metrics" labelId="live-title" className="wide">
      <p className="muted small" aria-live="polite" data-testid="metrics-source">
        {sourceText} {samples.length > 0 && <span data-testid="sample-count">{samples.length} samples</span>}
        {engineSamples.length > 0 && <span data-testid="engine-count"> · {engineSamples.length} engine updates</span>}
      </p>
      {samples.length === 0 && metricsError != null && <ErrorNotice error={metricsError} what="live metrics" />}
      <div className="chart-grid">
        {showMachine &&
          machine.map((c) => (
            <TimeChart key={c.title.split(' ')[0]} title={c.title} times={times} series={c.series} yMax={c.yMax} yMin={0} />
          ))}
        {(engineSamples.length > 0 || connection.state === 'open') && (
          <TimeChart key="tokens" title={tokens.title} times={engineTimes} series={tokens.series} yMin={0} />
        )}
      </div>
    </Card>
  );
}

function Recommendations() {
  const { data, error } = useOptimization();
  if (error instanceof ApiError && error.unavailable) return null;
  if (error) return <ErrorNotice error={error} what="optimization advice" />;
  if (!data) return null;
  const mode = data.current_performance_mode ?? data.performance_mode;
  return (
    <Card title="Advice" labelId="advice-title">
      {mode && <p>Performance mode: <strong>{mode}</strong></p>}
      {data.recommendations.length === 0 ? (
        <p className="muted">Nothing to change right now.</p>
      ) : (
        <ul className="plain-list">
          {data.recommendations.map((r, i) => (
            <li key={i}>
              <Badge state={r.severity === 'high' ? 'error' : r.severity === 'medium' ? 'busy' : 'idle'}>{r.severity}</Badge> {r.message}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function OverviewPage() {
  return (
    <div className="page">
      <h1>Overview</h1>
      <div className="grid">
        <MachineCard />
        <ServerCard />
        <LoadedModels />
        <Recommendations />
        <LiveCharts />
      </div>
    </div>
  );
}
