import { describe, expect, it } from 'vitest';
import { updateSettings } from '../settings/store';
import { json, mockFetch } from '../test/helpers';
import { api, ApiError, errorMessage, query } from './client';

describe('errorMessage', () => {
  it('reads every error body shape the server may send', () => {
    expect(errorMessage({ error: { message: 'bad model', type: 'x' } })).toBe('bad model');
    expect(errorMessage({ error: 'Model not loaded', message: 'Model m must be loaded' })).toBe('Model not loaded: Model m must be loaded');
    expect(errorMessage({ error: 'Task not found' })).toBe('Task not found');
    expect(errorMessage({ message: 'only a message' })).toBe('only a message');
    expect(errorMessage('  plain text  ')).toBe('plain text');
    expect(errorMessage(null)).toBe('');
  });
});

// The ApiError a promise rejects with.
const caught = (p: Promise<unknown>): Promise<ApiError> =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e as ApiError,
  );

describe('api', () => {
  it('sends the API key and parses JSON', async () => {
    updateSettings({ apiKey: 'sekret' });
    const { calls } = mockFetch({ 'GET /v1/models': () => ({ object: 'list', data: [] }) });
    await expect(api('/v1/models')).resolves.toEqual({ object: 'list', data: [] });
    expect(calls[0].headers.authorization).toBe('Bearer sekret');
    updateSettings({ apiKey: '' });
    await api('/v1/models');
    expect(calls[1].headers.authorization).toBeUndefined();
  });

  it('throws ApiError with the server message, and knows a missing route', async () => {
    mockFetch({ 'POST /api/models/load': () => json({ error: { message: 'not enough memory for m (needs 9 GB)' } }, 507) });
    const e1 = await caught(api('/api/models/load', { method: 'POST', body: {} }));
    expect(e1).toBeInstanceOf(ApiError);
    expect(e1.status).toBe(507);
    expect(e1.message).toBe('not enough memory for m (needs 9 GB)');
    expect(e1.unavailable).toBe(false);
    const e2 = await caught(api('/api/hardware/info'));
    expect(e2.status).toBe(404);
    expect(e2.unavailable).toBe(true);
  });

  it('turns a 405 "not allowed" (a GET-only fallback route) into unavailable, and HTML bodies into the status', async () => {
    mockFetch({
      'POST /api/models/unload': () => json({ error: { message: 'method POST not allowed for /api/models/unload' } }, 405),
      'GET /api/x': () => new Response('<html>oops</html>', { status: 502, statusText: 'Bad Gateway' }),
    });
    expect((await caught(api('/api/models/unload', { method: 'POST' }))).unavailable).toBe(true);
    expect((await caught(api('/api/x'))).message).toBe('502 Bad Gateway');
  });

  it('reports an unreachable server as status 0', async () => {
    mockFetch({ 'GET /api/health': () => Promise.reject(new TypeError('Failed to fetch')) });
    const e = await caught(api('/api/health'));
    expect(e.status).toBe(0);
    expect(e.message).toMatch(/Cannot reach the server/);
  });

  it('builds query strings from defined values only', () => {
    expect(query({ category: 'coding', search: '', x: undefined, n: 0 })).toBe('?category=coding&n=0');
    expect(query({})).toBe('');
  });
});
