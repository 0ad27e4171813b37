// Server-sent events over fetch(): a parser for the text/event-stream format
// (events separated by blank lines, "data:" lines joined by newlines, ":"
// comments ignored, CR/LF/CRLF line ends), and the streaming chat call built
// on it, which reports each piece of text as it arrives and can be stopped
// with an AbortSignal.
import { apiRaw, ApiError, errorMessage } from './client';
import type { ChatCompletionChunk, ChatCompletionRequest, Usage } from './types';

// Yields the data of each event in the stream.
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Split complete lines off the buffer; keep a trailing partial line (and a lone CR
      // that may be the first half of CRLF) for the next read.
      let start = 0;
      for (let i = 0; i < buf.length; i++) {
        const c = buf[i];
        if (c !== '\n' && c !== '\r') continue;
        if (c === '\r' && i + 1 === buf.length && !done) break;
        const line = buf.slice(start, i);
        if (c === '\r' && buf[i + 1] === '\n') i++;
        start = i + 1;
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
      }
      buf = buf.slice(start);
      if (done) break;
    }
    if (buf.startsWith('data:')) data.push(buf.slice(buf[5] === ' ' ? 6 : 5));
    if (data.length) yield data.join('\n');
  } finally {
    reader.releaseLock();
  }
}

export interface StreamResult {
  text: string;
  finishReason: string | null; // "stop", "length", ...; null when stopped or cut off
  usage: Usage | null;
  stopped: boolean; // aborted by the caller
  ttftMs: number | null; // time to the first piece of text
  elapsedMs: number;
}

export interface StreamHandlers {
  signal?: AbortSignal;
  onDelta?: (piece: string, textSoFar: string) => void;
  now?: () => number;
}

// Streams a chat completion. Throws ApiError when the request is refused or
// the stream carries an error; returns normally when stopped.
export async function streamChat(req: ChatCompletionRequest, h: StreamHandlers = {}): Promise<StreamResult> {
  const now = h.now ?? (() => performance.now());
  const t0 = now();
  const result: StreamResult = { text: '', finishReason: null, usage: null, stopped: false, ttftMs: null, elapsedMs: 0 };
  const body: ChatCompletionRequest = { ...req, stream: true, stream_options: { include_usage: true } };
  try {
    const res = await apiRaw('/v1/chat/completions', {
      method: 'POST',
      body,
      signal: h.signal,
      headers: { Accept: 'text/event-stream' },
    });
    if (!res.body) throw new ApiError(res.status, 'The server sent no stream', '/v1/chat/completions');
    for await (const data of sseData(res.body)) {
      if (data === '[DONE]') break;
      let chunk: ChatCompletionChunk & { error?: unknown };
      try {
        chunk = JSON.parse(data);
      } catch {
        continue; // not JSON: ignore, as OpenAI clients do
      }
      if (chunk.error) {
        throw new ApiError(500, errorMessage(chunk) || 'The server reported an error mid-stream', '/v1/chat/completions');
      }
      if (chunk.usage) result.usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        const piece = choice.delta?.content;
        if (piece) {
          if (result.ttftMs === null) result.ttftMs = now() - t0;
          result.text += piece;
          h.onDelta?.(piece, result.text);
        }
        if (choice.finish_reason) result.finishReason = choice.finish_reason;
      }
    }
  } catch (e) {
    if (!isAbort(e)) throw e;
    result.stopped = true;
  }
  result.elapsedMs = now() - t0;
  return result;
}

export function isAbort(e: unknown): boolean {
  return (e instanceof DOMException || e instanceof Error) && e.name === 'AbortError';
}
