import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { LiveSocket } from '../api/ws';
import { FakeSocket, json, mockFetch, renderApp } from '../test/helpers';
import ModelsPage from './ModelsPage';

const catalog = [
  {
    id: 'qwen2.5-0.5b-instruct', name: 'Qwen2.5 0.5B Instruct', category: 'efficient', size_gb: 0.49, quantization: 'Q4_K_M', context_length: 32768, min_memory_gb: 1,
    estimated_tokens_per_sec: 95.2, features: ['multilingual'], recommended_for: ['chat'], parameters: '0.49B',
    files: [{ quantization: 'Q4_K_M', file: 'a-Q4_K_M.gguf', size_bytes: 490e6, size_gb: 0.49 }, { quantization: 'Q8_0', file: 'a-Q8_0.gguf', size_bytes: 980e6, size_gb: 0.98 }],
  },
  { id: 'qwen2.5-coder-7b-instruct', name: 'Qwen2.5 Coder 7B Instruct', category: 'coding', size_gb: 4.68, quantization: 'Q4_K_M', context_length: 32768, min_memory_gb: 8, estimated_tokens_per_sec: 11.8 },
];

describe('ModelsPage', () => {
  it('loads and unloads installed models and shows refusals with the server message', async () => {
    let loaded = false;
    const { calls } = mockFetch({
      'GET /api/models/list': () => ({
        models: [
          { id: 'stories260K', model_id: 'stories260K', size_bytes: 1_100_000, status: loaded ? 'loaded' : 'available', loaded, memory_bytes: loaded ? 4_000_000 : 0, warmed_up: false },
          { id: 'big', status: 'available', loaded: false, size_bytes: 40e9 },
        ],
        limits: { memory_budget_bytes: 8 * 1024 ** 3, memory_used_bytes: 0, max_loaded_models: 2, evict_lru: true, models_dir: '/root/.impetus/models' },
      }),
      'POST /api/models/load': (c) => {
        if ((c.body as { model_id: string }).model_id === 'big') return json({ error: { message: 'not enough memory to load big: needs 44.0 GB, 6.1 GB free', type: 'server_error', param: null, code: null } }, 507);
        loaded = true;
        return { status: 'loaded', model_id: 'stories260K', model: {} };
      },
      'POST /api/models/unload': () => {
        loaded = false;
        return { status: 'unloaded', model_id: 'stories260K' };
      },
      'POST /api/models/warmup/stories260K': () => ({ status: 'warm', model_id: 'stories260K', warmup_time_ms: 12, first_token_ms: 3, error: null }),
      'GET /api/models/discover': () => ({ models: [] }),
      'GET /api/models/downloads': () => ({ downloads: [] }),
    });
    const user = userEvent.setup();
    renderApp(<ModelsPage />);
    const row = await screen.findByTestId('model-row-stories260K');
    expect(row).toHaveTextContent('available');
    expect(screen.getByText(/at most 2 loaded \(least recently used unloaded first\)/)).toHaveTextContent('/root/.impetus/models');
    await user.click(within(row).getByRole('button', { name: 'Load stories260K' }));
    await waitFor(() => expect(within(row).getByRole('button', { name: 'Unload stories260K' })).toBeInTheDocument());
    expect(calls.find((c) => c.path === '/api/models/load')?.body).toEqual({ model_id: 'stories260K' });
    expect(row).toHaveTextContent('loaded');
    expect(row).toHaveTextContent('3.8 MiB');
    await user.click(within(row).getByRole('button', { name: 'Warm up stories260K' }));
    expect(await within(row).findByText('Warmed up in 12 ms (first token 3 ms)')).toBeInTheDocument();
    await user.click(within(row).getByRole('button', { name: 'Unload stories260K' }));
    await waitFor(() => expect(within(row).getByRole('button', { name: 'Load stories260K' })).toBeInTheDocument());
    expect(calls.find((c) => c.path === '/api/models/unload')?.body).toEqual({ model_id: 'stories260K' });

    const big = screen.getByTestId('model-row-big');
    await user.click(within(big).getByRole('button', { name: 'Load big' }));
    expect(await within(big).findByText('not enough memory to load big: needs 44.0 GB, 6.1 GB free')).toBeInTheDocument();
    expect(within(big).getByRole('alert')).toHaveTextContent('HTTP 507');
  });

  it('searches and filters the catalog and starts a download with auto-load', async () => {
    const { calls } = mockFetch({
      'GET /api/models/list': () => ({ models: [] }),
      'GET /api/models/downloads': () => ({ downloads: [] }),
      'GET /api/models/discover': () => ({ models: catalog, count: 2, hardware: { memory_bandwidth_gbps: 61, total_memory_gb: 8.2, gpus: [] } }),
      'GET /api/models/discover?category=coding': () => ({ models: [catalog[1]] }),
      'GET /api/models/discover?search=qwen+coder': () => ({ models: [catalog[1]] }),
      'GET /api/models/recommended': () => ({ use_case: null, models: [catalog[0]], count: 1 }),
      'POST /api/models/download': () => ({ task_id: 't1', model_id: catalog[0].id, status: 'queued', progress: 0 }),
    });
    const user = userEvent.setup();
    renderApp(<ModelsPage />);
    const entry = await screen.findByTestId('catalog-qwen2.5-0.5b-instruct');
    expect(entry).toHaveTextContent('0.49 GB');
    expect(entry).toHaveTextContent('0.49B');
    expect(entry).toHaveTextContent('≈ 95.2 tok/s');
    expect(entry).toHaveTextContent('32,768');
    expect(screen.getByText(/Speed estimates for: 8 GB memory · 61 GB\/s/)).toBeInTheDocument();
    // Another quantization: its size, and a speed scaled by size.
    await user.selectOptions(within(entry).getByRole('combobox', { name: 'Quantization of Qwen2.5 0.5B Instruct' }), 'Q8_0');
    expect(entry).toHaveTextContent('0.98 GB');
    expect(entry).toHaveTextContent('≈ 47.6 tok/s');
    await user.selectOptions(within(entry).getByRole('combobox', { name: 'Quantization of Qwen2.5 0.5B Instruct' }), 'Q4_K_M');
    expect(screen.getByText(/Recommended for this machine/).closest('p')).toHaveTextContent('Qwen2.5 0.5B Instruct');

    await user.click(screen.getByRole('button', { name: 'coding' }));
    expect(screen.getByRole('button', { name: 'coding' })).toHaveAttribute('aria-pressed', 'true');
    await waitFor(() => expect(screen.queryByTestId('catalog-qwen2.5-0.5b-instruct')).toBeNull());
    expect(screen.getByTestId('catalog-qwen2.5-coder-7b-instruct')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'all' }));
    await user.type(screen.getByRole('searchbox', { name: 'Search the catalog' }), 'qwen coder');
    await waitFor(() => expect(calls.some((c) => c.path === '/api/models/discover?search=qwen+coder')).toBe(true));

    await user.clear(screen.getByRole('searchbox', { name: 'Search the catalog' }));
    await user.click(await screen.findByRole('button', { name: 'Download Qwen2.5 0.5B Instruct' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/api/models/download')).toBe(true));
    expect(calls.find((c) => c.path === '/api/models/download')?.body).toEqual({ model_id: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', auto_load: true });
  });

  it('shows live download progress from the socket, and cancels', async () => {
    const task = { task_id: 't1', model_id: 'qwen2.5-0.5b-instruct', status: 'downloading', progress: 10, downloaded_gb: 0.05, total_gb: 0.5, speed_mbps: 42.5, eta_seconds: 11, error: null };
    let cancelled = false;
    const { calls } = mockFetch({
      'GET /api/models/list': () => ({ models: [] }),
      'GET /api/models/discover': () => ({ models: [] }),
      'GET /api/models/downloads': () => ({ downloads: [cancelled ? { ...task, status: 'cancelled' } : task] }),
      'DELETE /api/models/download/t1': () => {
        cancelled = true;
        return { status: 'cancelled', task_id: 't1' };
      },
    });
    FakeSocket.all = [];
    const socket = new LiveSocket({ url: () => 'ws://t/ws', createSocket: (u) => new FakeSocket(u) });
    const user = userEvent.setup();
    renderApp(<ModelsPage />, { socket });
    const row = await screen.findByTestId('download-t1');
    const bar = within(row).getByRole('progressbar');
    expect(bar).toHaveAttribute('aria-valuenow', '10');
    expect(row).toHaveTextContent('42.5 MB/s');
    expect(row).toHaveTextContent('ETA 11 s');
    act(() => FakeSocket.all[0].open());
    act(() => FakeSocket.all[0].message('download_progress', { task_id: 't1', model: 'qwen2.5-0.5b-instruct', file: 'q.gguf', downloaded_bytes: 3e8, total_bytes: 5e8, bytes_per_second: 5e7, eta_s: 4 }));
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '60'));
    expect(row).toHaveTextContent('ETA 4 s');
    expect(row).toHaveTextContent('50.0 MB/s');
    await user.click(within(row).getByRole('button', { name: 'Cancel download of qwen2.5-0.5b-instruct' }));
    await waitFor(() => expect(within(screen.getByTestId('download-t1')).getByText('cancelled')).toBeInTheDocument());
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/models/download/t1')).toBe(true);
  });

  it('falls back to the served models when the model API is missing', async () => {
    mockFetch({ 'GET /v1/models': () => ({ object: 'list', data: [{ id: 'stories260K', object: 'model', created: 0, owned_by: 'impetus' }] }) });
    renderApp(<ModelsPage />);
    expect(await screen.findByText('no route for GET /api/models/list')).toBeInTheDocument();
    expect(await screen.findByText('Models this server serves (from /v1/models):')).toBeInTheDocument();
    expect(screen.getByText('no route for GET /api/models/discover')).toBeInTheDocument();
    expect(screen.getByText('no route for GET /api/models/downloads')).toBeInTheDocument();
  });
});
