// The prefix-cache API over HTTP: a re-sent prompt is served from the cache
// (usage.prompt_tokens_details.cached_tokens), conversations are pinned,
// listed and cleared, settings are validated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './server.js';

let server;
let client;
before(async () => {
  server = await startServer();
  client = new OpenAI({ baseURL: server.base + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => { assert.equal(await server.stop(), 0, server.log()); });

const get = async (path) => (await fetch(server.base + path)).json();
const send = (method, path, body) => fetch(server.base + path, { method, body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' } });

test('re-sent prompts hit the cache; conversations pin, list and clear', async () => {
  const messages = [{ role: 'user', content: 'Once upon a time there was a little girl named Lily who loved to play in the park with her ball' }];
  const first = await client.chat.completions.create({ model: 'stories260K', messages, max_tokens: 8, temperature: 0, conversation_id: 'c-42' });
  const second = await client.chat.completions.create({ model: 'stories260K', messages, max_tokens: 8, temperature: 0 });
  assert.equal(second.choices[0].message.content, first.choices[0].message.content);
  assert.equal(first.usage.prompt_tokens_details.cached_tokens, 0);
  assert.ok(second.usage.prompt_tokens_details.cached_tokens > 0);
  let st = await get('/api/models/cache/status');
  assert.equal(st.enabled, true);
  assert.ok(st.prompt_tokens_reused > 0);
  assert.ok(st.hit_rate > 0);
  assert.deepEqual(st.entries.map((e) => [e.model, e.conversation_id]), [['stories260K', 'c-42']]);
  assert.ok(st.entries[0].tokens > 0 && st.entries[0].memory_bytes > 0);
  assert.equal((await send('POST', '/api/models/cache/clear', { conversation_id: 'c-42' })).status, 200);
  st = await get('/api/models/cache/status');
  assert.equal(st.entries.length, 0);
  assert.equal((await send('POST', '/api/models/cache/clear', {})).status, 200);
  assert.equal((await get('/api/models/cache/status')).blocks_cached, 0);
});

test('settings are read, validated and applied', async () => {
  const s = (await get('/api/models/cache/settings')).settings[0];
  assert.equal(s.model, 'stories260K');
  let r = await send('PUT', '/api/models/cache/settings', { memory_budget_bytes: s.memory_budget_bytes * 4 });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.param, 'memory_budget_bytes');
  r = await send('PUT', '/api/models/cache/settings', { max_pinned_conversations: -1 });
  assert.equal(r.status, 400);
  r = await send('PUT', '/api/models/cache/settings', { bogus: 1 });
  assert.equal(r.status, 400);
  r = await send('PUT', '/api/models/cache/settings', { model: 'nope', enabled: false });
  assert.equal(r.status, 404);
  r = await send('PUT', '/api/models/cache/settings', { max_pinned_conversations: 3, enabled: false });
  assert.equal(r.status, 200);
  const now = (await get('/api/models/cache/settings')).settings[0];
  assert.equal(now.max_pinned_conversations, 3);
  assert.equal(now.enabled, false);
  assert.equal((await get('/api/models/cache/status')).enabled, false);
});
