// Readers for benchmark runs, tasks and comparison rows: the fields of the
// SQLite-backed API, with the original Impetus API's names as a fallback.
import type { BenchmarkComparison, BenchmarkHistory, BenchmarkProgress, BenchmarkRun } from '../api/types';
import { toDate } from './format';

function num(...vs: unknown[]): number | null {
  for (const v of vs) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return null;
}

export const runGenTps = (r: BenchmarkRun) => num(r.generated_tokens_per_sec, r.generation_tokens_per_sec, r.average_tokens_per_second);
export const runPromptTps = (r: BenchmarkRun) => num(r.prompt_tokens_per_sec);
export const runTtftMs = (r: BenchmarkRun) => num(r.ttft_ms_avg, r.ttft_ms, r.average_first_token_latency_ms);
export const runMemoryBytes = (r: BenchmarkRun) => {
  const gb = num(r.peak_memory_gb);
  return num(r.peak_memory_bytes, gb !== null ? gb * 1e9 : null);
};
export const runTime = (r: BenchmarkRun) => r.started_at_ms ?? r.started_at ?? r.timestamp ?? null;

// A short name for the machine a run was measured on: its CPU (and GPUs), else the fingerprint.
export function hardwareLabel(hw: unknown, fingerprint?: string | null): string {
  if (typeof hw === 'string' && hw.trim()) return hw;
  if (hw && typeof hw === 'object') {
    const o = hw as Record<string, unknown>;
    const cpuObj = o.cpu && typeof o.cpu === 'object' ? (o.cpu as Record<string, unknown>) : null;
    const cpu = [o.cpu_name, o.processor, o.cpu_model, o.chip_type, cpuObj?.brand, typeof o.cpu === 'string' ? o.cpu : null].find(
      (x) => typeof x === 'string' && x,
    ) as string | undefined;
    const gpus = Array.isArray(o.gpus) ? (o.gpus as { name?: string }[]).map((g) => g?.name).filter(Boolean) : [];
    const label = [cpu, ...gpus].filter(Boolean).join(' + ');
    if (label) return label;
  }
  return fingerprint ? `machine ${fingerprint.slice(0, 8)}` : 'unknown machine';
}

export const runHardware = (r: BenchmarkRun) => hardwareLabel(r.hardware ?? r.chip_type, r.hardware_fingerprint);

export function historyRuns(h: BenchmarkHistory | undefined): BenchmarkRun[] {
  return h?.runs ?? h?.history ?? [];
}

// Runs in time order with their time in unix seconds (runs without a readable time are dropped).
export function runsByTime(history: BenchmarkRun[]): { t: number; run: BenchmarkRun }[] {
  return history
    .map((run) => ({ t: (toDate(runTime(run))?.getTime() ?? NaN) / 1000, run }))
    .filter((x) => Number.isFinite(x.t))
    .sort((a, b) => a.t - b.t);
}

// A task's progress as a fraction 0..1.
export function benchmarkFraction(p: (BenchmarkProgress & { completed?: number; total?: number }) | null | undefined): number {
  if (!p) return 0;
  const done = num(p.step, p.completed);
  const total = num(p.n_steps, p.total);
  if (done === null || !total) return p.phase === 'done' ? 1 : 0;
  return Math.min(1, Math.max(0, done / total));
}

export interface ComparisonRow {
  model: string;
  hardware: string;
  fingerprint: string | null;
  quantization: string | null;
  tps: number | null;
  bestTps: number | null;
  promptTps: number | null;
  ttftMs: number | null;
  memoryBytes: number | null;
  runs: number | null;
  latest: string | number | null;
}

export function comparisonRows(c: BenchmarkComparison): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const r of c.comparison ?? []) {
    rows.push({
      model: r.model_id,
      hardware: hardwareLabel(r.hardware, r.hardware_fingerprint),
      fingerprint: r.hardware_fingerprint ?? null,
      quantization: r.quantization || null,
      tps: num(r.avg_generated_tokens_per_sec),
      bestTps: num(r.best_generated_tokens_per_sec),
      promptTps: num(r.avg_prompt_tokens_per_sec),
      ttftMs: num(r.avg_ttft_ms),
      memoryBytes: num(r.peak_memory_bytes),
      runs: num(r.run_count),
      latest: r.last_run_at ?? null,
    });
  }
  for (const m of c.models ?? []) {
    for (const [hw, e] of Object.entries(m.hardware ?? m.chips ?? {})) {
      const gb = num(e.average_memory_gb);
      rows.push({
        model: m.model_id,
        hardware: hw,
        fingerprint: null,
        quantization: null,
        tps: num(e.average_tokens_per_second),
        bestTps: num(e.peak_tokens_per_second),
        promptTps: null,
        ttftMs: num(e.average_first_token_latency_ms),
        memoryBytes: gb !== null ? gb * 1e9 : null,
        runs: num(e.total_runs),
        latest: (e.latest_run as string | number | undefined) ?? null,
      });
    }
  }
  return rows.sort((a, b) => (b.tps ?? 0) - (a.tps ?? 0));
}

// Saves a Blob as a file through a temporary link.
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
