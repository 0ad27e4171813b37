// The official OpenAI Node SDK against a real `impetus serve` running the
// stories260K model: chat and completions, streaming and not, n, stop,
// max_tokens, seed, logprobs, usage, and typed errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';
import { startServer, impetusBin, storiesModel } from './server.js';

let server;
let client;
const model = 'stories260K';

before(async () => {
  server = await startServer();
  client = new OpenAI({ baseURL: server.base + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => { assert.equal(await server.stop(), 0, server.log()); });

const greedy = { model, temperature: 0 };
const user = (text) => [{ role: 'user', content: text }];

test('models are listed and retrievable', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [model]);
  assert.equal(list.data[0].object, 'model');
  const one = await client.models.retrieve(model);
  assert.equal(one.id, model);
});

test('chat completion has the OpenAI shape and true usage', async () => {
  const r = await client.chat.completions.create({ ...greedy, messages: user('Once upon a time'), max_tokens: 20 });
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, model);
  assert.ok(Number.isInteger(r.created));
  assert.equal(typeof r.system_fingerprint, 'string');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].index, 0);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 20);
  assert.ok(r.usage.prompt_tokens > 3);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 20);
});

test('streaming chat equals the non-streaming answer', async () => {
  const args = { ...greedy, messages: user('Lily had a ball'), max_tokens: 24 };
  const full = await client.chat.completions.create(args);
  const stream = await client.chat.completions.create({ ...args, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let first = true;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) { usage = chunk.usage; assert.equal(chunk.choices.length, 0); continue; }
    const c = chunk.choices[0];
    if (first) { assert.equal(c.delta.role, 'assistant'); first = false; }
    text += c.delta.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.equal(text, full.choices[0].message.content);
  assert.equal(finish, 'length');
  assert.deepEqual(usage.completion_tokens, full.usage.completion_tokens);
  assert.deepEqual(usage.prompt_tokens, full.usage.prompt_tokens);
});

test('completions: prompt tokens counted like impetus tokenize, streaming equals not', async () => {
  const prompt = 'Once upon a time, there was';
  const r = await client.completions.create({ ...greedy, prompt, max_tokens: 16 });
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /^cmpl-/);
  const ids = JSON.parse(execFileSync(impetusBin, ['tokenize', '-m', storiesModel, prompt, '--json'])).ids;
  assert.equal(r.usage.prompt_tokens, ids.length);
  assert.equal(r.usage.completion_tokens, 16);
  assert.equal(r.choices[0].finish_reason, 'length');
  let text = '';
  for await (const chunk of await client.completions.create({ ...greedy, prompt, max_tokens: 16, stream: true })) {
    text += chunk.choices[0]?.text ?? '';
  }
  assert.equal(text, r.choices[0].text);
});

test('n choices, seeds reproduce, different seeds differ', async () => {
  const args = { model, messages: user('The dog'), max_tokens: 16, temperature: 1.0, n: 3, seed: 42 };
  const a = await client.chat.completions.create(args);
  const b = await client.chat.completions.create(args);
  assert.deepEqual(a.choices.map((c) => c.index), [0, 1, 2]);
  assert.deepEqual(a.choices.map((c) => c.message.content), b.choices.map((c) => c.message.content));
  const c = await client.chat.completions.create({ ...args, seed: 43 });
  assert.notDeepEqual(a.choices.map((x) => x.message.content), c.choices.map((x) => x.message.content));
  assert.equal(a.usage.completion_tokens, 48);
});

test('stop sequences cut the text and never leak, also when streaming', async () => {
  const base = { ...greedy, prompt: 'Once upon a time', max_tokens: 48 };
  const full = (await client.completions.create(base)).choices[0].text;
  const word = full.split(' ').filter((w) => w.length > 3)[3];
  assert.ok(word, full);
  const cut = full.slice(0, full.indexOf(word));
  const r = await client.completions.create({ ...base, stop: [word, 'zzzz'] });
  assert.equal(r.choices[0].text, cut);
  assert.equal(r.choices[0].finish_reason, 'stop');
  let text = '';
  for await (const ch of await client.completions.create({ ...base, stop: word, stream: true })) {
    text += ch.choices[0]?.text ?? '';
  }
  assert.equal(text, cut);
});

test('logprobs in chat and completions', async () => {
  const r = await client.chat.completions.create({ ...greedy, messages: user('Tom'), max_tokens: 6, logprobs: true, top_logprobs: 2 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, 6);
  for (const t of content) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 2);
    assert.equal(t.top_logprobs[0].token, t.token);  // greedy: the chosen token is the most likely
  }
  const c = await client.completions.create({ ...greedy, prompt: 'Tom', max_tokens: 4, logprobs: 3 });
  assert.equal(c.choices[0].logprobs.tokens.length, 4);
  assert.equal(c.choices[0].logprobs.top_logprobs[0] && Object.keys(c.choices[0].logprobs.top_logprobs[0]).length, 3);
});

test('errors raise the SDK typed errors', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: user('hi') }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && /no-such-model/.test(e.message));
  await assert.rejects(client.chat.completions.create({ ...greedy, messages: user('hi'), bogus_param: 1 }),
    (e) => e instanceof OpenAI.BadRequestError && /bogus_param/.test(e.message) && e.param === 'bogus_param');
  await assert.rejects(client.chat.completions.create({ ...greedy, messages: user('hi'), temperature: 7 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'temperature');
  await assert.rejects(client.chat.completions.create({ ...greedy, messages: user('hi'),
    tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'tools');
  const raw = await fetch(server.base + '/v1/chat/completions', { method: 'POST', body: '{"model": ', headers: { 'content-type': 'application/json' } });
  assert.equal(raw.status, 400);
  const body = await raw.json();
  assert.equal(body.error.type, 'invalid_request_error');
  assert.ok(body.error.message.includes('JSON'));
  const big = await fetch(server.base + '/v1/completions', { method: 'POST', body: 'x'.repeat(9 << 20) });
  assert.equal(big.status, 413);
});
