import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LiveSocket } from '../api/ws';
import { FakeSocket, json, mockFetch, renderApp } from '../test/helpers';
import { OverviewPage } from './OverviewPage';

const GiB = 1024 ** 3;
const health = { status: 'healthy', version: '0.2.0', uptime_s: 75, models_loaded: ['stories260K'], models_loading: 0 };
const hardwareInfo = {
  processor: 'AMD EPYC 9R14', cpu_count: 2, cpu_count_physical: 2, total_memory_gb: 8, max_memory_bandwidth_gbps: 61.2,
  cpu: { brand: 'AMD EPYC 9R14', architecture: 'x86_64', cores_physical: 2, cores_logical: 2, features: ['avx512f'] },
  memory: { total_bytes: 8 * GiB }, gpus: [],
};
const modelList = {
  models: [
    { id: 'stories260K', status: 'loaded', loaded: true, memory_bytes: 3 * 1024 ** 2, size_bytes: 1_100_000 },
    { id: 'other', status: 'available', loaded: false, size_bytes: 5e9 },
  ],
  loaded_count: 1,
  limits: { memory_budget_bytes: 4 * GiB, memory_used_bytes: 3 * 1024 ** 2, max_loaded_models: 2 },
};

describe('OverviewPage', () => {
  it('shows the machine, the server, loaded models with memory, and live charts from the socket', async () => {
    mockFetch({
      'GET /api/health': () => health,
      'GET /api/hardware/info': () => hardwareInfo,
      'GET /api/hardware/metrics': () => ({ timestamp: 999, cpu: { usage_percent: 5 }, memory: { percent: 10 } }),
      'GET /api/models/list': () => modelList,
      'GET /api/hardware/optimization': () => ({ current_performance_mode: 'balanced', recommendations: [{ type: 'memory', severity: 'medium', message: 'Memory is 91% used.', action: 'unload_models' }] }),
    });
    FakeSocket.all = [];
    const socket = new LiveSocket({ url: () => 'ws://t/ws', createSocket: (u) => new FakeSocket(u) });
    renderApp(<OverviewPage />, { socket });
    expect(await screen.findByText('AMD EPYC 9R14')).toBeInTheDocument();
    expect(screen.getByText('2 cores, 2 threads')).toBeInTheDocument();
    expect(screen.getByText('61.2 GB/s')).toBeInTheDocument();
    expect(screen.getByText('none detected')).toBeInTheDocument();
    expect(await screen.findByText('1 min 15 s')).toBeInTheDocument();
    expect(await screen.findByText('Memory is 91% used.')).toBeInTheDocument();
    const loaded = await screen.findByRole('table');
    expect(loaded).toHaveTextContent('stories260K');
    expect(loaded).toHaveTextContent('3.0 MiB');
    expect(loaded).not.toHaveTextContent('other');
    expect(screen.getByText(/of a 4.0 GiB budget · at most 2 loaded/)).toBeInTheDocument();
    // Before the socket delivers, the REST endpoint is polled.
    await waitFor(() => expect(screen.getByTestId('metrics-source')).toHaveTextContent('Polling /api/hardware/metrics'));

    act(() => FakeSocket.all[0].open());
    act(() => FakeSocket.all[0].message('hardware_status', { cpu: { usage_percent: 37 }, memory: { total_bytes: 8 * GiB, used_bytes: 4 * GiB } }));
    await new Promise((r) => setTimeout(r, 5));
    act(() => FakeSocket.all[0].message('hardware_status', { cpu: { usage_percent: 41 }, memory: { total_bytes: 8 * GiB, used_bytes: 2 * GiB } }));
    act(() => FakeSocket.all[0].message('metrics_update', { models: [{ model: 'stories260K', requests_running: 1, generation_tokens_per_second: 20, kv_cache_memory_used_bytes: 65536 }], totals: { requests_running: 1, generation_tokens_per_second: 20 } }));
    expect(screen.getByTestId('metrics-source')).toHaveTextContent('Live over the WebSocket');
    expect(screen.getByText('CPU 41%')).toBeInTheDocument();
    expect(screen.getByText('Memory 25% · 2.0 GB used')).toBeInTheDocument();
    expect(screen.getByText('Generation 20.0 tok/s · 1 running')).toBeInTheDocument();
    expect(screen.getByRole('img', { name: /CPU 41%\. CPU: 41\.0%/ })).toBeInTheDocument();
    expect(loaded).toHaveTextContent('64.0 KiB');
    expect(loaded).toHaveTextContent('1 running · 20.0 tok/s');
    // No GPU in the samples: no GPU chart; one appears with the first GPU figures.
    expect(screen.queryByText(/^GPU /)).toBeNull();
    await new Promise((r) => setTimeout(r, 5));
    act(() => FakeSocket.all[0].message('hardware_status', { cpu: { usage_percent: 1 }, gpus: [{ index: 0, utilization_percent: 70, temperature_celsius: 61, memory_used_bytes: GiB }] }));
    expect(screen.getByText('GPU 70% · 61 °C')).toBeInTheDocument();
  });

  it('shows the server message, not a blank card, when the hardware and model APIs are missing', async () => {
    mockFetch({ 'GET /api/health': () => health, 'GET /api/hardware/optimization': () => json({ error: { message: 'no route for GET /api/hardware/optimization' } }, 404) });
    renderApp(<OverviewPage />);
    expect(await screen.findByText('no route for GET /api/hardware/info')).toBeInTheDocument();
    expect(screen.getByText(/does not provide hardware information/)).toBeInTheDocument();
    expect(await screen.findByText('no route for GET /api/hardware/metrics')).toBeInTheDocument();
    // Loaded models fall back to /api/health.
    expect(await screen.findByText(/memory not reported by this server/)).toBeInTheDocument();
    expect(screen.getByLabelText('Served models')).toHaveTextContent('stories260K');
    // The optimization card hides itself.
    expect(screen.queryByText('Advice')).toBeNull();
  });
});
