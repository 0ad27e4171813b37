import { describe, expect, it } from 'vitest';
import { downloadFromEvent, machineSummary, modelMemoryBytes, modelState, progressFraction, toEngineSample, toSample } from './normalize';

const GiB = 1024 ** 3;

describe('toSample', () => {
  it('reads GET /api/hardware/metrics', () => {
    const s = toSample(
      {
        timestamp: 1700000000.5,
        cpu: { usage_percent: 42.5, usage_per_core: [40, 45] },
        memory: { total_gb: 16, used_gb: 4, available_gb: 12, percent: 25 },
        gpu: { utilization_percent: 80, memory_used_gb: 3.5, temperature_celsius: 65 },
        gpus: [{ index: 0, utilization_percent: 80, memory_used_gb: 3.5, temperature_celsius: 65 }],
        thermal: { thermal_state: 'fair' },
      },
      0,
    );
    expect(s).toEqual({ t: 1700000000.5, cpu: 42.5, memPct: 25, memUsedGb: 4, gpuUtil: 80, gpuMemGb: 3.5, gpuTemp: 65, thermal: 'fair' });
  });

  it('reads hardware_status as docs/events.md gives it (bytes, no timestamp)', () => {
    const s = toSample(
      {
        cpu: { usage_percent: 37.5, temperature_celsius: 61, cores: 16 },
        memory: { total_bytes: 64 * GiB, used_bytes: 16 * GiB },
        gpus: [{ index: 0, name: 'NVIDIA H100', utilization_percent: 93, memory_total_bytes: 80 * GiB, memory_used_bytes: 38 * GiB, temperature_celsius: 71 }],
      },
      123,
    );
    expect(s).toEqual({ t: 123, cpu: 37.5, memPct: 25, memUsedGb: 16, gpuUtil: 93, gpuMemGb: 38, gpuTemp: 71, thermal: null });
  });

  it('derives memory use and averages cores when that is all there is', () => {
    const s = toSample({ timestamp: 1700000000123, cpu: { usage_per_core: [10, 30] }, memory: { total_gb: 16, available_gb: 12 } }, 99);
    expect(s.t).toBeCloseTo(1700000000.123);
    expect(s.cpu).toBe(20);
    expect(s.memUsedGb).toBe(4);
    expect(s.memPct).toBe(25);
  });

  it('gives nulls, not zeros, for what is missing', () => {
    expect(toSample({ gpu: null }, 5)).toEqual({ t: 5, cpu: null, memPct: null, memUsedGb: null, gpuUtil: null, gpuMemGb: null, gpuTemp: null, thermal: null });
  });
});

describe('toEngineSample', () => {
  it('reads the totals of metrics_update', () => {
    const e = toEngineSample(
      { models: [{ model: 'a', generation_tokens_per_second: 30 }], totals: { requests_running: 2, requests_waiting: 1, generation_tokens_per_second: 41.5, prompt_tokens_per_second: 900 } },
      10,
    );
    expect(e).toEqual({ t: 10, tps: 41.5, promptTps: 900, running: 2, waiting: 1 });
  });

  it('sums the models when there are no totals', () => {
    const e = toEngineSample({ models: [{ model: 'a', generation_tokens_per_second: 30, requests_running: 1 }, { model: 'b', generation_tokens_per_second: 12, requests_running: 2 }] }, 1);
    expect(e.tps).toBe(42);
    expect(e.running).toBe(3);
    expect(toEngineSample({}, 1).tps).toBeNull();
  });
});

describe('machineSummary', () => {
  it('reads GET /api/hardware/info', () => {
    const m = machineSummary({
      platform: 'Linux',
      platform_version: '6.1',
      processor: 'AMD EPYC 9R14',
      cpu_count: 2,
      cpu_count_physical: 2,
      total_memory_gb: 7.6,
      max_memory_bandwidth_gbps: 61.24,
      cpu: { brand: 'AMD EPYC 9R14 96-Core Processor', architecture: 'x86_64', cores_physical: 2, cores_logical: 2, features: ['avx2', 'avx512f'], l2_bytes: 2 * 1024 * 1024, l3_bytes: 32 * 1024 * 1024 },
      memory: { total_bytes: 8 * GiB, bandwidth: { read_gbps: 61.24 } },
      gpus: [{ index: 0, name: 'NVIDIA H100', memory_total_bytes: 80 * GiB, compute_capability: '9.0', sm_count: 132 }],
      gpu_driver_version: '550.54',
    });
    expect(m.cpu).toBe('AMD EPYC 9R14 96-Core Processor');
    expect(m.cores).toBe('2 cores, 2 threads');
    expect(m.isa).toBe('x86_64');
    expect(m.features).toEqual(['avx2', 'avx512f']);
    expect(m.memory).toBe('8.0 GiB');
    expect(m.caches).toBe('L2 2 MiB · L3 32 MiB');
    expect(m.bandwidth).toBe('61.2 GB/s');
    expect(m.os).toBe('Linux 6.1');
    expect(m.gpus).toEqual([{ name: 'NVIDIA H100', memory: '80.0 GiB', detail: 'compute 9.0, 132 SMs, driver 550.54' }]);
  });

  it('copes with a nearly empty answer', () => {
    const m = machineSummary({ total_memory_gb: 4 });
    expect(m.cpu).toBeNull();
    expect(m.memory).toBe('4.0 GiB');
    expect(m.bandwidth).toBeNull();
    expect(m.gpus).toEqual([]);
  });
});

describe('models and downloads', () => {
  it('reads model state and memory', () => {
    expect(modelState({ id: 'a', status: 'loaded' })).toBe('loaded');
    expect(modelState({ id: 'a', status: 'available', loaded: false })).toBe('available');
    expect(modelState({ id: 'a', loaded: true })).toBe('loaded');
    expect(modelState({ id: 'a' })).toBe('available');
    expect(modelMemoryBytes({ id: 'a', memory_bytes: 5, memory_gb: 1 })).toBe(5);
    expect(modelMemoryBytes({ id: 'a', memory_gb: 2 })).toBe(2e9);
  });

  it('reads progress as a percentage', () => {
    expect(progressFraction(25)).toBe(0.25);
    expect(progressFraction(0.5)).toBe(0.005);
    expect(progressFraction(150)).toBe(1);
    expect(progressFraction(-1)).toBe(0);
    expect(progressFraction(undefined)).toBe(0);
  });

  it('turns both shapes of download_progress into task fields', () => {
    expect(downloadFromEvent({ task_id: 't', model: 'm', file: 'm.gguf', downloaded_bytes: 3e8, total_bytes: 1e9, bytes_per_second: 5e7, eta_s: 14 })).toEqual({
      task_id: 't', model_id: 'm', status: 'downloading', downloaded_gb: 0.3, total_gb: 1, speed_mbps: 50, eta_seconds: 14, progress: 30,
    });
    expect(downloadFromEvent({ task_id: 't', model_id: 'm', status: 'verifying', progress: 100, downloaded_gb: 1, total_gb: 1, speed_mbps: 0, eta_seconds: 0 })).toEqual({
      task_id: 't', model_id: 'm', status: 'verifying', downloaded_gb: 1, total_gb: 1, speed_mbps: 0, eta_seconds: 0, progress: 100,
    });
  });
});
