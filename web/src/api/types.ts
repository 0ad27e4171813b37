// Every request, response and WebSocket event the dashboard exchanges with
// `impetus serve`, in one place. Field names follow the server (snake_case).
// Fields the server may leave out, or that older/newer servers name
// differently, are optional: the pages read them through the normalizers in
// lib/ and show what is there.

// ---------------------------------------------------------------- errors

// The OpenAI error body every Impetus route uses; older handlers may answer
// {"error": "...", "message": "..."} instead, which is accepted too.
export interface ApiErrorBody {
  error?: { message?: string; type?: string; param?: string | null; code?: string | null } | string;
  message?: string;
}

// ---------------------------------------------------------------- health

export interface Health {
  status: 'healthy' | 'loading' | string;
  version: string;
  uptime_s: number;
  models_loaded: string[];
  models_loading: number;
}

// ---------------------------------------------------------------- OpenAI API

export interface OpenAIModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface OpenAIModelList {
  object: 'list';
  data: OpenAIModel[];
}

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessageParam {
  role: ChatRole;
  content: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessageParam[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  conversation_id?: string; // Impetus: pins the conversation's KV blocks in the prefix cache
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: ChatRole; content?: string | null };
    finish_reason: string | null;
  }[];
  usage?: Usage | null;
}

// ---------------------------------------------------------------- prefix cache

export interface CacheStatus {
  enabled: boolean;
  block_size: number;
  blocks_total: number;
  blocks_used: number;
  blocks_cached: number;
  memory_used_bytes: number;
  memory_max_bytes: number;
  hit_rate: number;
  prompt_tokens_computed: number;
  prompt_tokens_reused: number;
  entries: { model: string; conversation_id: string; tokens: number; memory_bytes: number; age_seconds: number }[];
  models: {
    model: string;
    enabled: boolean;
    blocks_used: number;
    blocks_cached: number;
    prompt_tokens_computed: number;
    prompt_tokens_reused: number;
  }[];
}

export interface CacheSettings {
  model: string;
  enabled: boolean;
  memory_budget_bytes: number;
  max_pinned_conversations: number;
}

export interface CacheSettingsList {
  settings: CacheSettings[];
}

export interface CacheSettingsUpdate {
  model?: string;
  enabled?: boolean;
  memory_budget_bytes?: number;
  max_pinned_conversations?: number;
}

export interface CacheClearResponse {
  cleared: boolean;
  scope: 'all' | 'model' | 'conversation';
}

// ---------------------------------------------------------------- hardware

// GET /api/hardware/info: the original API's flat fields plus structured ones.
export interface GpuInfo {
  index?: number;
  name: string;
  uuid?: string;
  memory_total_bytes?: number;
  memory_total_gb?: number;
  sm_count?: number;
  multiprocessors?: number;
  cuda_cores?: number;
  compute_capability?: string;
  power_limit_watts?: number;
  driver_version?: string;
}

export interface CpuInfo {
  brand?: string;
  vendor?: string;
  architecture?: string;
  cores_physical?: number;
  cores_logical?: number;
  cores_usable?: number;
  frequency_mhz?: number;
  frequency_max_mhz?: number;
  features?: string[];
  l1d_bytes?: number;
  l2_bytes?: number;
  l3_bytes?: number;
}

export interface HardwareInfo {
  platform?: string;
  platform_version?: string;
  architecture?: string;
  processor?: string;
  cpu_name?: string;
  chip_type?: string;
  cpu_count?: number;
  cpu_count_physical?: number;
  max_memory_bandwidth_gbps?: number;
  total_memory_gb?: number; // GiB
  available_memory_gb?: number;
  cpu?: CpuInfo;
  memory?: {
    total_gb?: number;
    total_bytes?: number;
    available_gb?: number;
    available_bytes?: number;
    bandwidth?: { read_gbps?: number; copy_gbps?: number; n_threads?: number; measured_at?: string | number; from_cache?: boolean } | null;
  };
  gpus?: GpuInfo[];
  gpu_driver_version?: string;
  hostname?: string;
  fingerprint?: string;
  thermal_state?: string;
  // Older or other servers.
  cpu_model?: string;
  physical_cores?: number;
  logical_cpus?: number;
  isa?: string;
  features?: string[];
  memory_bytes?: number;
  l1d_bytes?: number;
  l2_bytes?: number;
  l3_bytes?: number;
  memory_bandwidth_gbps?: number;
  os?: string;
  [key: string]: unknown;
}

export type ThermalState = 'nominal' | 'fair' | 'serious' | 'critical';

export interface ThermalInfo {
  thermal_state?: ThermalState | string;
  state?: ThermalState | string;
  cpu_temperature_c?: number;
  temperature_celsius?: number;
  throttling?: boolean;
}

export interface GpuSample {
  index?: number;
  name?: string;
  memory_utilization_percent?: number;
  frequency_mhz?: number;
  throttle_reasons?: string[];
  utilization_percent?: number;
  gpu_utilization_percent?: number;
  memory_used_gb?: number;
  memory_total_gb?: number;
  memory_used_bytes?: number;
  memory_total_bytes?: number;
  temperature_celsius?: number;
  temperature_c?: number;
  power_watts?: number;
}

export interface MemorySample {
  total_gb?: number; // GiB
  used_gb?: number;
  available_gb?: number;
  percent?: number;
  total_bytes?: number;
  used_bytes?: number;
  available_bytes?: number;
  swap_used_gb?: number;
  swap_percent?: number;
}

// GET /api/hardware/metrics (and, in the WebSocket, hardware_status: the same or a subset)
export interface HardwareMetrics {
  timestamp?: number; // unix seconds
  cpu?: {
    usage_percent?: number;
    usage_per_core?: number[];
    frequency_mhz?: number;
    temperature_celsius?: number | null;
    load_average?: number[] | number;
    cores?: number;
  };
  memory?: MemorySample;
  gpu?: GpuSample | GpuSample[] | null;
  gpus?: GpuSample[];
  thermal?: ThermalInfo;
  thermal_state?: string;
  process?: { memory_mb?: number; rss_bytes?: number; threads?: number; open_files?: number; cpu_percent?: number };
  [key: string]: unknown;
}

// GET /api/hardware/gpu/metrics
export interface GpuMetrics {
  current?: GpuSample | GpuSample[] | null;
  average_1min?: GpuSample | GpuSample[] | null;
  peak?: GpuSample | GpuSample[] | null;
  gpus?: GpuSample[];
  available?: boolean;
  [key: string]: unknown;
}

export type PerformanceMode = 'efficiency' | 'balanced' | 'performance';

export interface Recommendation {
  type: string;
  severity: 'info' | 'low' | 'medium' | 'high' | string;
  message: string;
  action?: string;
}

// GET /api/hardware/optimization
export interface Optimization {
  current_performance_mode?: PerformanceMode | null;
  performance_mode?: PerformanceMode;
  chip_type?: string;
  recommendations: Recommendation[];
  settings?: Record<string, number>;
  models?: { id: string; weights_gb?: number; kv_cache_gb?: number; on_gpu?: boolean; decode_tokens_per_s_bound?: number }[];
  hardware_capabilities?: Record<string, unknown>;
  [key: string]: unknown;
}

// POST /api/hardware/performance-mode
export interface PerformanceModeRequest {
  mode: PerformanceMode;
}

export interface SettingChange {
  setting: string;
  before: number | string;
  after: number | string;
}

export interface PerformanceModeResponse {
  mode: PerformanceMode;
  settings?: Record<string, number | string>; // every setting the mode controls, now
  changed?: SettingChange[]; // what this call changed
  changes?: Record<string, unknown>; // (older servers)
  [key: string]: unknown;
}

// ---------------------------------------------------------------- installed models

// "available" = installed, not loaded.
export type ModelState = 'loaded' | 'loading' | 'available' | 'unloaded' | 'unloading' | 'error' | string;

export interface InstalledModel {
  id: string;
  model_id?: string;
  name?: string;
  path?: string;
  size_bytes?: number;
  size_gb?: number; // 1e9 bytes
  quantization?: string;
  status?: ModelState;
  state?: ModelState;
  loaded?: boolean;
  memory_bytes?: number;
  memory_gb?: number; // 1e9 bytes
  use_mmap?: boolean;
  warmed_up?: boolean;
  loaded_at?: string | number | null;
  last_used?: string | number | null;
  warmup?: { is_warmed?: boolean; warmup_time_ms?: number | null; status?: string };
  error?: string | null;
}

export interface ModelLimits {
  memory_budget_bytes?: number; // 0 = no budget
  memory_used_bytes?: number;
  max_loaded_models?: number;
  evict_lru?: boolean;
  models_dir?: string;
}

export interface InstalledModelList {
  models: InstalledModel[];
  loaded_count?: number;
  limits?: ModelLimits;
  models_directory?: string;
}

export interface LoadModelRequest {
  model_id: string;
  auto_warmup?: boolean;
  use_mmap?: boolean;
}

export interface ModelActionResponse {
  status: string;
  model_id: string;
  message?: string;
  memory_used_gb?: number;
  [key: string]: unknown;
}

export interface WarmupResponse {
  status: string;
  model_id: string;
  warmup_time_ms?: number | null;
  first_token_ms?: number | null;
  error?: string | null;
}

// ---------------------------------------------------------------- catalog

export type ModelCategory = 'general' | 'coding' | 'chat' | 'efficient' | 'specialized';

export const MODEL_CATEGORIES: ModelCategory[] = ['general', 'coding', 'chat', 'efficient', 'specialized'];

export interface CatalogModel {
  id: string;
  name: string;
  category: ModelCategory | string;
  size_gb: number;
  quantization: string;
  context_length?: number;
  description?: string;
  features?: string[];
  recommended_for?: string[];
  min_memory_gb?: number;
  popularity_score?: number;
  estimated_tokens_per_sec?: number | null;
  estimate?: { device?: string; basis?: string; fits_in_memory?: boolean };
  repo?: string;
  file?: string;
  size_bytes?: number;
  parameters?: string;
  architecture?: string;
  license?: string;
  files?: { quantization: string; file: string; size_bytes: number; size_gb: number; size_source?: string }[];
  installed?: boolean;
  reason?: string;
}

// The hardware the estimates were computed for.
export interface CatalogHardware {
  memory_bandwidth_gbps?: number;
  total_memory_gb?: number;
  available_memory_gb?: number;
  gpus?: { name: string; memory_gb?: number; memory_bandwidth_gbps?: number }[];
  [key: string]: unknown;
}

// GET /api/models/discover
export interface DiscoverResponse {
  models: CatalogModel[];
  count?: number;
  total?: number;
  hardware?: CatalogHardware | string;
}

// GET /api/models/recommended
export interface RecommendedResponse {
  use_case?: string | null;
  models?: CatalogModel[];
  recommendations?: CatalogModel[]; // (the original API)
  count?: number;
  hardware?: CatalogHardware | string;
}

// ---------------------------------------------------------------- downloads

export type DownloadStatus = 'pending' | 'queued' | 'downloading' | 'verifying' | 'completed' | 'failed' | 'cancelled' | string;

export interface DownloadTask {
  task_id: string;
  model_id: string;
  status: DownloadStatus;
  progress: number; // percent, 0..100
  downloaded_gb?: number;
  total_gb?: number;
  speed_mbps?: number;
  eta_seconds?: number | null;
  error?: string | null;
  started_at?: string | number | null;
  completed_at?: string | number | null;
}

export interface DownloadRequest {
  model_id: string;
  quantization?: string;
  auto_load?: boolean;
}

// POST /api/models/download answers with the new task.
export type DownloadStarted = DownloadTask;

export interface DownloadList {
  downloads: DownloadTask[];
  total?: number;
}

// ---------------------------------------------------------------- benchmarks

// POST /api/models/benchmark/{model_id} (202)
export interface BenchmarkStarted {
  task_id: string;
  status: string; // "running"
  model_id: string;
  status_url?: string; // GET it for the task's state
}

export interface BenchmarkProgress {
  task_id?: string;
  model_id?: string;
  phase?: string; // "starting", "warmup", "measuring", "done"
  step?: number; // requests finished
  n_steps?: number;
  prompt_tokens?: number;
  ttft_ms?: number | null;
  prompt_tokens_per_sec?: number | null;
  generated_tokens_per_sec?: number | null;
}

// GET /api/models/benchmark/task/{task_id}
export interface BenchmarkTaskStatus {
  task_id: string;
  model_id: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | string;
  progress?: BenchmarkProgress;
  created_at?: string;
  finished_at?: string | null;
  error?: string | null;
  result?: BenchmarkRun | null;
  saved?: boolean;
  save_error?: string | null;
}

export interface BenchmarkRun {
  id?: number | string;
  model_id?: string;
  quantization?: string;
  hardware_fingerprint?: string;
  hardware?: Record<string, unknown> | string;
  started_at?: string;
  started_at_ms?: number;
  finished_at?: string;
  source?: 'api' | 'cli' | string;
  ttft_ms_avg?: number | null;
  ttft_ms_p50?: number | null;
  prompt_tokens_per_sec?: number;
  generated_tokens_per_sec?: number;
  peak_memory_bytes?: number;
  gpu_utilization_avg?: number | null;
  // The original API's names.
  timestamp?: string | number;
  chip_type?: string;
  average_tokens_per_second?: number;
  average_first_token_latency_ms?: number;
  [key: string]: unknown;
}

// GET /api/models/benchmark/{model_id}/history
export interface BenchmarkHistory {
  model_id: string;
  runs?: BenchmarkRun[];
  history?: BenchmarkRun[]; // (the original API)
}

// One row of GET /api/models/benchmarks/comparison: a model on one machine.
export interface ComparisonRowJson {
  model_id: string;
  hardware_fingerprint?: string;
  hardware?: Record<string, unknown> | string;
  quantization?: string;
  run_count?: number;
  avg_ttft_ms?: number | null;
  avg_prompt_tokens_per_sec?: number;
  avg_generated_tokens_per_sec?: number;
  best_prompt_tokens_per_sec?: number;
  best_generated_tokens_per_sec?: number;
  peak_memory_bytes?: number;
  avg_gpu_utilization?: number | null;
  first_run_at?: string;
  last_run_at?: string;
}

export interface ComparisonEntry {
  average_tokens_per_second?: number;
  average_first_token_latency_ms?: number;
  average_memory_gb?: number;
  latest_run?: string | number;
  total_runs?: number;
  [key: string]: unknown;
}

export interface BenchmarkComparison {
  comparison?: ComparisonRowJson[];
  // The original API: per model, per chip.
  models?: { model_id: string; chips?: Record<string, ComparisonEntry>; hardware?: Record<string, ComparisonEntry> }[];
}

// ---------------------------------------------------------------- WebSocket

export type Room = 'metrics' | 'hardware' | 'models' | 'downloads' | 'benchmarks' | 'logs';

export interface ClientMessage {
  type: 'subscribe' | 'unsubscribe' | 'ping';
  data?: { room?: Room; task_id?: string };
}

// metrics_update (every 2 s, room "metrics"): the engines' figures.
export interface EngineModelMetrics {
  model: string;
  requests_running?: number;
  requests_waiting?: number;
  requests_total?: number;
  prompt_tokens_total?: number;
  prompt_tokens_reused_total?: number;
  generated_tokens_total?: number;
  generation_tokens_per_second?: number;
  prompt_tokens_per_second?: number;
  kv_blocks_total?: number;
  kv_blocks_used?: number;
  kv_cache_memory_used_bytes?: number;
  prefix_cache_hit_rate?: number;
}

export interface MetricsUpdate {
  models?: EngineModelMetrics[];
  models_loading?: number;
  totals?: {
    requests_running?: number;
    requests_waiting?: number;
    generation_tokens_per_second?: number;
    prompt_tokens_per_second?: number;
  };
  // Older servers put system figures here too.
  timestamp?: number;
  system?: { cpu_percent?: number; memory_percent?: number; memory_used_gb?: number; memory_total_gb?: number; memory_available_gb?: number };
  engine?: { tokens_per_second?: number };
  [key: string]: unknown;
}

// thermal_warning (room "hardware")
export interface ThermalWarning {
  device?: string; // "cpu", "gpu0"
  temperature_celsius?: number;
  threshold_celsius?: number;
  level?: 'warning' | 'critical' | string;
  state?: ThermalState | string; // (the original API: the thermal state)
  message?: string;
}

export interface ModelEvent {
  model_id?: string;
  model?: string;
  reason?: string;
  memory_bytes?: number;
  load_time_ms?: number;
  error?: string;
}

// download_progress: the REST task fields, or the event's own byte counts (docs/events.md).
export interface DownloadProgressEvent extends Partial<DownloadTask> {
  task_id: string;
  model?: string;
  file?: string;
  downloaded_bytes?: number;
  total_bytes?: number | null;
  bytes_per_second?: number;
  eta_s?: number | null;
}

export interface DownloadCompleteEvent {
  task_id: string;
  model_id?: string;
  model?: string;
  status?: 'complete' | 'completed' | 'failed' | 'cancelled' | string;
  path?: string | null;
  error?: string | null;
}

export interface BenchmarkProgressEvent extends BenchmarkProgress {
  run_id?: string;
  model?: string;
  completed?: number;
  total?: number;
}

export interface BenchmarkCompleteEvent {
  task_id?: string;
  run_id?: string;
  model_id?: string;
  model?: string;
  status?: string;
  error?: string | null;
  results?: unknown;
  result?: BenchmarkRun | null;
}

export interface GenerationEvent {
  model: string;
  request_id?: string;
  response_id?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  ttft_ms?: number | null;
  cached_tokens?: number;
  duration_ms?: number;
  tokens_per_second?: number | null;
  finish_reason?: string;
}

// Server -> client events, keyed by "type" (docs/events.md, schema version 1).
export interface ServerEvents {
  hello: { schema_version?: number; rooms?: string[]; task_rooms?: string[]; request_id?: string };
  subscribed: { room: string };
  unsubscribed: { room: string };
  error: { code?: string; message: string; room?: string };
  pong: unknown;
  metrics_update: MetricsUpdate;
  generation_started: GenerationEvent;
  generation_complete: GenerationEvent;
  hardware_status: HardwareMetrics;
  thermal_warning: ThermalWarning;
  models_update: { models?: { id: string; status?: string; memory_bytes?: number }[]; loaded_models?: string[] };
  model_loaded: ModelEvent;
  model_unloaded: ModelEvent;
  auto_load_started: ModelEvent;
  auto_load_complete: ModelEvent;
  auto_load_failed: ModelEvent;
  warmup_complete: ModelEvent & { warmup_time_ms?: number; warmup_ms?: number; status?: string };
  download_progress: DownloadProgressEvent;
  download_complete: DownloadCompleteEvent;
  benchmark_progress: BenchmarkProgressEvent;
  benchmark_complete: BenchmarkCompleteEvent;
  log: { level?: string; msg?: string; message?: string; ts?: number; request_id?: string };
}

export type ServerEventType = keyof ServerEvents;

// The envelope of every server message.
export interface ServerMessage<T extends ServerEventType = ServerEventType> {
  type: T;
  data: ServerEvents[T];
  room?: string;
  ts?: number; // unix ms
  schema_version?: number;
}
