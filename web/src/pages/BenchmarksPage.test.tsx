import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LiveSocket } from '../api/ws';
import { FakeSocket, json, mockFetch, renderApp } from '../test/helpers';
import BenchmarksPage from './BenchmarksPage';

const hw = { cpu_name: 'AMD EPYC 9R14', gpus: [] };
const run = (id: number, day: number, gen: number) => ({
  id, model_id: 'stories260K', hardware_fingerprint: 'abcdef0123456789', hardware: hw, started_at: `2025-01-0${day}T10:00:00.000Z`,
  started_at_ms: Date.UTC(2025, 0, day, 10), source: 'api', ttft_ms_avg: 3.5, prompt_tokens_per_sec: 4000 + id, generated_tokens_per_sec: gen,
  peak_memory_bytes: 50 * 1024 ** 2, gpu_utilization_avg: null, prompts: [],
});

describe('BenchmarksPage', () => {
  it('runs a benchmark with live progress, then charts the history and compares machines', async () => {
    let runs = [run(1, 1, 900)];
    let taskState = 'running';
    const { calls } = mockFetch({
      'GET /api/models/list': () => ({ models: [{ id: 'stories260K', status: 'loaded' }] }),
      'GET /v1/models': () => ({ object: 'list', data: [{ id: 'stories260K', object: 'model', created: 0, owned_by: 'impetus' }] }),
      'GET /api/models/benchmark/stories260K/history': () => ({ model_id: 'stories260K', runs: [...runs].reverse() }),
      'GET /api/models/benchmarks/comparison': () => ({
        comparison: [
          { model_id: 'stories260K', hardware_fingerprint: 'abcdef0123456789', hardware: hw, quantization: 'F32', run_count: runs.length, avg_ttft_ms: 3.3, avg_generated_tokens_per_sec: 925, avg_prompt_tokens_per_sec: 4100, peak_memory_bytes: 50 * 1024 ** 2 },
          { model_id: 'stories260K', hardware_fingerprint: '9999aaaa00000000', hardware: { cpu_name: 'Xeon', gpus: [{ name: 'NVIDIA H100' }] }, run_count: 1, avg_generated_tokens_per_sec: 2000, avg_ttft_ms: 1.2 },
        ],
      }),
      'POST /api/models/benchmark/stories260K': () => json({ task_id: 'bench_1', status: 'running', model_id: 'stories260K', status_url: '/api/models/benchmark/task/bench_1' }, 202),
      'GET /api/models/benchmark/task/bench_1': () => ({
        task_id: 'bench_1', model_id: 'stories260K', status: taskState, progress: { task_id: 'bench_1', model_id: 'stories260K', phase: 'measuring', step: 1, n_steps: 4 },
        error: null, result: taskState === 'succeeded' ? runs[runs.length - 1] : null, saved: taskState === 'succeeded',
      }),
      'GET /api/models/benchmarks/export?format=csv': () => new Response('id,model_id\n1,stories260K\n', { headers: { 'Content-Type': 'text/csv' } }),
    });
    FakeSocket.all = [];
    const socket = new LiveSocket({ url: () => 'ws://t/ws', createSocket: (u) => new FakeSocket(u) });
    const user = userEvent.setup();
    renderApp(<BenchmarksPage />, { socket });
    act(() => FakeSocket.all[0].open());
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Model to benchmark' })).toHaveValue('stories260K'));
    expect(await screen.findByRole('img', { name: /Tokens per second\. Generation: 900 tok\/s, Prompt: 4001 tok\/s/ })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Start benchmark' }));
    await waitFor(() => expect(calls.some((c) => c.path === '/api/models/benchmark/task/bench_1')).toBe(true));
    act(() => FakeSocket.all[0].message('benchmark_progress', { task_id: 'bench_1', model_id: 'stories260K', phase: 'measuring', step: 3, n_steps: 4, generated_tokens_per_sec: 940 }));
    const progress = await screen.findByTestId('bench-progress');
    await waitFor(() => expect(progress).toHaveTextContent('measuring · request 3 of 4 · 940 tok/s'));
    expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '75');
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeInTheDocument();

    runs = [run(1, 1, 900), run(2, 2, 950)];
    taskState = 'succeeded';
    act(() => FakeSocket.all[0].message('benchmark_complete', { task_id: 'bench_1', model_id: 'stories260K', status: 'complete' }));
    expect(await screen.findByTestId('bench-outcome')).toHaveTextContent('Benchmark complete · 950 tok/s generated · 4002 tok/s prompt · first token 4 ms');
    expect(screen.queryByTestId('bench-progress')).toBeNull();
    expect(await screen.findByRole('img', { name: /Generation: 950 tok\/s/ })).toBeInTheDocument();

    const rows = screen.getByTestId('comparison').querySelectorAll('tbody tr');
    expect(rows[0]).toHaveTextContent('Xeon + NVIDIA H100');
    expect(rows[0]).toHaveTextContent('2000 tok/s');
    expect(rows[1]).toHaveTextContent('stories260K · F32');
    expect(rows[1]).toHaveTextContent('AMD EPYC 9R14');
    expect(rows[1]).toHaveTextContent('925 tok/s');
    expect(rows[1]).toHaveTextContent('50.0 MiB');

    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(calls.some((c) => c.path === '/api/models/benchmarks/export?format=csv')).toBe(true);
    expect(URL.createObjectURL).toHaveBeenCalledTimes(1);
  });

  it('finishes from polling alone when no event comes, and shows a failure', async () => {
    mockFetch({
      'GET /v1/models': () => ({ object: 'list', data: [{ id: 'stories260K', object: 'model', created: 0, owned_by: 'impetus' }] }),
      'GET /api/models/benchmark/stories260K/history': () => ({ model_id: 'stories260K', runs: [] }),
      'GET /api/models/benchmarks/comparison': () => ({ comparison: [] }),
      'POST /api/models/benchmark/stories260K': () => json({ task_id: 'b2', status: 'running', model_id: 'stories260K' }, 202),
      'GET /api/models/benchmark/task/b2': () => ({ task_id: 'b2', model_id: 'stories260K', status: 'failed', error: 'the model stopped answering', result: null }),
    });
    const user = userEvent.setup();
    renderApp(<BenchmarksPage />);
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Model to benchmark' })).toHaveValue('stories260K'));
    expect(await screen.findByText('No runs yet for this model.')).toBeInTheDocument();
    expect(screen.getByText('No benchmark results yet.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Start benchmark' }));
    expect(await screen.findByTestId('bench-outcome')).toHaveTextContent('Benchmark failed: the model stopped answering');
    expect(screen.getByRole('button', { name: 'Start benchmark' })).toBeEnabled();
  });

  it('shows why nothing is there when the benchmark API is missing', async () => {
    mockFetch({ 'GET /v1/models': () => ({ object: 'list', data: [{ id: 'stories260K', object: 'model', created: 0, owned_by: 'impetus' }] }) });
    const user = userEvent.setup();
    renderApp(<BenchmarksPage />);
    expect(await screen.findByText('no route for GET /api/models/benchmarks/comparison')).toBeInTheDocument();
    expect(await screen.findByText('no route for GET /api/models/benchmark/stories260K/history')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Start benchmark' }));
    expect(await screen.findByText('no route for POST /api/models/benchmark/stories260K')).toBeInTheDocument();
    expect(screen.queryByTestId('bench-progress')).toBeNull();
  });
});
