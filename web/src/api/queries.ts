// React Query hooks over the endpoints, with their cache keys in one place so
// WebSocket events can refresh exactly what they change. A route the server
// lacks (404 "no route") is not retried.
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { ApiError } from './client';
import { endpoints } from './endpoints';

export const keys = {
  health: ['health'] as const,
  openaiModels: ['openaiModels'] as const,
  hardwareInfo: ['hardwareInfo'] as const,
  gpuMetrics: ['gpuMetrics'] as const,
  optimization: ['optimization'] as const,
  installedModels: ['installedModels'] as const,
  discover: (category: string, search: string) => ['discover', category, search] as const,
  discoverAll: ['discover'] as const,
  recommended: ['recommended'] as const,
  downloads: ['downloads'] as const,
  benchmarkHistory: (model: string) => ['benchmarkHistory', model] as const,
  benchmarkHistoryAll: ['benchmarkHistory'] as const,
  comparison: ['comparison'] as const,
  cacheStatus: ['cacheStatus'] as const,
  cacheSettings: ['cacheSettings'] as const,
};

export function retryUnlessFinal(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && (error.unavailable || error.unauthorized || error.status === 404 || error.status === 400)) {
    return false;
  }
  return failures < 2;
}

export const useHealth = () => useQuery({ queryKey: keys.health, queryFn: endpoints.health, refetchInterval: 10_000 });
export const useOpenAIModels = () =>
  useQuery({ queryKey: keys.openaiModels, queryFn: endpoints.openaiModels, refetchInterval: 15_000 });
export const useHardwareInfo = () =>
  useQuery({ queryKey: keys.hardwareInfo, queryFn: endpoints.hardwareInfo, staleTime: 60_000 });
export const useGpuMetrics = (enabled: boolean) =>
  useQuery({ queryKey: keys.gpuMetrics, queryFn: endpoints.gpuMetrics, enabled, refetchInterval: 5_000 });
export const useOptimization = () =>
  useQuery({ queryKey: keys.optimization, queryFn: endpoints.optimization, refetchInterval: 30_000 });
export const useInstalledModels = () =>
  useQuery({ queryKey: keys.installedModels, queryFn: endpoints.installedModels, refetchInterval: 15_000 });
export const useDiscover = (category: string, search: string) =>
  useQuery({ queryKey: keys.discover(category, search), queryFn: () => endpoints.discover(category, search) });
export const useRecommended = () => useQuery({ queryKey: keys.recommended, queryFn: endpoints.recommended });
export const useDownloads = (active: boolean) =>
  useQuery({ queryKey: keys.downloads, queryFn: endpoints.downloads, refetchInterval: active ? 2_000 : 15_000 });
export const useBenchmarkHistory = (model: string) =>
  useQuery({ queryKey: keys.benchmarkHistory(model), queryFn: () => endpoints.benchmarkHistory(model), enabled: !!model });
export const useComparison = () => useQuery({ queryKey: keys.comparison, queryFn: endpoints.benchmarkComparison });
export const useCacheStatus = () =>
  useQuery({ queryKey: keys.cacheStatus, queryFn: endpoints.cacheStatus, refetchInterval: 10_000 });
export const useCacheSettings = () => useQuery({ queryKey: keys.cacheSettings, queryFn: endpoints.cacheSettings });

// What changes when models load or unload.
export function invalidateModels(qc: QueryClient): void {
  void qc.invalidateQueries({ queryKey: keys.installedModels });
  void qc.invalidateQueries({ queryKey: keys.openaiModels });
  void qc.invalidateQueries({ queryKey: keys.health });
  void qc.invalidateQueries({ queryKey: keys.cacheSettings });
}
