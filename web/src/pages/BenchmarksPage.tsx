// Benchmarks: start a run on a model (live progress from benchmark_progress
// events, and from polling the task while it runs), its history as charts,
// the comparison across models and machines, and exports as CSV or JSON.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { endpoints } from '../api/endpoints';
import { keys, useBenchmarkHistory, useComparison, useInstalledModels, useOpenAIModels } from '../api/queries';
import type { BenchmarkProgress, BenchmarkTaskStatus } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { TimeChart } from '../components/TimeChart';
import { Card, Loading, ProgressBar } from '../components/ui';
import {
  benchmarkFraction,
  comparisonRows,
  historyRuns,
  runGenTps,
  runHardware,
  runMemoryBytes,
  runPromptTps,
  runsByTime,
  runTime,
  runTtftMs,
  saveBlob,
} from '../lib/benchmarks';
import { formatBytes, formatMs, formatRate, formatTime } from '../lib/format';
import { modelState } from '../lib/normalize';
import { useLiveEvent } from '../live/LiveContext';

function useModelIds(): string[] {
  const installed = useInstalledModels();
  const served = useOpenAIModels();
  const ids = new Set([
    ...(served.data?.data.map((m) => m.id) ?? []),
    ...(installed.data?.models ?? []).filter((m) => modelState(m) === 'loaded').map((m) => m.id),
    ...(installed.data?.models ?? []).map((m) => m.id),
  ]);
  return [...ids];
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'complete', 'completed']);

function Runner({ model, setModel }: { model: string; setModel: (m: string) => void }) {
  const qc = useQueryClient();
  const ids = useModelIds();
  const [taskId, setTaskId] = useState<string | null>(null);
  const [progress, setProgress] = useState<BenchmarkProgress | null>(null);
  const [outcome, setOutcome] = useState<BenchmarkTaskStatus | null>(null);
  useEffect(() => {
    if (!model && ids.length) setModel(ids[0]);
  }, [model, ids, setModel]);

  const finish = (st: BenchmarkTaskStatus) => {
    setOutcome(st);
    setTaskId(null);
    setProgress(null);
    void qc.invalidateQueries({ queryKey: keys.benchmarkHistoryAll });
    void qc.invalidateQueries({ queryKey: keys.comparison });
  };
  const start = useMutation({
    mutationFn: () => endpoints.startBenchmark(model),
    onMutate: () => {
      setOutcome(null);
      setProgress({ phase: 'starting' });
    },
    onSuccess: (r) => setTaskId(r.task_id),
    onError: () => setProgress(null),
  });
  const cancel = useMutation({ mutationFn: () => endpoints.cancelBenchmark(taskId!) });
  // The task's state, polled while it runs (the events make it live; this makes it certain).
  const task = useQuery({
    queryKey: ['benchmarkTask', taskId],
    queryFn: () => endpoints.benchmarkTask(taskId!),
    enabled: !!taskId,
    refetchInterval: 1000,
  });
  useEffect(() => {
    const st = task.data;
    if (!st || st.task_id !== taskId) return;
    if (FINISHED.has(st.status)) finish(st);
    else if (st.progress) setProgress(st.progress);
  }, [task.data]);
  const ours = (e: { task_id?: string; run_id?: string }) => !!taskId && (e.task_id === taskId || e.run_id === taskId);
  useLiveEvent('benchmark_progress', (e) => {
    if (ours(e)) setProgress(e);
  });
  useLiveEvent('benchmark_complete', (e) => {
    if (ours(e)) void task.refetch();
  });

  const running = !!progress;
  const frac = benchmarkFraction(progress);
  const result = outcome?.result;
  return (
    <Card title="Run a benchmark" labelId="bench-run-title">
      <div className="toolbar">
        <label className="field">
          <span>Model</span>
          <select value={model} onChange={(e) => setModel(e.target.value)} aria-label="Model to benchmark">
            {ids.length === 0 && <option value="">(no model)</option>}
            {ids.map((id) => (
              <option key={id} value={id}>{id}</option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-primary" disabled={!model || start.isPending || running} onClick={() => start.mutate()}>
          {running ? 'Running…' : 'Start benchmark'}
        </button>
        {running && taskId && (
          <button type="button" className="btn" disabled={cancel.isPending} onClick={() => cancel.mutate()}>Cancel</button>
        )}
      </div>
      {running && (
        <div aria-live="polite" data-testid="bench-progress">
          <ProgressBar value={frac} label={`Benchmark progress ${Math.round(frac * 100)}%`} />
          <p className="muted small">
            {progress.phase ?? 'running'}
            {progress.n_steps ? ` · request ${progress.step ?? 0} of ${progress.n_steps}` : ''}
            {progress.generated_tokens_per_sec ? ` · ${formatRate(progress.generated_tokens_per_sec)}` : ''}
          </p>
        </div>
      )}
      {outcome && (
        <p role="status" data-testid="bench-outcome">
          {outcome.status === 'succeeded' ? 'Benchmark complete' : `Benchmark ${outcome.status}`}
          {outcome.error ? `: ${outcome.error}` : ''}
          {result ? ` · ${formatRate(runGenTps(result))} generated · ${formatRate(runPromptTps(result))} prompt · first token ${formatMs(runTtftMs(result))}` : ''}
          {outcome.save_error ? ` (not saved: ${outcome.save_error})` : ''}
        </p>
      )}
      {start.error && <ErrorNotice error={start.error} what="the benchmark" />}
      {task.error && <ErrorNotice error={task.error} what="the benchmark task" />}
      {cancel.error && <ErrorNotice error={cancel.error} what="the cancellation" />}
    </Card>
  );
}

function History({ model }: { model: string }) {
  const { data, error, isLoading } = useBenchmarkHistory(model);
  const runs = useMemo(() => runsByTime(historyRuns(data)), [data]);
  const times = runs.map((r) => r.t);
  const tpsSeries = useMemo(
    () => [
      { label: 'Generation', unit: ' tok/s', color: 'var(--chart-1)', values: runs.map((r) => runGenTps(r.run)) },
      { label: 'Prompt', unit: ' tok/s', color: 'var(--chart-2)', values: runs.map((r) => runPromptTps(r.run)) },
    ],
    [runs],
  );
  const ttftSeries = useMemo(() => [{ label: 'TTFT', unit: ' ms', color: 'var(--chart-5)', values: runs.map((r) => runTtftMs(r.run)) }], [runs]);
  return (
    <Card title={`History${model ? `: ${model}` : ''}`} labelId="bench-history-title" className="wide">
      {!model && <p className="muted">Pick a model.</p>}
      {isLoading && model && <Loading what="history" />}
      {error && <ErrorNotice error={error} what="the benchmark history" />}
      {data && runs.length === 0 && <p className="muted">No runs yet for this model.</p>}
      {runs.length > 0 && (
        <>
          <div className="chart-grid" data-testid="bench-charts">
            <TimeChart title="Tokens per second" times={times} series={tpsSeries} yMin={0} points />
            <TimeChart title="Time to first token" times={times} series={ttftSeries} yMin={0} formatValue={(v) => v.toFixed(0)} points />
          </div>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Hardware</th>
                <th scope="col">Generation</th>
                <th scope="col">Prompt</th>
                <th scope="col">TTFT</th>
                <th scope="col">Memory</th>
              </tr>
            </thead>
            <tbody>
              {[...runs].reverse().map(({ run }, i) => (
                <tr key={String(run.id ?? i)}>
                  <td>{formatTime(runTime(run))}</td>
                  <td className="small">{runHardware(run)}</td>
                  <td>{formatRate(runGenTps(run))}</td>
                  <td>{formatRate(runPromptTps(run))}</td>
                  <td>{formatMs(runTtftMs(run))}</td>
                  <td>{formatBytes(runMemoryBytes(run))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}

function Comparison() {
  const { data, error, isLoading } = useComparison();
  const rows = useMemo(() => (data ? comparisonRows(data) : []), [data]);
  const max = Math.max(1, ...rows.map((r) => r.tps ?? 0));
  const [exportError, setExportError] = useState<unknown>(null);
  const doExport = async (format: 'csv' | 'json') => {
    setExportError(null);
    try {
      saveBlob(await endpoints.benchmarkExport(format), `impetus-benchmarks.${format}`);
    } catch (e) {
      setExportError(e);
    }
  };
  return (
    <Card
      title="Comparison"
      labelId="bench-cmp-title"
      className="wide"
      actions={
        <>
          <button type="button" className="btn btn-small" onClick={() => void doExport('csv')}>Export CSV</button>
          <button type="button" className="btn btn-small" onClick={() => void doExport('json')}>Export JSON</button>
        </>
      }
    >
      {exportError != null && <ErrorNotice error={exportError} what="the export" />}
      {isLoading && <Loading what="comparison" />}
      {error && <ErrorNotice error={error} what="the comparison" />}
      {data && rows.length === 0 && <p className="muted">No benchmark results yet.</p>}
      {rows.length > 0 && (
        <table className="table" data-testid="comparison">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Hardware</th>
              <th scope="col">Generation</th>
              <th scope="col">TTFT</th>
              <th scope="col">Peak memory</th>
              <th scope="col">Runs</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.model}|${r.fingerprint ?? r.hardware}|${r.quantization ?? ''}`}>
                <th scope="row">{r.model}{r.quantization ? <span className="muted"> · {r.quantization}</span> : null}</th>
                <td className="small" title={r.fingerprint ?? undefined}>{r.hardware}</td>
                <td>
                  <div className="bar" aria-hidden="true"><div style={{ width: `${((r.tps ?? 0) / max) * 100}%` }} /></div>
                  {formatRate(r.tps)}
                </td>
                <td>{formatMs(r.ttftMs)}</td>
                <td>{formatBytes(r.memoryBytes)}</td>
                <td>{r.runs ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export default function BenchmarksPage() {
  const [model, setModel] = useState('');
  return (
    <div className="page">
      <h1>Benchmarks</h1>
      <div className="grid">
        <Runner model={model} setModel={setModel} />
        <History model={model} />
        <Comparison />
      </div>
    </div>
  );
}
