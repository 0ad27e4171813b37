// One typed function per server endpoint the dashboard uses.
import { api, apiRaw, query } from './client';
import type {
  BenchmarkComparison,
  BenchmarkHistory,
  BenchmarkStarted,
  BenchmarkTaskStatus,
  CacheClearResponse,
  CacheSettingsList,
  CacheSettingsUpdate,
  CacheStatus,
  DiscoverResponse,
  DownloadList,
  DownloadRequest,
  DownloadStarted,
  GpuMetrics,
  HardwareInfo,
  HardwareMetrics,
  Health,
  InstalledModelList,
  LoadModelRequest,
  ModelActionResponse,
  OpenAIModelList,
  Optimization,
  PerformanceMode,
  PerformanceModeResponse,
  RecommendedResponse,
  WarmupResponse,
} from './types';

const enc = encodeURIComponent;

export const endpoints = {
  health: () => api<Health>('/api/health'),
  openaiModels: () => api<OpenAIModelList>('/v1/models'),

  hardwareInfo: () => api<HardwareInfo>('/api/hardware/info'),
  hardwareMetrics: () => api<HardwareMetrics>('/api/hardware/metrics'),
  gpuMetrics: () => api<GpuMetrics>('/api/hardware/gpu/metrics'),
  optimization: () => api<Optimization>('/api/hardware/optimization'),
  setPerformanceMode: (mode: PerformanceMode) =>
    api<PerformanceModeResponse>('/api/hardware/performance-mode', { method: 'POST', body: { mode } }),

  installedModels: () => api<InstalledModelList>('/api/models/list'),
  loadModel: (req: LoadModelRequest) => api<ModelActionResponse>('/api/models/load', { method: 'POST', body: req }),
  unloadModel: (model_id: string) =>
    api<ModelActionResponse>('/api/models/unload', { method: 'POST', body: { model_id } }),
  warmupModel: (model_id: string) => api<WarmupResponse>(`/api/models/warmup/${enc(model_id)}`, { method: 'POST', body: {} }),

  discover: (category?: string, search?: string) =>
    api<DiscoverResponse>(`/api/models/discover${query({ category, search })}`),
  recommended: () => api<RecommendedResponse>('/api/models/recommended'),

  startDownload: (req: DownloadRequest) => api<DownloadStarted>('/api/models/download', { method: 'POST', body: req }),
  downloads: () => api<DownloadList>('/api/models/downloads'),
  cancelDownload: (task_id: string) => api<unknown>(`/api/models/download/${enc(task_id)}`, { method: 'DELETE' }),

  startBenchmark: (model_id: string) =>
    api<BenchmarkStarted>(`/api/models/benchmark/${enc(model_id)}`, { method: 'POST', body: {} }),
  benchmarkTask: (task_id: string) => api<BenchmarkTaskStatus>(`/api/models/benchmark/task/${enc(task_id)}`),
  cancelBenchmark: (task_id: string) =>
    api<BenchmarkTaskStatus>(`/api/models/benchmark/task/${enc(task_id)}`, { method: 'DELETE' }),
  benchmarkHistory: (model_id: string) => api<BenchmarkHistory>(`/api/models/benchmark/${enc(model_id)}/history`),
  benchmarkComparison: () => api<BenchmarkComparison>('/api/models/benchmarks/comparison'),
  // The export as a Blob (fetched with the API key, then saved by the browser).
  benchmarkExport: async (format: 'csv' | 'json') =>
    (await apiRaw(`/api/models/benchmarks/export?format=${format}`, { headers: { Accept: '*/*' } })).blob(),

  cacheStatus: () => api<CacheStatus>('/api/models/cache/status'),
  cacheSettings: () => api<CacheSettingsList>('/api/models/cache/settings'),
  updateCacheSettings: (u: CacheSettingsUpdate) =>
    api<CacheSettingsList>('/api/models/cache/settings', { method: 'PUT', body: u }),
  clearCache: (model?: string) =>
    api<CacheClearResponse>('/api/models/cache/clear', { method: 'POST', body: model ? { model } : {} }),
};
