import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { LiveSocket } from '../api/ws';
import { FakeSocket, renderApp } from '../test/helpers';
import { ConnectionIndicator } from './ConnectionIndicator';
import { ErrorNotice } from './ErrorNotice';
import { Markdown } from './Markdown';
import { ThermalBanner } from './ThermalBanner';

describe('ErrorNotice', () => {
  it('shows the server message and what to do', () => {
    renderApp(
      <>
        <ErrorNotice error={new ApiError(401, 'Incorrect or missing API key.', '/v1/models')} what="the models" />
        <ErrorNotice error={new ApiError(404, 'no route for GET /api/hardware/info', '/api/hardware/info')} what="hardware information" />
        <ErrorNotice error={new ApiError(0, 'Cannot reach the server (Failed to fetch)', '/api/health')} />
      </>,
    );
    const alerts = screen.getAllByRole('alert');
    expect(alerts[0]).toHaveTextContent('Could not load the models (HTTP 401): Incorrect or missing API key.');
    expect(alerts[0]).toHaveTextContent('set it in Settings');
    expect(alerts[1]).toHaveTextContent('no route for GET /api/hardware/info');
    expect(alerts[1]).toHaveTextContent('does not provide hardware information');
    expect(alerts[2]).toHaveTextContent('Is impetus serve running?');
  });
});

describe('ConnectionIndicator', () => {
  it('follows the socket and offers an immediate retry', async () => {
    FakeSocket.all = [];
    const socket = new LiveSocket({ url: () => 'ws://t/ws', createSocket: (u) => new FakeSocket(u), initialDelayMs: 5000, random: () => 0.5 });
    renderApp(<ConnectionIndicator />, { socket });
    const status = screen.getByTestId('connection');
    expect(status).toHaveTextContent('Connecting…');
    act(() => FakeSocket.all[0].open());
    expect(status).toHaveTextContent('Live');
    expect(FakeSocket.all[0].subscriptions).toEqual(['metrics', 'hardware', 'models', 'downloads', 'benchmarks']);
    act(() => FakeSocket.all[0].drop());
    expect(status).toHaveTextContent(/Reconnecting in [45] s/);
    await userEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(FakeSocket.all).toHaveLength(2);
    act(() => FakeSocket.all[1].open());
    expect(status).toHaveTextContent('Live');
    expect(FakeSocket.all[1].subscriptions).toHaveLength(5);
  });
});

describe('ThermalBanner', () => {
  it('appears on a thermal warning, clears when the machine is nominal again, and can be dismissed', async () => {
    FakeSocket.all = [];
    const socket = new LiveSocket({ url: () => 'ws://t/ws', createSocket: (u) => new FakeSocket(u) });
    renderApp(<ThermalBanner />, { socket });
    act(() => FakeSocket.all[0].open());
    expect(screen.queryByTestId('thermal-banner')).toBeNull();
    act(() => FakeSocket.all[0].message('thermal_warning', { device: 'gpu0', temperature_celsius: 91.4, threshold_celsius: 90, level: 'critical' }));
    expect(screen.getByTestId('thermal-banner')).toHaveTextContent('Thermal critical. GPU0 at 91 °C, threshold 90 °C The server switches to efficiency mode.');
    act(() => FakeSocket.all[0].message('hardware_status', { cpu: { usage_percent: 5 }, thermal_state: 'nominal' }));
    expect(screen.queryByTestId('thermal-banner')).toBeNull();
    act(() => FakeSocket.all[0].message('thermal_warning', { device: 'cpu', temperature_celsius: 85, level: 'warning' }));
    expect(screen.getByTestId('thermal-banner')).toHaveTextContent('Thermal warning. CPU at 85 °C');
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss thermal warning' }));
    expect(screen.queryByTestId('thermal-banner')).toBeNull();
  });
});

describe('Markdown', () => {
  it('renders GFM, highlights known languages, gives code a copy button and escapes raw HTML', () => {
    const text = '# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\ndef f(x):\n    return 42\n```\n\n<img src=x onerror=alert(1)>';
    const { container } = renderApp(<Markdown text={text} />);
    expect(screen.getByRole('heading', { name: 'Title' })).toBeInTheDocument();
    expect(screen.getByRole('table')).toBeInTheDocument();
    const kw = container.querySelector('pre code .hljs-keyword');
    expect(kw?.textContent).toBe('def');
    expect(container.querySelector('pre code')?.textContent).toBe('def f(x):\n    return 42\n');
    expect(screen.getByRole('button', { name: 'Copy python code' })).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
  });

  it('leaves unknown languages as plain text', () => {
    const { container } = renderApp(<Markdown text={'```brainfuck\n+++.\n```'} />);
    expect(container.querySelector('pre code')?.textContent).toBe('+++.\n');
    expect(container.querySelector('pre code span')).toBeNull();
  });
});
