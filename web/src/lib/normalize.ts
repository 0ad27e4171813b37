// Normalizers from the server's payloads to what the pages draw. The
// telemetry API and events are read defensively: a field may be absent (no
// GPU, an older server) or named as in the original Impetus API; each reader
// tries the known names and returns null when there is nothing.
import type {
  DownloadProgressEvent,
  DownloadTask,
  GpuSample,
  HardwareInfo,
  HardwareMetrics,
  InstalledModel,
  MetricsUpdate,
  ThermalInfo,
} from '../api/types';

// One reading of the machine (hardware_status, /api/hardware/metrics).
export interface Sample {
  t: number; // unix seconds
  cpu: number | null; // %
  memPct: number | null; // %
  memUsedGb: number | null; // GiB
  gpuUtil: number | null; // %
  gpuMemGb: number | null; // GiB
  gpuTemp: number | null; // degrees C
  thermal: string | null;
}

// One reading of the engines (metrics_update).
export interface EngineSample {
  t: number;
  tps: number | null; // generated tokens per second, all models
  promptTps: number | null;
  running: number | null;
  waiting: number | null;
}

const GIB = 1024 ** 3;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function first(...vs: unknown[]): number | null {
  for (const v of vs) {
    const n = num(v);
    if (n !== null) return n;
  }
  return null;
}

// The GPUs in a payload, as an array (the API may give one object, an array, or null).
export function gpuList(m: { gpu?: GpuSample | GpuSample[] | null; gpus?: GpuSample[] } | null | undefined): GpuSample[] {
  if (!m) return [];
  if (Array.isArray(m.gpus)) return m.gpus;
  if (Array.isArray(m.gpu)) return m.gpu;
  return m.gpu ? [m.gpu] : [];
}

export function gpuUtil(g: GpuSample): number | null {
  return first(g.utilization_percent, g.gpu_utilization_percent);
}

export function gpuMemUsedGb(g: GpuSample): number | null {
  const b = num(g.memory_used_bytes);
  return first(g.memory_used_gb, b !== null ? b / GIB : null);
}

export function gpuMemTotalGb(g: GpuSample): number | null {
  const b = num(g.memory_total_bytes);
  return first(g.memory_total_gb, b !== null ? b / GIB : null);
}

export function gpuTemp(g: GpuSample): number | null {
  return first(g.temperature_celsius, g.temperature_c);
}

export function thermalState(t: ThermalInfo | null | undefined): string | null {
  const s = t?.thermal_state ?? t?.state;
  return typeof s === 'string' && s ? s : null;
}

function toSeconds(ts: unknown, fallback: number): number {
  const t = num(ts);
  if (t === null || t <= 0) return fallback;
  return t > 1e12 ? t / 1000 : t;
}

export function toSample(m: HardwareMetrics | MetricsUpdate, nowSec: number): Sample {
  const hm = m as HardwareMetrics;
  const mu = m as MetricsUpdate;
  const perCore = hm.cpu?.usage_per_core;
  const avgCore = Array.isArray(perCore) && perCore.length ? perCore.reduce((a, b) => a + b, 0) / perCore.length : null;
  const mem = hm.memory;
  const bytes = (v: unknown) => (num(v) !== null ? (v as number) / GIB : null);
  const total = first(mem?.total_gb, bytes(mem?.total_bytes), mu.system?.memory_total_gb);
  const avail = first(mem?.available_gb, bytes(mem?.available_bytes), mu.system?.memory_available_gb);
  let used = first(mem?.used_gb, bytes(mem?.used_bytes), mu.system?.memory_used_gb);
  if (used === null && total !== null && avail !== null) used = total - avail;
  let memPct = first(mem?.percent, mu.system?.memory_percent);
  if (memPct === null && used !== null && total) memPct = (used / total) * 100;
  const gpus = gpuList(hm);
  const g = gpus.length ? gpus[0] : null;
  const thermal = thermalState(hm.thermal) ?? (typeof hm.thermal_state === 'string' ? hm.thermal_state : null);
  return {
    t: toSeconds(m.timestamp, nowSec),
    cpu: first(hm.cpu?.usage_percent, mu.system?.cpu_percent, avgCore),
    memPct,
    memUsedGb: used,
    gpuUtil: g ? gpuUtil(g) : null,
    gpuMemGb: g ? gpuMemUsedGb(g) : null,
    gpuTemp: g ? gpuTemp(g) : null,
    thermal,
  };
}

export function toEngineSample(m: MetricsUpdate, nowSec: number): EngineSample {
  const perModel = Array.isArray(m.models) ? m.models : [];
  const sum = (k: 'generation_tokens_per_second' | 'prompt_tokens_per_second' | 'requests_running' | 'requests_waiting') =>
    perModel.length ? perModel.reduce((a, x) => a + (num(x[k]) ?? 0), 0) : null;
  return {
    t: toSeconds(m.timestamp, nowSec),
    tps: first(m.totals?.generation_tokens_per_second, m.engine?.tokens_per_second, sum('generation_tokens_per_second')),
    promptTps: first(m.totals?.prompt_tokens_per_second, sum('prompt_tokens_per_second')),
    running: first(m.totals?.requests_running, sum('requests_running')),
    waiting: first(m.totals?.requests_waiting, sum('requests_waiting')),
  };
}

export interface MachineSummary {
  cpu: string | null;
  cores: string | null;
  isa: string | null;
  features: string[];
  memory: string | null;
  bandwidth: string | null;
  caches: string | null;
  gpus: { name: string; memory: string | null; detail: string | null }[];
  os: string | null;
}

function gib(bytes: number | null): string | null {
  return bytes === null ? null : `${(bytes / GIB).toFixed(1)} GiB`;
}

function cacheSize(bytes: unknown): string | null {
  const b = num(bytes);
  if (b === null || b <= 0) return null;
  return b >= 1024 * 1024 ? `${(b / (1024 * 1024)).toFixed(0)} MiB` : `${(b / 1024).toFixed(0)} KiB`;
}

function str(...vs: unknown[]): string | null {
  for (const v of vs) if (typeof v === 'string' && v.trim()) return v;
  return null;
}

export function machineSummary(info: HardwareInfo): MachineSummary {
  const cpu = info.cpu ?? {};
  const cpuName = str(cpu.brand, info.cpu_name, info.processor, info.cpu_model, info.chip_type);
  const phys = first(cpu.cores_physical, info.cpu_count_physical, info.physical_cores);
  const logical = first(cpu.cores_logical, info.cpu_count, info.logical_cpus, info.logical_cores);
  let cores: string | null = null;
  if (phys !== null && logical !== null) cores = `${phys} cores, ${logical} threads`;
  else if (phys !== null) cores = `${phys} cores`;
  else if (logical !== null) cores = `${logical} threads`;
  const memGiB = first(info.total_memory_gb, info.memory?.total_gb);
  const memBytes = first(info.memory?.total_bytes, info.memory_bytes, memGiB !== null ? memGiB * GIB : null);
  const bw = first(info.memory?.bandwidth?.read_gbps, info.max_memory_bandwidth_gbps, info.memory_bandwidth_gbps);
  const caches = [
    ['L1d', cacheSize(cpu.l1d_bytes ?? info.l1d_bytes)],
    ['L2', cacheSize(cpu.l2_bytes ?? info.l2_bytes)],
    ['L3', cacheSize(cpu.l3_bytes ?? info.l3_bytes)],
  ]
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
  const features = Array.isArray(cpu.features) ? cpu.features : Array.isArray(info.features) ? info.features : [];
  const arch = str(cpu.architecture, info.architecture);
  const os = [str(info.platform, info.os), str(info.platform_version)].filter(Boolean).join(' ');
  return {
    cpu: cpuName,
    cores,
    isa: str(info.isa) ?? arch,
    features: features.map(String),
    memory: gib(memBytes),
    bandwidth: bw !== null && bw > 0 ? `${bw.toFixed(1)} GB/s` : null,
    caches: caches || null,
    gpus: (Array.isArray(info.gpus) ? info.gpus : []).map((g) => {
      const mem = first(g.memory_total_bytes, num(g.memory_total_gb) !== null ? g.memory_total_gb! * GIB : null);
      const sms = first(g.sm_count, g.multiprocessors);
      const detail = [
        g.compute_capability ? `compute ${g.compute_capability}` : null,
        sms !== null ? `${sms} SMs` : null,
        str(g.driver_version, info.gpu_driver_version) ? `driver ${str(g.driver_version, info.gpu_driver_version)}` : null,
      ]
        .filter(Boolean)
        .join(', ');
      return { name: g.name || 'GPU', memory: gib(mem), detail: detail || null };
    }),
    os: os || null,
  };
}

// A model's state from the list API: "loaded", "loading", "available" (installed, not loaded), ...
export function modelState(m: InstalledModel): string {
  const st = m.state ?? m.status;
  if (typeof st === 'string' && st) return st;
  return m.loaded ? 'loaded' : 'available';
}

export function modelMemoryBytes(m: InstalledModel): number | null {
  const gb = num(m.memory_gb);
  return first(m.memory_bytes, gb !== null ? gb * 1e9 : null);
}

export function modelSizeBytes(m: InstalledModel): number | null {
  const gb = num(m.size_gb);
  return first(m.size_bytes, gb !== null ? gb * 1e9 : null);
}

// Download progress as a fraction 0..1 from the API's percentage.
export function progressFraction(percent: number | null | undefined): number {
  const v = num(percent);
  if (v === null || v < 0) return 0;
  return Math.min(1, v / 100);
}

// A download_progress event as DownloadTask fields (it may carry the REST
// fields, or byte counts and a byte rate as docs/events.md describes).
export function downloadFromEvent(e: DownloadProgressEvent): Partial<DownloadTask> & { task_id: string } {
  const out: Partial<DownloadTask> & { task_id: string } = { task_id: e.task_id };
  const model = e.model_id ?? e.model;
  if (model) out.model_id = model;
  if (e.status) out.status = e.status;
  const done = first(e.downloaded_gb, num(e.downloaded_bytes) !== null ? e.downloaded_bytes! / 1e9 : null);
  const total = first(e.total_gb, num(e.total_bytes) !== null ? e.total_bytes! / 1e9 : null);
  if (done !== null) out.downloaded_gb = done;
  if (total !== null) out.total_gb = total;
  const speed = first(e.speed_mbps, num(e.bytes_per_second) !== null ? e.bytes_per_second! / 1e6 : null);
  if (speed !== null) out.speed_mbps = speed;
  const eta = first(e.eta_seconds, e.eta_s);
  if (eta !== null) out.eta_seconds = eta;
  if (num(e.progress) !== null) out.progress = e.progress;
  else if (done !== null && total) out.progress = (100 * done) / total;
  if (!out.status && (done !== null || speed !== null)) out.status = 'downloading';
  if (e.error !== undefined) out.error = e.error;
  return out;
}
