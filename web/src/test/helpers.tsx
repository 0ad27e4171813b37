// Test helpers: a fake fetch that routes by method and path, streaming
// responses for SSE, a fake WebSocket, and a render() with every provider.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import { LiveSocket, type SocketLike } from '../api/ws';
import { ChatProvider } from '../chat/ChatContext';
import { LiveProvider } from '../live/LiveContext';

export interface FetchCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal | null;
}

type Handler = (call: FetchCall) => Response | Promise<Response> | unknown;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export function noRoute(method: string, path: string): Response {
  return json({ error: { message: `no route for ${method} ${path}`, type: 'not_found_error', param: null, code: null } }, 404);
}

// A fetch stand-in: routes "METHOD /path" (query string ignored unless the key has one) to handlers;
// unknown routes answer like the server does (404 "no route"). Returns the calls for assertions.
export function mockFetch(routes: Record<string, Handler>) {
  const calls: FetchCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    let body: unknown = init.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* keep text */
      }
    }
    const call: FetchCall = { method, path: url.pathname + url.search, headers, body, signal: init.signal };
    calls.push(call);
    const h = routes[`${method} ${url.pathname}${url.search}`] ?? routes[`${method} ${url.pathname}`];
    if (!h) return noRoute(method, url.pathname);
    const out = await h(call);
    return out instanceof Response ? out : json(out);
  });
  vi.stubGlobal('fetch', fn);
  return { calls, fn };
}

// An SSE response whose events are sent by the returned `push`/`end`; aborting the request errors the body.
export function sseResponse(signal?: AbortSignal | null) {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      ctl = c;
    },
  });
  signal?.addEventListener('abort', () => {
    try {
      ctl.error(new DOMException('The operation was aborted.', 'AbortError'));
    } catch {
      /* already closed */
    }
  });
  return {
    response: new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    push: (data: unknown) => ctl.enqueue(enc.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)),
    raw: (text: string) => ctl.enqueue(enc.encode(text)),
    end: () => ctl.close(),
  };
}

export function chunk(content: string | null, finish: string | null = null, usage: unknown = undefined) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'stories260K',
    choices: usage ? [] : [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
}

// A fake WebSocket the test drives: open(), message(), drop().
export class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closedByClient = false;
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closedByClient = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  message(type: string, data: unknown) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify({ type, data }) }));
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' } as CloseEvent);
  }
  get subscriptions(): string[] {
    return this.sent.map((s) => JSON.parse(s)).filter((m) => m.type === 'subscribe').map((m) => m.data.room);
  }
}

export function fakeLiveSocket(): LiveSocket {
  return new LiveSocket({ url: () => 'ws://test/ws', createSocket: (u) => new FakeSocket(u), initialDelayMs: 60_000 });
}

export function renderApp(ui: ReactElement, opts: { route?: string; socket?: LiveSocket } = {}): RenderResult & { qc: QueryClient; socket: LiveSocket } {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false }, mutations: { retry: false } } });
  const socket = opts.socket ?? fakeLiveSocket();
  const r = render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[opts.route ?? '/']}>
        <LiveProvider socket={socket}>
          <ChatProvider>{ui}</ChatProvider>
        </LiveProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...r, qc, socket };
}
