import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AppRoutes, NAV, Shell } from './App';
import { updateSettings } from './settings/store';
import { mockFetch, renderApp } from './test/helpers';

describe('App shell', () => {
  it('navigates between pages with accessible links and marks the current one', { timeout: 30_000 }, async () => {
    mockFetch({ 'GET /api/health': () => ({ status: 'healthy', version: '1', uptime_s: 1, models_loaded: [], models_loading: 0 }) });
    const user = userEvent.setup();
    renderApp(
      <Shell>
        <AppRoutes />
      </Shell>,
    );
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav.querySelectorAll('a')).toHaveLength(NAV.length);
    expect(screen.getByRole('heading', { level: 1, name: 'Overview' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
    for (const page of ['Models', 'Chat', 'Benchmarks', 'Settings']) {
      await user.click(screen.getByRole('link', { name: page }));
      expect(await screen.findByRole('heading', { level: 1, name: page }, { timeout: 15_000 })).toBeInTheDocument();
      expect(screen.getByRole('link', { name: page })).toHaveAttribute('aria-current', 'page');
    }
    expect(screen.getByRole('link', { name: 'Skip to content' })).toHaveAttribute('href', '#main');
    expect(screen.getByTestId('connection')).toBeInTheDocument();
  });

  it('shows a not-found page for unknown routes', async () => {
    mockFetch({});
    renderApp(<AppRoutes />, { route: '/nope' });
    expect(await screen.findByRole('heading', { name: 'Not found' })).toBeInTheDocument();
  });

  it('applies the theme to the document, following the choice in the settings', async () => {
    mockFetch({});
    renderApp(<Shell>x</Shell>);
    expect(document.documentElement.dataset.theme).toBe('light'); // jsdom's system theme is light
    updateSettings({ theme: 'dark' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
    updateSettings({ theme: 'system' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
  });
});
