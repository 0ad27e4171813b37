import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { getSettings } from '../settings/store';
import { json, mockFetch, renderApp } from '../test/helpers';
import SettingsPage from './SettingsPage';

const cacheStatus = {
  enabled: true, block_size: 16, blocks_total: 100, blocks_used: 10, blocks_cached: 5, memory_used_bytes: 1048576, memory_max_bytes: 8388608,
  hit_rate: 0.5, prompt_tokens_computed: 300, prompt_tokens_reused: 100, entries: [], models: [],
};

describe('SettingsPage', () => {
  it('keeps the API key in localStorage and sends it', async () => {
    const { calls } = mockFetch({
      'GET /v1/models': (c) => (c.headers.authorization === 'Bearer k-123' ? { object: 'list', data: [] } : json({ error: { message: 'Incorrect or missing API key.' } }, 401)),
    });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    await user.click(screen.getByRole('button', { name: 'Test' }));
    expect(await screen.findByText('Incorrect or missing API key.')).toBeInTheDocument();
    const input = screen.getByLabelText('API key', { selector: 'input' });
    expect(input).toHaveAttribute('type', 'password');
    await user.type(input, 'k-123{Enter}');
    expect(localStorage.getItem('impetus.apiKey')).toBe('k-123');
    expect(getSettings().apiKey).toBe('k-123');
    await user.click(screen.getByRole('button', { name: 'Test' }));
    expect(await screen.findByText(/The server accepted the key/)).toBeInTheDocument();
    expect(calls[calls.length - 1].headers.authorization).toBe('Bearer k-123');
    await user.click(screen.getByRole('button', { name: 'Forget' }));
    expect(localStorage.getItem('impetus.apiKey')).toBeNull();
  });

  it('switches the theme', async () => {
    mockFetch({});
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    expect(screen.getByRole('radio', { name: 'system' })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: 'dark' }));
    expect(localStorage.getItem('impetus.theme')).toBe('dark');
    await user.click(screen.getByRole('radio', { name: 'system' }));
    expect(localStorage.getItem('impetus.theme')).toBeNull();
  });

  it('changes the performance mode and shows what changed', async () => {
    const { calls } = mockFetch({
      'GET /api/hardware/optimization': () => ({ current_performance_mode: 'balanced', recommendations: [] }),
      'POST /api/hardware/performance-mode': () => ({
        mode: 'efficiency',
        settings: { n_threads: 1, max_batch_tokens: 256 },
        changed: [{ setting: 'n_threads', before: 2, after: 1 }, { setting: 'max_batch_tokens', before: 512, after: 256 }],
      }),
    });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    await waitFor(() => expect(screen.getByRole('radio', { name: /balanced/ })).toBeChecked());
    await user.click(screen.getByRole('radio', { name: /efficiency/ }));
    const changes = await screen.findByTestId('perf-changes');
    expect(changes).toHaveTextContent('Mode set to efficiency. What changed:');
    expect(changes).toHaveTextContent('n_threads: 2 → 1');
    expect(changes).toHaveTextContent('max_batch_tokens: 512 → 256');
    expect(screen.getByRole('radio', { name: /efficiency/ })).toBeChecked();
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ mode: 'efficiency' });
  });

  it('shows the cache status and saves per-model cache settings', async () => {
    const { calls } = mockFetch({
      'GET /api/models/cache/status': () => cacheStatus,
      'GET /api/models/cache/settings': () => ({ settings: [{ model: 'stories260K', enabled: true, memory_budget_bytes: 64 * 2 ** 20, max_pinned_conversations: 8 }] }),
      'PUT /api/models/cache/settings': (c) => ({ settings: [{ model: 'stories260K', ...(c.body as object) }] }),
      'POST /api/models/cache/clear': () => ({ cleared: true, scope: 'model' }),
    });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    expect(await screen.findByText('50.0%')).toBeInTheDocument();
    expect(screen.getByText('100 of 400')).toBeInTheDocument();
    const form = await screen.findByRole('form', { name: 'Cache settings of stories260K' });
    const budget = within(form).getByRole('spinbutton', { name: /Memory budget/ });
    expect(budget).toHaveValue(64);
    await user.clear(budget);
    await user.type(budget, '128');
    await user.click(within(form).getByRole('checkbox'));
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ model: 'stories260K', enabled: false, memory_budget_bytes: 128 * 2 ** 20, max_pinned_conversations: 8 });
    await user.click(within(screen.getByRole('form', { name: 'Cache settings of stories260K' })).getByRole('button', { name: 'Clear cache' }));
    await waitFor(() => expect(calls.find((c) => c.path === '/api/models/cache/clear')?.body).toEqual({ model: 'stories260K' }));
  });
});
