// Raw SSE framing through curl, and 32 concurrent streaming clients with a
// few that disconnect early: every complete stream is correct, the server
// stays up and its memory returns to its idle level.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './server.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { assert.equal(await server.stop(), 0, server.log()); });

const body = (extra) => JSON.stringify({ model: 'stories260K', temperature: 0, max_tokens: 12,
  messages: [{ role: 'user', content: 'Once upon a time' }], ...extra });

test('curl sees SSE framing: data lines, role first, finish, usage, [DONE]', () => {
  const out = execFileSync('curl', ['-sN', '-H', 'Content-Type: application/json', '-d',
    body({ stream: true, stream_options: { include_usage: true } }), server.base + '/v1/chat/completions'],
  { encoding: 'utf8' });
  const events = out.split('\n\n').filter((e) => e.length > 0);
  for (const e of events) assert.match(e, /^data: /, JSON.stringify(e));
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const finish = chunks.filter((c) => c.choices.length && c.choices[0].finish_reason);
  assert.equal(finish.length, 1);
  assert.equal(finish[0].choices[0].finish_reason, 'length');
  assert.equal(chunks.at(-1).choices.length, 0);
  assert.equal(chunks.at(-1).usage.completion_tokens, 12);
  const headers = execFileSync('curl', ['-sN', '-D', '-', '-o', '/dev/null', '-H', 'Content-Type: application/json',
    '-d', body({ stream: true }), server.base + '/v1/chat/completions'], { encoding: 'utf8' });
  assert.match(headers, /content-type: text\/event-stream/i);
  assert.match(headers, /transfer-encoding: chunked/i);
});

async function streamText(extra, abortAfterChunks = -1) {
  const ctrl = new AbortController();
  const r = await fetch(server.base + '/v1/chat/completions', { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: body({ stream: true, ...extra }), signal: ctrl.signal });
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let text = '';
  let chunks = 0;
  let done = false;
  try {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (ev === 'data: [DONE]') { done = true; continue; }
        const c = JSON.parse(ev.slice(6));
        text += c.choices[0]?.delta?.content ?? '';
        if (++chunks === abortAfterChunks) { ctrl.abort(); return { text, done: false }; }
      }
    }
  } catch (e) {
    if (abortAfterChunks < 0) throw e;
  }
  return { text, done };
}

test('32 concurrent streams plus early disconnects', async () => {
  const prompts = Array.from({ length: 32 }, (_, i) => `Story number ${i % 8}`);
  const expected = {};
  for (const p of new Set(prompts)) {
    expected[p] = (await streamText({ messages: [{ role: 'user', content: p }], max_tokens: 32 })).text;
  }
  const idle = server.rssKiB();
  const quitters = Array.from({ length: 6 }, (_, i) =>
    streamText({ messages: [{ role: 'user', content: 'A long one ' + i }], max_tokens: 400 }, 3));
  const results = await Promise.all([
    ...prompts.map((p) => streamText({ messages: [{ role: 'user', content: p }], max_tokens: 32 })),
    ...quitters]);
  for (let i = 0; i < prompts.length; i++) {
    assert.ok(results[i].done, `stream ${i} did not finish`);
    assert.equal(results[i].text, expected[prompts[i]], `stream ${i}`);
  }
  // The server is still up and its KV blocks are back: memory returns to the idle level.
  const health = await fetch(server.base + '/api/health');
  assert.equal(health.status, 200);
  // Disconnected streams were cancelled: no KV block is still held.
  let used = -1;
  for (let i = 0; i < 50 && used !== 0; i++) {
    used = (await (await fetch(server.base + '/api/models/cache/status')).json()).blocks_used;
    if (used !== 0) await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(used, 0);
  await new Promise((res) => setTimeout(res, 500));
  const after = server.rssKiB();
  assert.ok(after - idle < 32 * 1024, `RSS grew from ${idle} to ${after} KiB`);
});
