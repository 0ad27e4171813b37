// The HTTP client of the dashboard: fetch() against the same origin, with the
// API key from the settings, JSON in and out, and every failure turned into an
// ApiError that carries the server's own message (OpenAI error bodies,
// {"error","message"} bodies, or plain text), so pages can show it.
import { getSettings } from '../settings/store';
import type { ApiErrorBody } from './types';

export class ApiError extends Error {
  readonly status: number; // HTTP status; 0 = the server could not be reached
  readonly code?: string;
  readonly param?: string;
  readonly path: string;

  constructor(status: number, message: string, path: string, code?: string, param?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.path = path;
    this.code = code;
    this.param = param;
  }

  // The route does not exist on this server (an older build, or a feature not built in).
  get unavailable(): boolean {
    return this.status === 404 && /no route/i.test(this.message)
      || this.status === 405 && /not allowed/i.test(this.message)
      || this.status === 501;
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

// The message of an error body, whatever its shape; "" when there is none.
export function errorMessage(body: unknown): string {
  if (typeof body === 'string') return body.trim();
  if (!body || typeof body !== 'object') return '';
  const b = body as ApiErrorBody;
  if (b.error && typeof b.error === 'object' && b.error.message) return b.error.message;
  const parts: string[] = [];
  if (typeof b.error === 'string') parts.push(b.error);
  if (typeof b.message === 'string' && b.message !== b.error) parts.push(b.message);
  return parts.join(': ');
}

export function authHeaders(): Record<string, string> {
  const key = getSettings().apiKey;
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

// Sends a request; returns the raw Response if it is 2xx, else throws ApiError.
export async function apiRaw(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders(), ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, `Cannot reach the server (${(e as Error).message || 'network error'})`, path);
  }
  if (!res.ok) throw await toApiError(res, path);
  return res;
}

export async function toApiError(res: Response, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* plain text body */
  }
  let message = errorMessage(parsed);
  if (!message || message.startsWith('<')) message = `${res.status} ${res.statusText || 'error'}`;
  const err = (parsed as ApiErrorBody)?.error;
  const code = err && typeof err === 'object' ? err.code ?? undefined : undefined;
  const param = err && typeof err === 'object' ? err.param ?? undefined : undefined;
  return new ApiError(res.status, message, path, code ?? undefined, param ?? undefined);
}

// JSON request/response; throws ApiError on failure.
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await apiRaw(path, opts);
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, `The server sent something that is not JSON for ${path}`, path);
  }
}

// A query string from defined, non-empty values.
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
