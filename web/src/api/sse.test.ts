import { describe, expect, it } from 'vitest';
import { chunk, mockFetch, sseResponse } from '../test/helpers';
import { ApiError } from './client';
import { sseData, streamChat } from './sse';

function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });
}

async function collect(parts: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const d of sseData(streamOf(parts))) out.push(d);
  return out;
}

describe('sseData', () => {
  it('splits events across arbitrary chunk boundaries', async () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const whole = await collect([text]);
    expect(whole).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    for (let cut = 1; cut < text.length; cut++) {
      expect(await collect([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
  });

  it('handles CRLF and CR line ends, comments, multi-line data and a missing final blank line', async () => {
    expect(await collect([': keepalive\r\n', 'data: x\r', '\ndata: y\r\n\r\n', 'data:z\n', 'event: e\ndata: w'])).toEqual([
      'x\ny',
      'z\nw',
    ]);
  });
});

describe('streamChat', () => {
  it('reports each piece, the usage with cached tokens and the finish reason', async () => {
    const { calls } = mockFetch({
      'POST /v1/chat/completions': () => {
        const s = sseResponse();
        s.push(chunk('Once'));
        s.push(chunk(' upon'));
        s.push(chunk(null, 'stop'));
        s.push(chunk(null, null, { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, prompt_tokens_details: { cached_tokens: 8 } }));
        s.push('[DONE]');
        s.end();
        return s.response;
      },
    });
    const pieces: string[] = [];
    let t = 0;
    const r = await streamChat(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      { onDelta: (p) => pieces.push(p), now: () => (t += 10) },
    );
    expect(pieces).toEqual(['Once', ' upon']);
    expect(r).toMatchObject({ text: 'Once upon', finishReason: 'stop', stopped: false });
    expect(r.usage?.prompt_tokens_details?.cached_tokens).toBe(8);
    expect(r.ttftMs).toBeGreaterThan(0);
    expect(calls[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true }, model: 'm' });
  });

  it('throws the server message when the request is refused', async () => {
    mockFetch({
      'POST /v1/chat/completions': () =>
        new Response(JSON.stringify({ error: { message: "The model 'x' does not exist", type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }), { status: 404 }),
    });
    const err = await streamChat({ model: 'x', messages: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe("The model 'x' does not exist");
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
  });

  it('throws an error sent inside the stream', async () => {
    mockFetch({
      'POST /v1/chat/completions': () => {
        const s = sseResponse();
        s.push(chunk('a'));
        s.push({ error: { message: 'engine failed' } });
        s.end();
        return s.response;
      },
    });
    await expect(streamChat({ model: 'm', messages: [] })).rejects.toThrow('engine failed');
  });

  it('returns what arrived when stopped', async () => {
    let sse: ReturnType<typeof sseResponse> | null = null;
    mockFetch({
      'POST /v1/chat/completions': (call) => {
        sse = sseResponse(call.signal);
        sse.push(chunk('partial'));
        return sse.response;
      },
    });
    const ctl = new AbortController();
    const got: string[] = [];
    const p = streamChat({ model: 'm', messages: [] }, { signal: ctl.signal, onDelta: (x) => got.push(x) });
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['partial']);
    ctl.abort();
    const r = await p;
    expect(r).toMatchObject({ text: 'partial', stopped: true, finishReason: null });
  });
});
